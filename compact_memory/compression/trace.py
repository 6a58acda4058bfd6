"""The record of one compression: what went in, what each step did, what came out."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class CompressionTrace:
    """A JSON-serialisable account of one ``compress`` call.

    The first seven fields keep the names and order used by the original
    Compact Memory, so strategies written for it construct traces unchanged.
    ``input_summary`` and ``output_summary`` hold at least ``tokens`` and
    ``chars`` once the runtime has filled them (see ``compact_memory.compress``);
    ``tokenizer`` names the tokenizer those counts were made with.
    """

    strategy_name: str
    strategy_params: dict[str, Any] = field(default_factory=dict)
    input_summary: dict[str, Any] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    output_summary: dict[str, Any] = field(default_factory=dict)
    processing_ms: float | None = None
    final_compressed_object_preview: str | None = None
    tokenizer: str | None = None

    def add_step(self, step_type: str, details: dict[str, Any] | None = None) -> None:
        """Append a step: ``{"type": step_type, "details": {...}}``."""
        self.steps.append({"type": step_type, "details": dict(details or {})})

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (shared, not copied: a plugin's trace may hold cycles, which a deep copy
        would follow forever; :func:`compact_memory.output.dumps` writes any of it as plain JSON)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CompressionTrace:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown CompressionTrace field(s): {', '.join(unknown)}")
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> CompressionTrace:
        return cls.from_dict(json.loads(text))
