"""Files the manifest relies on: the strategy module, the README, requirements.txt."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from compact_memory.names import module_name_pattern
from compact_memory.package import StrategyPackage, inside, module_candidates
from compact_memory.validation import requirements

_MAX_REQUIREMENTS_BYTES = 1_000_000


def check(pkg: StrategyPackage) -> None:
    check_module(pkg)
    check_readme(pkg)
    check_requirements(pkg)


def check_module(pkg: StrategyPackage) -> None:
    module = pkg.text("strategy_module")
    if module is None or not module_name_pattern().match(module):
        return  # the schema check reported it
    where, found = pkg.at("strategy_module"), pkg.on()
    for candidate in module_candidates(pkg.root, module):
        if not os.path.lexists(candidate):
            continue
        if not inside(candidate, pkg.root):
            found.add("CM302", f"strategy_module {module!r} is {pkg.show(candidate.relative_to(pkg.root))}, which "
                      f"leads outside the package (to {os.path.realpath(candidate)})", at=where,
                      json_path="$.strategy_module")
            return
        if candidate.is_file():
            pkg.module_file = candidate
            return
    expected = module.replace(".", "/")
    close = difflib.get_close_matches(module, _modules_in(pkg.root), n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"create {expected}.py next to the manifest"
    if module.endswith(".py"):
        hint = f"write the module name without .py: strategy_module: {module[:-3]}"
    found.add("CM301", f"strategy_module {module!r} not found: neither {expected}.py nor {expected}/__init__.py "
              "exists in the package", at=where, json_path="$.strategy_module", hint=hint)


def _modules_in(root: Path) -> list[str]:
    names = []
    try:
        for entry in os.scandir(root):
            if entry.name.endswith(".py"):
                names.append(entry.name[:-3])
            elif entry.is_dir() and os.path.exists(os.path.join(entry.path, "__init__.py")):
                names.append(entry.name)
    except OSError:
        pass
    return names


def check_readme(pkg: StrategyPackage) -> None:
    try:
        names = os.listdir(pkg.root)
    except OSError:
        return
    if not any(n.lower().startswith("readme") and os.path.isfile(pkg.root / n) for n in names):
        pkg.on().add("CM303", "the package has no README",
                        hint="add README.md: what the strategy does, its parameters, how to install it")


def check_requirements(pkg: StrategyPackage) -> None:
    deps = pkg.data.get("dependencies")
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        return
    declared = {}
    for index, text in enumerate(deps):
        req = requirements.parse(text)
        if isinstance(req, requirements.Requirement):
            declared[req.name] = (index, req)
    path = pkg.root / "requirements.txt"
    manifest = pkg.on()
    if not path.is_file():
        if declared:
            manifest.add("CM304", "dependencies are declared but requirements.txt is missing",
                         at=pkg.at("dependencies"), json_path="$.dependencies",
                         hint="create requirements.txt with one line per dependency: " + "; ".join(deps))
        return
    from compact_memory.io import read_regular_file

    try:
        text = read_regular_file(path, _MAX_REQUIREMENTS_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return
    listed = {}
    req_file = pkg.on("requirements.txt")
    for line, entry in requirements.read_requirements_file(text):
        req = requirements.parse(entry)
        if not isinstance(req, requirements.Requirement):
            continue
        listed[req.name] = req
        mine = declared.get(req.name)
        if mine is None:
            req_file.add("CM304", f"requirements.txt lists {entry!r}, which dependencies lacks", at=(line, 1),
                         hint=f'add "{entry}" to dependencies in strategy_package.yaml, or remove the line')
        elif mine[1].key != req.key:
            req_file.add("CM304", f"requirements.txt has {entry!r} but dependencies has {mine[1].text!r}",
                         at=(line, 1), hint="write the same requirement in both places")
    for name, (index, req) in declared.items():
        if name not in listed:
            manifest.add("CM304", f"dependency {req.text!r} is missing from requirements.txt",
                         at=pkg.at("dependencies", index), json_path=f"$.dependencies[{index}]",
                         hint=f"add the line {req.text} to requirements.txt")
