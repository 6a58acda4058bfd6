"""``compact-memory dev install-strategy-package SOURCE``: verify a strategy package, show the plan, install it."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from compact_memory.commands import add_command

DESCRIPTION = """\
Install a strategy package from SOURCE, which is one of:
  a directory          ./my_package (the one holding strategy_package.yaml)
  an index id          section_digest (looked up in --index, COMPACT_MEMORY_INDEX_URL, then the shipped index)
  a git URL            git+https://host/repo.git@REVISION#subdirectory=path (file:// works too)
  a wheel or sdist     ./dist/pkg-1.0-py3-none-any.whl, or an http(s) URL of one
  a requirement        fancy-strategy==1.2 (any id-shaped word goes to pip only with --pip)

Every source is validated statically before anything is copied or installed (no package code runs;
warnings count as errors), and the plan is printed: the source, the commit or sha256, and what will
be copied or installed. Index entries are pinned: a git entry to a full commit, a pip entry to one
version and optionally the sha256 of its files. In a terminal you are asked to confirm; --yes skips
the question, --dry-run stops after the plan. Directory and git packages are copied into the user
plugin directory (or --to DIR) as DIR/<strategy_id>; pip packages go into this Python's environment,
with a constraint that keeps the installed compact-memory. Nothing changes when a step fails, and an
installed package is replaced only with --upgrade and a newer version."""


def add_parser(commands: Any, parents: list[argparse.ArgumentParser], summary: str) -> None:
    parser = add_command(
        commands, "install-strategy-package", parents, summary,
        description=DESCRIPTION,
        epilog="Exit codes: 0 installed (or already installed, or planned), 1 refused or failed, 2 usage error, "
               "130 interrupted.", raw=True,
    )
    parser.add_argument("source", metavar="SOURCE", help="what to install (see above)")
    parser.add_argument("--to", metavar="DIR", help="install a directory or git package into this plugin directory "
                        "instead (it must exist)")
    parser.add_argument("--upgrade", action="store_true", help="replace an installed copy when this version is newer")
    parser.add_argument("--force", action="store_true",
                        help="replace an installed copy whatever its version, changes or origin")
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation in a terminal")
    parser.add_argument("--dry-run", action="store_true", help="fetch, verify and print the plan; change nothing")
    parser.add_argument("--pip", action="store_true", help="treat SOURCE as a pip requirement even if it looks "
                        "like an index id")
    parser.add_argument("--index", action="append", default=[], metavar="FILE_OR_URL", dest="indexes",
                        help="look index ids up in this index first (repeatable; earlier wins)")
    parser.add_argument("--refresh", action="store_true", help="fetch index URLs again instead of using the cache")
    parser.add_argument("--json", action="store_true", help="print a JSON document on stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from compact_memory.community.install_steps import Request, ValidationFailed
    from compact_memory.community.installer import run as install

    request = Request(source=args.source, to=args.to, upgrade=args.upgrade, force=args.force, yes=args.yes,
                      dry_run=args.dry_run, pip=args.pip, indexes=args.indexes, refresh=args.refresh)
    try:
        doc = install(request)
    except ValidationFailed as exc:
        if not args.json:
            raise
        from compact_memory import output
        from compact_memory.diagnostics.render import printable

        print(f"error: {printable(str(exc), newlines=False)}", file=sys.stderr)
        output.write_json({"result": "invalid", "findings": [f.to_json() for f in exc.findings]})
        return 1
    if args.json:
        from compact_memory import output

        output.write_json(doc)
    else:
        _print(doc)
    if doc["result"] in ("installed", "upgraded", "unchanged"):
        _check_active(doc)
    return 0


def _print(doc: dict[str, Any]) -> None:
    from compact_memory import output
    from compact_memory.diagnostics.render import printable

    sid, version, result = doc["strategy_id"], doc["version"], doc["result"]
    where = doc.get("path") or doc.get("distribution")
    if result == "planned":
        return
    if result == "unchanged":
        lines = [f"{sid} {version} is already installed ({where}); nothing changed"]
    else:
        verb = f"upgraded from {doc.get('previous_version') or '?'} to" if result == "upgraded" else "installed"
        name = doc.get("display_name") or sid
        lines = [f"{verb} {sid} {version} ({name}) {'in' if doc.get('path') else 'from'} {where}"
                 + (":" if doc.get("files") else "")]
        lines += [f"  {file}" for file in doc.get("files", [])]
        lines.append(f"use it: compact-memory compress --strategy {sid} --file FILE --budget N")
    output.write_text("".join(printable(line, newlines=False) + "\n" for line in lines))


def _check_active(doc: dict[str, Any]) -> None:
    """Say so when the installed copy will not be the one used."""
    from pathlib import Path

    from compact_memory import console
    from compact_memory.plugins.registry import resolve_candidates

    groups, _ = resolve_candidates()
    sid = doc["strategy_id"]
    if doc.get("path"):
        path = Path(doc["path"]).resolve()
        mine = [c for c in groups.get(sid, []) if c.path is not None and c.path.resolve() == path]
    else:
        name = doc["distribution"].lower().replace("_", "-")
        mine = [c for c in groups.get(sid, []) if c.source == "entry_point"
                and c.origin.split("==")[0].lower().replace("_", "-") == name]
    if not mine:
        where = Path(doc["path"]).parent if doc.get("path") else "this environment"
        console.warn(f"{where} is not searched for plugins; add it to COMPACT_MEMORY_PLUGINS_PATH to use {sid}")
    elif mine[0].status != "active":
        console.warn(f"{sid} is installed but not active: {mine[0].status_text()}")
