"""``compact-memory dev install-strategy-package PATH``: validate a directory package, then copy it in."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compact_memory.diagnostics.findings import Finding
    from compact_memory.plugins.install import Outcome

SECURITY_NOTE = (
    "note: a strategy package is Python code that runs with your permissions whenever its strategy is used. "
    "compact-memory checks its files without running them, but cannot tell whether the code is safe: "
    "install only packages you trust, after reading their code."
)
# A dependency that is not installed yet does not make the package's files wrong:
# these stay warnings (with the pip line to run) while every other warning blocks.
ENVIRONMENT_CODES = frozenset({"CM601", "CM602"})


def add_parser(commands: Any, parents: list[argparse.ArgumentParser], summary: str) -> None:
    parser = commands.add_parser(
        "install-strategy-package",
        parents=parents,
        help=summary,
        description=(
            "Validate the strategy package in PATH (static checks, warnings count as errors; no code runs) and "
            "copy it into the user plugin directory, or --to DIR, as DIR/<strategy_id>. Nothing changes when "
            "validation fails. An installed package is replaced only with --upgrade and a newer version."
        ),
        epilog="Exit codes: 0 installed (or already installed), 1 refused or failed, 2 usage error, 130 interrupted.",
    )
    parser.add_argument("path", metavar="PATH", help="the package directory (holding strategy_package.yaml)")
    parser.add_argument("--to", metavar="DIR", help="install into this plugin directory instead (it must exist)")
    parser.add_argument("--upgrade", action="store_true",
                        help="replace an installed copy when this version is newer")
    parser.add_argument("--force", action="store_true",
                        help="replace an installed copy whatever its version, changes or origin")
    parser.add_argument("--json", action="store_true", help="print a JSON document on stdout")
    parser.set_defaults(handler=lambda a: run(a.path, to=a.to, upgrade=a.upgrade, force=a.force, as_json=a.json))


def run(path: str, *, to: str | None = None, upgrade: bool = False, force: bool = False,
        as_json: bool = False) -> int:
    from compact_memory.errors import CompactMemoryError
    from compact_memory.package import MANIFEST_NAME
    from compact_memory.plugins.install import install

    source = Path(path)
    if not (source / MANIFEST_NAME).is_file():
        what = "no such directory" if not source.exists() else f"no {MANIFEST_NAME} in this directory"
        raise CompactMemoryError(f"{path}: {what}",
                                 hint="pass a strategy package directory (the one holding strategy_package.yaml)")
    from compact_memory.plugins.install import plugin_root

    plugin_root(to, create=False)  # a bad --to fails before any work
    print(SECURITY_NOTE, file=sys.stderr)
    blocking, warnings, data = _validate(source)
    for finding in blocking + warnings:
        from compact_memory.diagnostics.render import text_line

        print(text_line(finding), file=sys.stderr)
    if blocking:
        print(f"error: {path} failed validation ({len(blocking)} problem{'s' if len(blocking) != 1 else ''}); "
              "nothing was installed", file=sys.stderr)
        if as_json:
            _dump({"result": "invalid", "findings": [f.to_json() for f in blocking + warnings]})
        return 1
    root = plugin_root(to, create=True)
    outcome = install(source.absolute(), root, strategy_id=data["strategy_id"], version=data["version"],
                      upgrade=upgrade, force=force)
    if as_json:
        _dump({"result": outcome.action, **outcome.to_json(), "findings": [f.to_json() for f in warnings]})
    else:
        _print(outcome, data)
    _check_active(outcome, root)
    return 0


def _validate(source: Path) -> tuple[list[Finding], list[Finding], dict[str, Any]]:
    """(blocking findings, warnings to show, manifest data) from the static checks."""
    from compact_memory.diagnostics.codes import ERROR, WARNING
    from compact_memory.validation.package import validate

    report = validate([str(source)], import_mode="skip", strict=False)
    findings = report.all_findings()
    blocking = [f for f in findings if f.severity == ERROR
                or (f.severity == WARNING and f.code not in ENVIRONMENT_CODES)]
    for f in blocking:
        f.severity = ERROR
    warnings = [f for f in findings if f.severity == WARNING]
    data = report.packages[0].data if report.packages else {}
    return blocking, warnings, data


def _print(outcome: Outcome, data: dict[str, Any]) -> None:
    from compact_memory import output
    from compact_memory.diagnostics.render import printable
    from compact_memory.plugins.install import UNCHANGED, UPGRADED

    name = data.get("display_name") or outcome.strategy_id
    if outcome.action == UNCHANGED:
        lines = [f"{outcome.strategy_id} {outcome.version} ({name}) is already installed at {outcome.path}; "
                 "nothing changed"]
    else:
        verb = f"upgraded from {outcome.previous_version or '?'} to" if outcome.action == UPGRADED else "installed"
        lines = [f"{verb} {outcome.strategy_id} {outcome.version} ({name}) in {outcome.path}:"]
        lines += [f"  {file}" for file in outcome.files]
        lines.append(f"use it: compact-memory compress --strategy {outcome.strategy_id} --file FILE --budget N")
    output.write_text("".join(printable(line, newlines=False) + "\n" for line in lines))


def _check_active(outcome: Outcome, root: Path) -> None:
    """Say so when the installed copy will not be the one used."""
    from compact_memory import console
    from compact_memory.plugins.registry import resolve_candidates

    groups, _ = resolve_candidates()
    mine = [c for c in groups.get(outcome.strategy_id, []) if c.path is not None
            and c.path.resolve() == outcome.path.resolve()]
    if not mine:
        console.warn(f"{root} is not searched for plugins; add it to COMPACT_MEMORY_PLUGINS_PATH to use "
                     f"{outcome.strategy_id}")
    elif mine[0].status != "active":
        console.warn(f"{outcome.strategy_id} is installed but not active: {mine[0].status_text()}")


def _dump(doc: dict[str, Any]) -> None:
    from compact_memory import output

    output.write_json(doc)
