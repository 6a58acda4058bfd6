"""Check the strategy class from the syntax tree alone: no plugin code runs.

The class must exist in strategy_module (defined there or imported from
another module of the package), derive from CompressionStrategy (directly,
through an alias, a local base class or the compatibility import paths),
set ``id`` to strategy_id, define ``compress``, and carry the manifest's
version when it sets one. :mod:`.static_analysis` reads the modules.
"""

from __future__ import annotations

import ast
import difflib
from typing import Any

from compact_memory.package import MANIFEST_NAME, StrategyPackage
from compact_memory.validation import cache
from compact_memory.validation.static_analysis import Analyzer, ClassFacts, Module


def check(pkg: StrategyPackage) -> None:
    class_name, strategy_id = pkg.text("strategy_class_name"), pkg.text("strategy_id")
    if pkg.module_file is None or class_name is None or not class_name.isidentifier():
        return
    name = pkg.text("strategy_module") or ""
    from compact_memory.io import read_regular_file

    try:
        source = read_regular_file(pkg.module_file, cache.MAX_MODULE_BYTES)
    except OSError:
        return
    relative = str(pkg.module_file.relative_to(pkg.root))
    # Everything the result depends on besides module bytes: the manifest values and where the
    # class name is written (findings about a missing class point there).
    cache_key = cache.key("static", relative, cache.digest(source), name, class_name, str(strategy_id),
                          repr(pkg.at("strategy_class_name")), repr(pkg.data.get("version")))
    cached = cache.load(pkg.root, cache_key)
    if cached is not None:
        for item in cached:
            pkg.on(item["file"]).add(item["code"], item["message"], at=tuple(item["at"]) if item["at"] else None,
                                     json_path=item["json_path"], hint=item["hint"])
        return
    before = len(pkg.findings)
    analyzer = Analyzer(pkg)
    _check_class(pkg, analyzer, name, class_name, strategy_id)
    if analyzer.uncacheable:
        return
    modules = {**analyzer.absent, relative: cache.digest(source)}
    modules.update({str(m.file.relative_to(pkg.root)): cache.digest(m.source) for m in analyzer.modules.values() if m})
    relative_of = {pkg.show(p): p for p in [*modules, MANIFEST_NAME]}
    found = []
    for f in pkg.findings[before:]:
        if f.file not in relative_of:
            return
        found.append({"file": relative_of[f.file], "code": f.code, "message": f.message,
                      "at": [f.line, f.column] if f.line else None, "json_path": f.json_path, "hint": f.hint})
    cache.store(cache_key, modules, found)


def _check_class(pkg: StrategyPackage, analyzer: Analyzer, name: str, class_name: str, strategy_id: str | None) -> None:
    module = analyzer.module(name, pkg.module_file, report=True)
    if module is None:
        return
    target = analyzer.lookup(module, class_name)
    module_display = pkg.show(module.file.relative_to(pkg.root))
    if target[0] != "class":
        _not_a_class(pkg, module, class_name, target, module_display)
        return
    facts = analyzer.facts(target[1], target[2])
    _report(pkg, facts, class_name, strategy_id)


def _not_a_class(pkg: StrategyPackage, module: Module, class_name: str, target: tuple[Any, ...], shown: str) -> None:
    manifest = pkg.on()
    where = pkg.at("strategy_class_name")
    if target[0] == "missing":
        classes = [n for n, b in module.bindings.items() if b[0] == "class"]
        close = difflib.get_close_matches(class_name, classes, n=1)
        hint = f"did you mean {close[0]!r}?" if close else (
            f"classes defined there: {', '.join(classes)}" if classes else "define the class in that module")
        manifest.add("CM402", f"{shown} defines no class {class_name!r}", at=where,
                     json_path="$.strategy_class_name", hint=hint)
    elif target[0] in ("notclass", "localmodule"):
        what = "a module" if target[0] == "localmodule" else "a function or other object"
        manifest.add("CM402", f"{class_name!r} in {shown} is {what}, not a class", at=where,
                     json_path="$.strategy_class_name")
    elif target[0] == "base":
        manifest.add("CM403", f"{class_name!r} in {shown} is CompressionStrategy itself", at=where,
                     json_path="$.strategy_class_name", hint="name your subclass of CompressionStrategy")
    else:
        manifest.add("CM404", f"{class_name!r} in {shown} comes from {target[1]}, which cannot be followed "
                     "without running code", at=where, json_path="$.strategy_class_name",
                     hint="run with --import-check require to check it for real")


def _report(pkg: StrategyPackage, facts: ClassFacts, class_name: str, strategy_id: str | None) -> None:
    found = pkg.on(facts.module.file.relative_to(pkg.root))
    at = (facts.node.lineno, facts.node.col_offset + 1)
    if facts.derives is False:
        bases = ", ".join(ast.unparse(b) for b in facts.node.bases) or "nothing"
        found.add("CM403", f"class {class_name} derives from {bases}, not CompressionStrategy", at=at,
                  hint="from compact_memory.compression import CompressionStrategy, then "
                       f"class {class_name}(CompressionStrategy)")
    elif facts.derives is None:
        found.add("CM404", f"class {class_name}: cannot confirm without running code that "
                  f"{', '.join(dict.fromkeys(facts.unknown))} leads to CompressionStrategy", at=at,
                  hint="run with --import-check require to check it for real")
    certain = not facts.unknown
    if facts.id_node is None:
        if certain:
            found.add("CM405", f"class {class_name} sets no id", at=at,
                      hint=f'add id = "{strategy_id}" to the class body' if strategy_id else None)
    else:
        id_found = pkg.on((facts.id_module or facts.module).file.relative_to(pkg.root))
        id_at = (facts.id_node.lineno, facts.id_node.col_offset + 1)
        value = facts.id_node.value if isinstance(facts.id_node, ast.Constant) else None
        if not isinstance(value, str):
            id_found.add("CM407", f"class {class_name}: id is {ast.unparse(facts.id_node)}, not a string literal",
                         at=id_at)
        elif strategy_id is not None and value != strategy_id:
            id_found.add("CM406", f"class {class_name} has id {value!r} but strategy_id is {strategy_id!r}",
                         at=id_at, hint=f'write id = "{strategy_id}", or change strategy_id to "{value}"')
    _check_version(pkg, facts, class_name)
    if not facts.has_compress and certain:
        found.add("CM408", f"class {class_name} does not define compress", at=at,
                  hint="def compress(self, text_or_chunks, llm_token_budget, **kwargs)")


def _check_version(pkg: StrategyPackage, facts: ClassFacts, class_name: str) -> None:
    """A class that states its version must state the manifest's (listings and pip would disagree)."""
    declared = pkg.text("version")
    node = facts.version_node
    if declared is None or node is None:
        return
    value = node.value if isinstance(node, ast.Constant) else None
    if isinstance(value, str) and value != declared:
        found = pkg.on((facts.version_module or facts.module).file.relative_to(pkg.root))
        found.add("CM409", f"class {class_name} has version {value!r} but the manifest says {declared!r}",
                  at=(node.lineno, node.col_offset + 1),
                  hint=f'write version = "{declared}" in the class, or change version in strategy_package.yaml')
