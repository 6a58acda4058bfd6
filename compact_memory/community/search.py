"""Match index entries against a query and tell which are installed and active (no plugin code runs)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from compact_memory.community.index import Entry
from compact_memory.plugins.candidates import Candidate

NOT_INSTALLED, ACTIVE, INACTIVE = "not_installed", "active", "inactive"


@dataclass
class Hit:
    entry: Entry
    score: int
    candidates: list[Candidate] = field(default_factory=list)  # same id, best first

    @property
    def active(self) -> Candidate | None:
        return next((c for c in self.candidates if c.status == "active"), None)

    @property
    def state(self) -> str:
        if not self.candidates:
            return NOT_INSTALLED
        return ACTIVE if self.active else INACTIVE

    @property
    def update_available(self) -> bool:
        """The index lists a newer version than the active one."""
        from packaging.version import InvalidVersion, Version

        active = self.active
        if active is None or not active.version:
            return False
        try:
            return Version(self.entry.version) > Version(active.version)
        except InvalidVersion:
            return False

    def status_text(self) -> str:
        active = self.active
        if active is not None:
            text = f"installed, active: {active.describe()} {active.version or ''}".rstrip()
            if self.update_available:
                text += f" (update available: {self.entry.version}: {self.entry.install_command(upgrade=True)})"
            return text
        if self.candidates:
            best = self.candidates[0]
            return f"installed, not active: {best.describe()} is {best.status_text()}"
        return "not installed"

    def to_json(self) -> dict[str, Any]:
        active = self.active
        return {
            **self.entry.to_json(),
            "state": self.state,
            "active": None if active is None else _candidate_json(active),
            "installed": [_candidate_json(c) for c in self.candidates],
            "update_available": self.update_available,
        }


def _candidate_json(c: Candidate) -> dict[str, Any]:
    return {"source": c.source, "origin": c.origin, "version": c.version, "status": c.status,
            "reason": c.reason or None, "error": c.error}


def match(entries: Sequence[Entry], query: str | None) -> list[Hit]:
    """Entries whose id, name, description, tags or authors contain every word of ``query``, best first."""
    words = (query or "").lower().split()
    hits = []
    for entry in entries:
        text = entry.searchable()
        if all(word in text for word in words):
            hits.append(Hit(entry, sum(_score(entry, word) for word in words)))
    hits.sort(key=lambda h: (-h.score, h.entry.id))
    return hits


def _score(entry: Entry, word: str) -> int:
    if word == entry.id or word in entry.tags:
        return 4
    if word in entry.id or word in entry.display_name.lower():
        return 2
    return 1


def attach_installed(hits: list[Hit], groups: dict[str, list[Candidate]]) -> None:
    for hit in hits:
        hit.candidates = list(groups.get(hit.entry.id, []))
