"""A strategy found somewhere, before any of its code has run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BUILTIN = "builtin"
REGISTERED = "registered"
LOCAL = "local"
ENTRY_POINT = "entry_point"

# Lower ranks win; see docs/plugins.md. Built-ins lose only to a plugin that
# declares overrides_builtin: true.
LEVEL = {REGISTERED: 0, BUILTIN: 1, LOCAL: 2, ENTRY_POINT: 3}
SOURCE_LABEL = {
    REGISTERED: "registered",
    BUILTIN: "built-in",
    LOCAL: "local",
    ENTRY_POINT: "entry point",
}


@dataclass
class Candidate:
    id: str
    source: str
    origin: str
    order: int
    display_name: str | None = None
    version: str | None = None
    module: str | None = None
    attr: str | None = None
    path: Path | None = None
    overrides_builtin: bool = False
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    status: str = "active"
    reason: str = ""
    obj: Any = None  # the class, for built-ins already imported and registered ones

    @property
    def is_plugin(self) -> bool:
        return self.source in (LOCAL, ENTRY_POINT)

    @property
    def rank(self) -> tuple[int, int]:
        return (LEVEL[self.source], self.order)

    def describe(self) -> str:
        return f"{SOURCE_LABEL[self.source]} {self.origin}"

    def status_text(self) -> str:
        if self.status == "error":
            return f"error: {self.error}"
        if self.reason:
            return f"{self.status} ({self.reason})" if self.status != "shadowed" else self.reason
        return self.status

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "display_name": self.display_name,
            "version": self.version,
            "source": self.source,
            "origin": self.origin,
            "status": self.status,
            "reason": self.reason or None,
            "error": self.error,
            "overrides_builtin": self.overrides_builtin,
            "warnings": list(self.warnings),
        }
