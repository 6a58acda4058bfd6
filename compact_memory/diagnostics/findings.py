"""A finding: one problem at one place, with a stable code and a hint."""

from __future__ import annotations

import json
from pathlib import Path

from compact_memory.diagnostics.codes import CODES, ERROR, WARNING

TYPE_CHECKING = False  # no typing or dataclasses at runtime: listing strategies reads manifests
if TYPE_CHECKING:
    from typing import Any

Position = tuple[int, int]  # 1-based line and column
# A finding as JSON (docs/validator.md), in this order.
_JSON_FIELDS = ("code", "severity", "file", "line", "column", "json_path", "message", "hint")


class Finding:
    __slots__ = ("code", "column", "file", "hint", "json_path", "line", "message", "severity")

    def __init__(self, code: str, message: str, file: str, line: int | None = None, column: int | None = None,
                 json_path: str | None = None, hint: str | None = None, severity: str = "") -> None:
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.json_path = json_path
        self.hint = hint
        self.severity = severity or CODES[code].severity

    def __repr__(self) -> str:
        return f"Finding({self.code!r}, {self.message!r}, {self.location!r}, severity={self.severity!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Finding) and self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]

    @property
    def location(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.column or 1}"

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line or 0, self.column or 0, self.code)

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _JSON_FIELDS}


class Findings:
    """Collects the findings of one file, knowing its display path."""

    def __init__(self, file: str, items: list[Finding] | None = None) -> None:
        self.file = file
        self.items: list[Finding] = [] if items is None else items

    def add(self, code: str, message: str, *, at: Position | None = None, json_path: str | None = None,
            hint: str | None = None, file: str | None = None, severity: str = "") -> Finding:
        line, column = at if at else (None, None)
        finding = Finding(code, message, file or self.file, line, column, json_path, hint, severity)
        self.items.append(finding)
        return finding


def json_path(path: tuple[Any, ...]) -> str:
    """``("authors", 0)`` -> ``$.authors[0]``."""
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.isidentifier():
            out += f".{part}"
        else:
            out += f"[{json.dumps(str(part), ensure_ascii=False)}]"
    return out


def display_path(path: Path, cwd: Path) -> str:
    """``path`` as findings show it: relative to ``cwd`` when below it."""
    try:
        relative = path.relative_to(cwd)
    except ValueError:
        return str(path)
    return str(relative) if str(relative) != "." else "."


def apply_strict(findings: list[Finding]) -> None:
    for finding in findings:
        if finding.severity == WARNING:
            finding.severity = ERROR
