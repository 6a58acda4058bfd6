"""Check the strategy class from the syntax tree alone: no plugin code runs.

The class must exist in strategy_module (defined there or imported from
another module of the package), derive from CompressionStrategy (directly,
through an alias, a local base class or the compatibility import paths),
set ``id`` to strategy_id and define ``compress``.
"""

from __future__ import annotations

import ast
import builtins
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compact_memory.package import MANIFEST_NAME, StrategyPackage, inside, module_candidates
from compact_memory.validation import cache

BASE_NAMES = frozenset({
    "compact_memory.CompressionStrategy",
    "compact_memory.compression.CompressionStrategy",
    "compact_memory.compression.strategies_abc.CompressionStrategy",
})
_MAX_SOURCE_BYTES = 5_000_000
_MAX_DEPTH = 25


@dataclass
class Module:
    name: str  # dotted, inside the package ("" is the package itself)
    file: Path
    tree: ast.Module
    source: bytes
    bindings: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    star_import: bool = False

    @property
    def package(self) -> str:
        """The package that relative imports start from."""
        if self.file.name == "__init__.py":
            return self.name
        return self.name.rpartition(".")[0]


@dataclass
class ClassFacts:
    module: Module
    node: ast.ClassDef
    derives: bool | None = False  # None: a base could not be followed
    unknown: list[str] = field(default_factory=list)
    id_node: ast.expr | None = None
    id_module: Module | None = None
    has_compress: bool = False


class Analyzer:
    def __init__(self, pkg: StrategyPackage) -> None:
        self.pkg = pkg
        self.modules: dict[str, Module | None] = {}
        self.absent: dict[str, str] = {}  # module files looked for and not found: "" in the cache
        self.uncacheable = False

    # --- modules --------------------------------------------------------
    def module(self, name: str, file: Path | None = None, *, report: bool = False) -> Module | None:
        if name in self.modules:
            return self.modules[name]
        self.modules[name] = None
        if file is None:
            candidates = module_candidates(self.pkg.root, name) if name else []
            existing = [c for c in candidates if c.is_file()]
            if not existing:
                self.absent.update({str(c.relative_to(self.pkg.root)): "" for c in candidates})
                return None
            if not inside(existing[0], self.pkg.root):
                self.uncacheable = True
                return None
            file = existing[0]
        parsed = self._parse(file, report)
        if parsed is not None:
            module = Module(name, file, *parsed)
            _bind(module, module.tree.body)
            self.modules[name] = module
        return self.modules[name]

    def _parse(self, file: Path, report: bool) -> tuple[ast.Module, bytes] | None:
        found = self.pkg.on(file.relative_to(self.pkg.root))
        try:
            if file.stat().st_size > _MAX_SOURCE_BYTES:
                if report:
                    found.add("CM401", f"the module is larger than {_MAX_SOURCE_BYTES:,} bytes; not analysed")
                return None
            source = file.read_bytes()
            return ast.parse(source, filename=str(file)), source
        except SyntaxError as exc:
            if report:
                at = (exc.lineno, exc.offset or 1) if exc.lineno else None
                found.add("CM401", f"syntax error: {exc.msg}", at=at)
        except (ValueError, RecursionError, MemoryError, OSError) as exc:
            if report:
                found.add("CM401", f"cannot parse the module: {str(exc).splitlines()[0] if str(exc) else exc}")
        return None

    # --- names ----------------------------------------------------------
    def lookup(self, module: Module, name: str, depth: int = 0) -> tuple[Any, ...]:
        """What ``name`` is at the top level of ``module``."""
        binding = module.bindings.get(name)
        if depth > _MAX_DEPTH:
            return ("unknown", name)
        if binding is None:
            if module.star_import:
                return ("unknown", f"{name} (after a * import)")
            if hasattr(builtins, name):
                return ("external", name)
            return ("missing", name)
        kind = binding[0]
        if kind == "class":
            return ("class", module, binding[1])
        if kind == "expr":
            return self.resolve(module, binding[1], depth + 1)
        if kind == "ref":
            return _qualified(binding[1])
        if kind == "module":
            return ("extmodule", binding[1])
        if kind == "from_local":
            return self.member(binding[1], binding[2], depth + 1)
        if kind == "other":
            return ("notclass", name)
        return ("unknown", name)

    def member(self, module_name: str, name: str, depth: int) -> tuple[Any, ...]:
        """``name`` taken from the package module ``module_name`` (a submodule or a top-level name)."""
        sub = f"{module_name}.{name}" if module_name else name
        source = self.module(module_name) if module_name else self._root_init()
        if source is not None and name in source.bindings:
            return self.lookup(source, name, depth)
        if self.module(sub) is not None:
            return ("localmodule", sub)
        return ("unknown", f"{sub} (not found in the package)")

    def _root_init(self) -> Module | None:
        init = self.pkg.root / "__init__.py"
        if not init.is_file():
            self.absent["__init__.py"] = ""
            return None
        return self.module("", init)

    def resolve(self, module: Module, expr: ast.expr, depth: int = 0) -> tuple[Any, ...]:
        if depth > _MAX_DEPTH:
            return ("unknown", ast.unparse(expr))
        if isinstance(expr, ast.Name):
            return self.lookup(module, expr.id, depth + 1)
        if isinstance(expr, ast.Attribute):
            owner = self.resolve(module, expr.value, depth + 1)
            if owner[0] in ("extmodule", "external"):  # `from pkg import module`, then module.Name
                return _qualified(f"{owner[1]}.{expr.attr}")
            if owner[0] == "localmodule":
                return self.member(owner[1], expr.attr, depth + 1)
            return ("unknown", ast.unparse(expr))
        if isinstance(expr, ast.Subscript):  # Base[T]
            return self.resolve(module, expr.value, depth + 1)
        return ("unknown", ast.unparse(expr))

    # --- classes --------------------------------------------------------
    def facts(self, module: Module, node: ast.ClassDef, seen: frozenset[int] = frozenset()) -> ClassFacts:
        facts = ClassFacts(module, node)
        for statement in node.body:
            target, value = _assignment(statement)
            if target == "id" and value is not None and facts.id_node is None:
                facts.id_node, facts.id_module = value, module
            if target == "compress" or (
                isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name == "compress"
            ):
                facts.has_compress = True
        for base in node.bases:
            resolved = self.resolve(module, base)
            if resolved[0] == "base":
                facts.derives = True
            elif resolved[0] == "class" and id(resolved[2]) not in seen:
                parent = self.facts(resolved[1], resolved[2], seen | {id(node)})
                if parent.derives:
                    facts.derives = True
                elif parent.derives is None and facts.derives is not True:
                    facts.derives = None
                facts.unknown += parent.unknown
                if facts.id_node is None:
                    facts.id_node, facts.id_module = parent.id_node, parent.id_module
                facts.has_compress = facts.has_compress or parent.has_compress
            elif not (resolved[0] == "external" and resolved[1] == "object"):
                facts.unknown.append(ast.unparse(base))
                if facts.derives is not True:
                    facts.derives = None
        return facts


