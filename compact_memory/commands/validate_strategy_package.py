"""``compact-memory dev validate-strategy-package PATH...``: every problem of a package in one run."""

from __future__ import annotations

import argparse
from typing import Any

from compact_memory.commands import add_command

FORMATS = ("text", "json", "github")
DESCRIPTION = (
    "Check strategy packages and report every problem with file:line:col, a stable code and a hint. "
    "A PATH is a package directory, any file inside one, or a directory of packages. No plugin code "
    "runs unless --import-check auto|require or --contract."
)


def add_parser(commands: Any, parents: list[argparse.ArgumentParser], summary: str) -> None:
    parser = add_command(
        commands, "validate-strategy-package", parents, summary, description=DESCRIPTION,
        epilog="Exit codes: 0 no errors, 1 errors found, 2 usage error, 130 interrupted.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="package directory or a file inside one")
    parser.add_argument("--format", choices=FORMATS, default="text", dest="fmt",
                        help="text (default), json (docs/validator.md) or github workflow commands")
    parser.add_argument("--json", action="store_const", const="json", dest="fmt",
                        help="the same as --format json, like every other command")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    parser.add_argument(
        "--import-check", choices=("auto", "skip", "require"), default=None, dest="import_mode",
        help="import the strategy in a subprocess: skip (default), auto (only when its dependencies are "
             "installed) or require",
    )
    parser.add_argument("--contract", action="store_true",
                        help="also run the testing kit's strategy checks in that subprocess (implies "
                             "--import-check require)")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="limit for each import check subprocess (default 60)")
    parser.add_argument("--no-cache", action="store_true",
                        help="do not read or write the cache of class checks (or set COMPACT_MEMORY_NO_CACHE=1)")
    parser.add_argument("--ignore-unowned", action="store_true",
                        help="skip PATHs that belong to no strategy package (for pre-commit)")
    parser.set_defaults(handler=lambda a: run(
        a.paths, fmt=a.fmt, strict=a.strict, import_mode=a.import_mode, contract=a.contract, timeout=a.timeout,
        ignore_unowned=a.ignore_unowned, use_cache=not a.no_cache,
    ))


def run(paths: list[str], *, fmt: str = "text", **options: Any) -> int:
    from compact_memory.validation.package import run_validation
    from compact_memory.validation.report import write

    report = run_validation(paths, **options)
    write(report, fmt)
    return 0 if report.passed else 1
