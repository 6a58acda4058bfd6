"""``compact-memory dev list-strategies``: every candidate, the active one, and why."""

from __future__ import annotations

import argparse
import sys

from compact_memory.commands import add_command

TYPE_CHECKING = False  # typing costs a few ms at startup
if TYPE_CHECKING:
    from typing import Any

    from compact_memory.plugins.candidates import Candidate

DESCRIPTION = (
    "List every strategy candidate (built-in, entry point, local directory), which one is "
    "active for each id and why the others are shadowed. No plugin code runs unless --check."
)


def add_parser(commands: Any, parents: list[argparse.ArgumentParser], summary: str) -> None:
    parser = add_command(
        commands, "list-strategies", parents, summary, description=DESCRIPTION,
    )
    parser.add_argument("--json", action="store_true", help="print a JSON document (see docs/plugins.md)")
    parser.add_argument(
        "--params", action="store_true",
        help="show each strategy's parameters (plugins' only with --check, which imports them)",
    )
    parser.add_argument(
        "--check", action="store_true", help="import each plugin in its own subprocess and report whether it loads"
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds per plugin import for --check (default 30)"
    )
    parser.set_defaults(handler=lambda a: run(as_json=a.json, check=a.check, timeout=a.timeout, params=a.params))


def run(*, as_json: bool, check: bool, timeout: float, params: bool = False) -> int:
    import math

    from compact_memory import console, output
    from compact_memory.errors import UsageError
    from compact_memory.plugins.registry import resolve_candidates

    if not (math.isfinite(timeout) and timeout > 0):
        raise UsageError(f"--timeout must be a positive number of seconds, not {timeout}")
    groups, notes = resolve_candidates()
    candidates = [c for group in groups.values() for c in group]
    for c in candidates:
        for warning in c.warnings:
            console.warn(warning)
    results: dict[int, dict[str, Any]] = {}
    if check:
        from compact_memory.plugins.check import check_candidates

        results = check_candidates(candidates, timeout=timeout)
    failed = any(c.status == "error" for c in candidates) or any(not r["ok"] for r in results.values())
    declared = {id(c): _params(c, results) for c in candidates} if params else {}
    if as_json:
        rows = []
        for c in candidates:
            row = c.to_json()
            if check:
                load = results.get(id(c))
                row["load"] = None if load is None else {"ok": load["ok"], "error": load["error"]}
            if params:
                row["params"] = declared[id(c)]
            rows.append(row)
        output.write_json({"strategies": rows, "notes": notes})
    else:
        _print_table(candidates, results if check else None)
        if params:
            _print_params(candidates, declared)
    return 1 if check and failed else 0


def _params(candidate: Candidate, results: dict[int, dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Declared parameters: built-ins and registered classes are ours to import; plugins only through --check."""
    from compact_memory.plugins.candidates import BUILTIN, REGISTERED
    from compact_memory.plugins.check import params_json

    if candidate.source in (BUILTIN, REGISTERED) and candidate.status != "error":
        from compact_memory.plugins.loader import load_candidate

        return params_json(load_candidate(candidate))
    outcome = results.get(id(candidate))
    return outcome.get("params") if outcome else None


def _print_params(candidates: list[Candidate], declared: dict[int, list[dict[str, Any]] | None]) -> None:
    from compact_memory import output
    from compact_memory.diagnostics.render import printable

    hidden = False
    lines = []
    for c in candidates:
        if c.status != "active":
            continue
        found = declared[id(c)]
        lines.append(f"\n{c.id}" + (f" ({printable(c.display_name, newlines=False)})" if c.display_name else ""))
        if found is None:
            hidden = True
            lines.append("  (not imported: add --check to import plugins in a subprocess and show their parameters)")
        elif not found:
            lines.append("  no parameters")
        for p in found or ():
            lines.append(printable(f"  --param {p['name']}=<{p['type']}>  default {p['default']!r}: {p['help']}",
                                   newlines=False))
    output.write_text("".join(line + "\n" for line in lines))
    if hidden:
        print("\nparameters of plugins are read by importing them, which runs their code", file=sys.stderr)


def _print_table(candidates: list[Candidate], results: dict[int, dict[str, Any]] | None) -> None:
    from compact_memory import output
    from compact_memory.diagnostics.render import printable
    from compact_memory.plugins.candidates import SOURCE_LABEL

    header = ["ID", "NAME", "VERSION", "SOURCE", "STATUS"]
    if results is not None:
        header.append("LOAD")
    rows = []
    for c in candidates:
        row = [
            c.id,
            c.display_name or "-",
            c.version or "-",
            f"{SOURCE_LABEL[c.source]}: {c.origin}" if c.source != "builtin" else "built-in",
            c.status_text(),
        ]
        if results is not None:
            outcome = results.get(id(c))
            row.append("-" if outcome is None else ("ok" if outcome["ok"] else f"FAILED: {outcome['error']}"))
        rows.append([printable(cell, newlines=False) for cell in row])
    # The last column is free text and is not padded.
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header) - 1)]
    text = ""
    for line in [header, *rows]:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(line[:-1])] + [line[-1]]
        text += "  ".join(cells).rstrip() + "\n"
    output.write_text(text)
    active = sum(1 for c in candidates if c.status == "active")
    broken = sum(1 for c in candidates if c.status == "error")
    summary = f"{active} active strateg{'y' if active == 1 else 'ies'}, {len(candidates)} candidates"
    if broken:
        summary += f", {broken} broken (run compact-memory dev validate-strategy-package PATH)"
    print(summary, file=sys.stderr)
