"""Import the strategy for real, in a subprocess with a timeout.

A plugin that loops, exits or crashes while being imported cannot hang or
kill the validator: the child is killed at the timeout (with any processes it
started), and it reports through a result file, never through stdout. The
child loads the class with the runtime's own loader, so it loads exactly as
it would at run time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from compact_memory.package import StrategyPackage

AUTO, SKIP, REQUIRE = "auto", "skip", "require"


def check(packages: list[StrategyPackage], *, mode: str, contract: bool, timeout: float) -> None:
    if mode == SKIP:
        return
    todo = []
    for pkg in packages:
        spec = _spec(pkg, contract)
        if spec is None:
            continue  # the manifest or the module has errors already reported
        if mode == AUTO and pkg.missing_dependencies:
            pkg.on().add("CM705", "import check skipped: dependencies missing or outdated: "
                         + ", ".join(pkg.missing_dependencies),
                         at=pkg.at("dependencies"), json_path="$.dependencies",
                         hint="install them (see CM601/CM602), or use --import-check require")
            continue
        todo.append((pkg, spec))
    from compact_memory.plugins.isolation import run_many

    outcomes = run_many("compact_memory.validation.import_check", [spec for _, spec in todo], timeout)
    for (pkg, spec), outcome in zip(todo, outcomes, strict=True):
        _record(pkg, spec, outcome)


def _spec(pkg: StrategyPackage, contract: bool) -> dict[str, Any] | None:
    strategy_id, attr, module = pkg.text("strategy_id"), pkg.text("strategy_class_name"), pkg.text("strategy_module")
    if pkg.module_file is None or not (strategy_id and attr and module) or not attr.isidentifier():
        return None
    return {"id": strategy_id, "module": module, "attr": attr, "path": str(pkg.root), "contract": contract}


def _record(pkg: StrategyPackage, spec: dict[str, Any], outcome: dict[str, Any]) -> None:
    shown = pkg.show(pkg.module_file.relative_to(pkg.root)) if pkg.module_file else pkg.display
    if outcome.get("timeout"):
        pkg.on().add("CM702", f"importing {spec['module']} did not finish within the timeout",
                     at=pkg.at("strategy_module"), json_path="$.strategy_module",
                     hint="do no long work at import time, or raise --timeout")
        return
    if "findings" not in outcome:
        code = outcome.get("returncode")
        how = f"was killed by signal {-code}" if isinstance(code, int) and code < 0 else f"exited with code {code}"
        last = " | ".join(outcome.get("stderr") or [])
        pkg.on().add("CM703", f"the import process {how} while importing {spec['module']} ({shown})"
                     + (f": {last}" if last else ""), at=pkg.at("strategy_module"), json_path="$.strategy_module")
        return
    for item in outcome["findings"]:
        relative = item.get("file")
        target = pkg.on(relative) if relative else pkg.on()
        at = (item["line"], item.get("column") or 1) if item.get("line") else None
        if at is None and not relative:
            at = pkg.at("strategy_class_name") if item["code"] == "CM704" else pkg.at("strategy_module")
        target.add(item["code"], item["message"], at=at, hint=item.get("hint"))


# --- the child ---------------------------------------------------------------


def _child(spec: dict[str, Any]) -> dict[str, Any]:
    findings: list[dict[str, Any]] = []
    _load_and_check(spec, findings)
    return {"findings": findings}


def _load_and_check(spec: dict[str, Any], findings: list[dict[str, Any]]) -> None:
    from compact_memory.errors import PluginError
    from compact_memory.plugins.candidates import LOCAL, Candidate
    from compact_memory.plugins.loader import load_candidate

    root = Path(spec["path"])
    candidate = Candidate(id=spec["id"], source=LOCAL, origin=str(root), order=0, module=spec["module"],
                          attr=spec["attr"], path=root)
    try:
        cls = load_candidate(candidate)
    except PluginError as exc:
        findings.append(_load_failure(exc, root, spec))
        return
    abstract = sorted(getattr(cls, "__abstractmethods__", ()))
    if abstract:
        findings.append({"code": "CM704", "message": f"class {spec['attr']} leaves abstract: {', '.join(abstract)}"})
        return
    if spec.get("contract"):
        _contract(cls, spec, findings)


def _load_failure(exc: Any, root: Path, spec: dict[str, Any]) -> dict[str, Any]:
    reason = exc.message.split("failed to load: ", 1)[-1].split("is broken: ", 1)[-1]
    cause = exc.__context__
    if cause is None:  # the module imported; the class is missing or wrong
        return {"code": "CM704", "message": reason}
    finding: dict[str, Any] = {"code": "CM701", "message": f"importing {spec['module']}: {reason}"}
    if isinstance(cause, SyntaxError) and cause.filename:
        _locate(finding, root, cause.filename, cause.lineno, cause.offset)
    else:
        frame = cause.__traceback__
        while frame is not None:
            _locate(finding, root, frame.tb_frame.f_code.co_filename, frame.tb_lineno, None)
            frame = frame.tb_next
    return finding


def _locate(finding: dict[str, Any], root: Path, filename: str, line: int | None, column: int | None) -> None:
    try:
        relative = Path(os.path.realpath(filename)).relative_to(os.path.realpath(root))
    except ValueError:
        return
    finding.update(file=str(relative), line=line, column=column)


def _contract(cls: Any, spec: dict[str, Any], findings: list[dict[str, Any]]) -> None:
    try:
        from compact_memory.testing import check_strategy
    except ImportError as exc:
        findings.append({"code": "CM707", "message": f"the testing kit is not available: {exc}"})
        return
    try:
        check_strategy(cls)
    except BaseException as exc:  # SystemExit too: the child must report, not vanish
        findings.append({"code": "CM706", "message": f"{type(exc).__name__}: {exc}".strip(),
                         "hint": "run compact_memory.testing.check_strategy in the package's tests"})


if __name__ == "__main__":
    from compact_memory.plugins.isolation import child_main

    child_main(_child)
