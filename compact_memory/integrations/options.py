"""What both adapters do with their options: check and resolve them when set, never at the first call."""

from __future__ import annotations

from typing import Any

from compact_memory.context import ContextCompressor

# The adapters' fields that ContextCompressor takes, under the same names.
OPTIONS = ("budget", "strategy", "tokenizer", "params", "min_tokens")


class ContextOptions:
    """Mixed into a pydantic adapter with the :data:`OPTIONS` fields: keeps a resolved ContextCompressor.

    The options are checked (a ``ValueError`` naming the option) and the
    strategy is resolved when the adapter is created, and again when one of
    them is assigned (``compressor.budget = 500``), so the adapter never runs
    with options it did not check.
    """

    _context: ContextCompressor

    def model_post_init(self, context: Any, /) -> None:
        super().model_post_init(context)  # type: ignore[misc]
        self._context = ContextCompressor(**{name: getattr(self, name) for name in OPTIONS})

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in OPTIONS:
            super().__setattr__(name, value)
            return
        resolved = ContextCompressor(**{option: getattr(self, option) for option in OPTIONS} | {name: value})
        super().__setattr__(name, value)
        self._context = resolved