def check(pkg: StrategyPackage) -> None:
    class_name, strategy_id = pkg.text("strategy_class_name"), pkg.text("strategy_id")
    if pkg.module_file is None or class_name is None or not class_name.isidentifier():
        return
    name = pkg.text("strategy_module") or ""
    try:
        source = pkg.module_file.read_bytes()
    except OSError:
        return
    relative = str(pkg.module_file.relative_to(pkg.root))
    # Everything the result depends on besides module bytes: the manifest values and where the
    # class name is written (findings about a missing class point there).
    cache_key = cache.key("static", relative, cache.digest(source), name, class_name, str(strategy_id),
                          repr(pkg.at("strategy_class_name")))
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
    if not facts.has_compress and certain:
        found.add("CM408", f"class {class_name} does not define compress", at=at,
                  hint="def compress(self, text_or_chunks, llm_token_budget, **kwargs)")


def _qualified(name: str) -> tuple[Any, ...]:
    return ("base", name) if name in BASE_NAMES else ("external", name)


def _assignment(statement: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
        if isinstance(target, ast.Name):
            return target.id, statement.value
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return statement.target.id, statement.value
    return None, None


def _bind(module: Module, body: list[ast.stmt], fallback: bool = False) -> None:
    """Top-level names of ``body``; names bound in ``except`` blocks do not replace earlier ones."""
    for statement in body:
        new: dict[str, tuple[Any, ...]] = {}
        if isinstance(statement, ast.ClassDef):
            new[statement.name] = ("class", statement)
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            new[statement.name] = ("other",)
        elif isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname:
                    new[alias.asname] = ("module", alias.name)
                else:
                    top = alias.name.split(".")[0]
                    new[top] = ("module", top)
        elif isinstance(statement, ast.ImportFrom):
            _bind_from(module, statement, new)
        elif isinstance(statement, (ast.If, ast.With, ast.Try)) or type(statement).__name__ == "TryStar":
            _bind(module, getattr(statement, "body", []), fallback)
            for handler in getattr(statement, "handlers", []):
                _bind(module, handler.body, True)
            _bind(module, getattr(statement, "orelse", []), fallback)
            _bind(module, getattr(statement, "finalbody", []), fallback)
        else:
            target, value = _assignment(statement)
            if target and value is not None:
                new[target] = ("expr", value)
        for name, binding in new.items():
            if not (fallback and name in module.bindings):
                module.bindings[name] = binding


def _bind_from(module: Module, statement: ast.ImportFrom, new: dict[str, tuple[Any, ...]]) -> None:
    source = statement.module or ""
    if statement.level:
        parts = module.package.split(".") if module.package else []
        up = statement.level - 1
        if up > len(parts):
            for alias in statement.names:
                new[alias.asname or alias.name] = ("unknown_import",)
            return
        base = ".".join(parts[: len(parts) - up] if up else parts)
        local = ".".join(p for p in (base, source) if p)
        for alias in statement.names:
            if alias.name == "*":
                module.star_import = True
            else:
                new[alias.asname or alias.name] = ("from_local", local, alias.name)
        return
    for alias in statement.names:
        if alias.name == "*":
            module.star_import = True
        else:
            new[alias.asname or alias.name] = ("ref", f"{source}.{alias.name}")
