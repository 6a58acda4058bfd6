"""A strategy found somewhere, before any of its code has run."""

from __future__ import annotations

TYPE_CHECKING = False  # no typing/dataclasses: listing strategies starts fast
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from compact_memory.package import StrategyPackage

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


class Candidate:
    def __init__(
        self,
        id: str,
        source: str,
        origin: str,
        order: int,
        display_name: str | None = None,
        version: str | None = None,
        module: str | None = None,
        attr: str | None = None,
        path: Path | None = None,
        overrides_builtin: bool = False,
        error: str | None = None,
        warnings: list[str] | None = None,
        status: str = "active",
        reason: str = "",
        obj: Any = None,
        package: StrategyPackage | None = None,
        alias_of: str | None = None,
    ) -> None:
        self.id = id
        self.source = source
        self.origin = origin
        self.order = order
        self.display_name = display_name
        self.version = version
        self.module = module
        self.attr = attr
        self.path = path
        self.overrides_builtin = overrides_builtin
        self.error = error
        self.warnings: list[str] = [] if warnings is None else warnings
        self.status = status
        self.reason = reason
        self.obj = obj  # the class, for built-ins already imported and registered ones
        self.package = package  # the manifest it was read from (local packages, entry points that ship one)
        self.alias_of = alias_of  # another name for this built-in (kept from the original Compact Memory)

    def __repr__(self) -> str:
        return f"Candidate({self.id!r}, {self.source}, {self.origin!r}, status={self.status!r})"

    @property
    def is_plugin(self) -> bool:
        return self.source in (LOCAL, ENTRY_POINT)

    @property
    def rank(self) -> tuple[int, int]:
        return (LEVEL[self.source], self.order)

    def describe(self) -> str:
        return f"{SOURCE_LABEL[self.source]} {self.origin}"

    def status_text(self) -> str:
        if self.alias_of and self.status == "active":
            return f"active (alias of {self.alias_of})"
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
            "alias_of": self.alias_of,
        }
