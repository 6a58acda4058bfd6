"""``compact-memory dev validate-strategy-package PATH...``: every problem of a package in one run."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from compact_memory.validation.package import Report

FORMATS = ("text", "json", "github")


def add_parser(commands: Any, parents: list[argparse.ArgumentParser], summary: str) -> None:
    parser = commands.add_parser(
        "validate-strategy-package",
        parents=parents,
        help=summary,
        description=(
            "Check strategy packages and report every problem with file:line:col, a stable code and a hint. "
            "A PATH is a package directory, any file inside one, or a directory of packages. No plugin code "
            "runs unless --import-check auto|require or --contract."
        ),
        epilog="Exit codes: 0 no errors, 1 errors found, 2 usage error, 130 interrupted.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="package directory or a file inside one")
    parser.add_argument("--format", choices=FORMATS, default="text", dest="fmt",
                        help="text (default), json (docs/validator.md) or github workflow commands")
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


def execute(paths: list[str], *, fmt: str = "text", strict: bool = False, import_mode: str | None = None,
            contract: bool = False, timeout: float = 60.0, ignore_unowned: bool = False, use_cache: bool = True,
            out: TextIO | None = None) -> Report:
    """Validate, print in ``fmt`` to ``out`` (stdout) and return the report."""
    from compact_memory.errors import UsageError
    from compact_memory.validation import report as reporting
    from compact_memory.validation.package import validate

    if contract and import_mode == "skip":
        raise UsageError("--contract needs the import check; drop --import-check skip")
    if timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    mode = import_mode or ("require" if contract else "skip")
    from compact_memory.validation import cache

    with cache.enabled(use_cache):
        result = validate(paths, import_mode=mode, contract=contract, timeout=timeout, strict=strict,
                          ignore_unowned=ignore_unowned)
    reporting.render(result, fmt, out or sys.stdout)
    return result


def run(paths: list[str], **options: Any) -> int:
    return 0 if execute(paths, **options).passed else 1
