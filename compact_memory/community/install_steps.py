"""What every install shares, whatever its source: the request, the pinned source, validation and the plan.

:mod:`.installer` resolves a request and runs the directory or git install;
:mod:`.pip_install` runs the pip install; both validate and confirm here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compact_memory.community.sources import DIRECTORY, GIT, GitRef, Source
from compact_memory.errors import CompactMemoryError

SECURITY_NOTE = (
    "note: a strategy package is Python code that runs with your permissions whenever its strategy is used. "
    "compact-memory checks its files without running them, but cannot tell whether the code is safe: "
    "install only packages you trust, after reading their code."
)
# A dependency that is not installed yet does not make the package's files wrong:
# these stay warnings (with the pip line to run) while every other warning blocks.
ENVIRONMENT_CODES = frozenset({"CM601", "CM602"})
# A wheel carries what runs, not the source tree: no README file, requirements.txt or experiment data.
SOURCE_TREE_CODES = frozenset({"CM303", "CM304", "CM501", "CM502", "CM503", "CM504"})


class ValidationFailed(CompactMemoryError):
    """The package failed the static checks; ``findings`` says why."""

    def __init__(self, message: str, findings: list[Any]) -> None:
        super().__init__(message)
        self.findings = findings


@dataclass
class Request:
    source: str
    to: str | None = None
    upgrade: bool = False
    force: bool = False
    yes: bool = False
    dry_run: bool = False
    pip: bool = False
    indexes: list[str] = field(default_factory=list)
    refresh: bool = False


@dataclass
class Resolved:
    """Where the package comes from, pinned as far as the source allows."""

    source: Source
    git: GitRef | None = None
    pinned_commit: str | None = None
    requirement: str | None = None
    hashes: list[str] = field(default_factory=list)
    entry: dict[str, Any] | None = None  # the index entry: {"index", "id", "version"}

    @property
    def kind(self) -> str:
        return GIT if self.git is not None else DIRECTORY if self.source.kind == DIRECTORY else "pip"


def validate(package: Path, shown: str, *, ignore: frozenset[str] = frozenset()) -> tuple[dict[str, Any], list[Any]]:
    """(manifest data, warnings to show) of a package that passes the static checks; an error otherwise.

    Findings with a code in ``ignore`` do not count.
    """
    from compact_memory.diagnostics.codes import ERROR, WARNING
    from compact_memory.diagnostics.render import text_line
    from compact_memory.validation.package import validate as validate_paths

    report = validate_paths([str(package)], import_mode="skip", strict=False)
    findings = [f for f in report.all_findings() if f.code not in ignore]
    blocking = [f for f in findings if f.severity == ERROR
                or (f.severity == WARNING and f.code not in ENVIRONMENT_CODES)]
    for f in blocking:
        f.severity = ERROR
    warnings = [f for f in findings if f.severity == WARNING]
    for finding in blocking + warnings:
        print(text_line(finding), file=sys.stderr)
    if blocking or not report.packages:
        count = len(blocking)
        raise ValidationFailed(f"{shown} failed validation ({count} problem{'s' if count != 1 else ''}); "
                               "nothing was installed", blocking + warnings)
    return report.packages[0].data, warnings


def confirm(lines: list[str], request: Request) -> bool:
    """Show the plan; whether to go on (a terminal asks, --yes does not, --dry-run never goes on)."""
    from compact_memory.diagnostics.render import printable

    for line in lines:
        print(printable(line, newlines=False), file=sys.stderr)
    if request.dry_run:
        print("dry run: nothing was changed", file=sys.stderr)
        return False
    if request.yes or not (sys.stdin.isatty() and sys.stderr.isatty()):
        return True
    print("Install it? [y/N] ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline().strip().lower()
    if answer in ("y", "yes"):
        return True
    raise CompactMemoryError("not confirmed; nothing was installed", hint="answer y to install, or pass --yes")
