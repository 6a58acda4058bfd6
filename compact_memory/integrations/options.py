"""What both adapters do with their options: check and resolve them when set, never at the first call."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from compact_memory.context import DEFAULT_MIN_TOKENS, ContextCompressor

# The adapters' fields that ContextCompressor takes, under the same names.
OPTIONS = ("budget", "strategy", "tokenizer", "params", "min_tokens")


class ContextOptions(BaseModel):
    """The :data:`OPTIONS` fields of both adapters (pydantic models), and the ContextCompressor they resolve to.

    - ``budget``: tokens for all returned documents (nodes) together (required).
    - ``strategy``: any registered strategy id, built-in or plugin, resolved
      as on the command line (plugin paths, precedence and the
      ``COMPACT_MEMORY_DISABLE_PLUGINS`` switch apply); a class or an
      instance works too. Default ``"extractive"``.
    - ``tokenizer``: ``"words"`` (default), ``"cl100k_base"``,
      ``"o200k_base"``, a ``tokenizer.json`` path, or a tokenizer object.
    - ``params``: the strategy's parameters, typed as ``--param`` is.
    - ``min_tokens``: the per-document floor; a document that would get
      fewer tokens (and does not fit whole in fewer) is dropped instead.

    The options are checked (a ``ValueError`` naming the option) and the
    strategy is resolved when the adapter is created, and again when one of
    them is assigned (``compressor.budget = 500``), so the adapter never runs
    with options it did not check.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    budget: int = Field(strict=True)
    strategy: Any = "extractive"
    tokenizer: Any = None
    params: dict[str, Any] | None = None
    min_tokens: int = Field(default=DEFAULT_MIN_TOKENS, strict=True)

    _context: ContextCompressor = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        super().model_post_init(context)
        self._context = ContextCompressor(**{name: getattr(self, name) for name in OPTIONS})

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in OPTIONS:
            super().__setattr__(name, value)
            return
        resolved = ContextCompressor(**{option: getattr(self, option) for option in OPTIONS} | {name: value})
        super().__setattr__(name, value)
        self._context = resolved
