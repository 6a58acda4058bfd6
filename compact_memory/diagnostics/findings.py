"""A finding: one problem at one place, with a stable code and a hint."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compact_memory.diagnostics.codes import CODES, ERROR, WARNING

Position = tuple[int, int]  # 1-based line and column


@dataclass
class Finding:
    code: str
    message: str
    file: str
    line: int | None = None
    column: int | None = None
    json_path: str | None = None
    hint: str | None = None
    severity: str = ""

    def __post_init__(self) -> None:
        if not self.severity:
            self.severity = CODES[self.code].severity

    @property
    def location(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.column or 1}"

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line or 0, self.column or 0, self.code)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "json_path": self.json_path,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass
class Findings:
    """Collects the findings of one file, knowing its display path."""

    file: str
    items: list[Finding] = field(default_factory=list)

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
