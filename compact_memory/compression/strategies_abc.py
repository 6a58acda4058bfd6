"""The strategy contract: what every compression strategy implements.

This module path is kept so strategies written for the original Compact
Memory (``from compact_memory.compression.strategies_abc import
CompressionStrategy, CompressedMemory, CompressionTrace``) keep working.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from compact_memory.compression.trace import CompressionTrace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from compact_memory.tokenizers import Tokenizer

__all__ = ["CompressedMemory", "CompressionJob", "CompressionStrategy", "CompressionTrace", "Param", "TextOrChunks"]

TextOrChunks = str | Sequence[str]


@dataclass
class CompressedMemory:
    """The compressed text, plus anything a strategy wants to report."""

    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Param:
    """A parameter a strategy accepts in its constructor.

    ``type`` is one of ``str``, ``int``, ``float``, ``bool``; the CLI uses it
    to convert ``--param name=value`` and ``list-strategies`` shows ``help``.
    """

    name: str
    type: type
    default: Any
    help: str

    def to_json(self) -> dict[str, Any]:
        default = self.default if isinstance(self.default, (str, int, float, bool, type(None))) else repr(self.default)
        return {"name": self.name, "type": getattr(self.type, "__name__", str(self.type)), "default": default,
                "help": self.help}

    def convert(self, raw: str) -> Any:
        if self.type is bool:
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError(f"expected true or false, got {raw!r}")
        return self.type(raw)


class CompressionStrategy(ABC):
    """Base class of every compression strategy.

    Subclasses set ``id`` (lowercase letters, digits and _, starting with a letter, at most 64 characters), optionally
    ``display_name``, ``version`` and ``params``, and implement
    :meth:`compress`. Constructor keyword arguments are the declared params.
    """

    id: ClassVar[str]
    display_name: ClassVar[str | None] = None
    version: ClassVar[str | None] = None
    params: ClassVar[tuple[Param, ...]] = ()

    @abstractmethod
    def compress(
        self, text_or_chunks: TextOrChunks, llm_token_budget: int, **kwargs: Any
    ) -> tuple[CompressedMemory, CompressionTrace]:
        """Compress ``text_or_chunks`` to at most ``llm_token_budget`` tokens.

        ``text_or_chunks`` is a ``str`` or a sequence of ``str`` chunks. The
        runtime passes it and the budget positionally and extras by keyword:
        ``tokenizer=`` (a :class:`compact_memory.tokenizers.Tokenizer`) and,
        when the user gave one, ``query=``. Accept ``**kwargs`` and ignore
        what you do not use.
        """

    def begin(self, text_or_chunks: TextOrChunks, llm_token_budget: int, kwargs: Mapping[str, Any],
              params: Mapping[str, Any] | None = None) -> CompressionJob:
        """The opening every ``compress`` shares: the text, the tokenizer in effect and a trace.

        ::

            def compress(self, text_or_chunks, llm_token_budget, **kwargs):
                job = self.begin(text_or_chunks, llm_token_budget, kwargs, params={"k": self.k})
                if job.fits():
                    return job.unchanged()
                ...
                return job.result(kept_text)
        """
        from compact_memory.tokenizers import get_tokenizer

        trace = CompressionTrace(strategy_name=self.id, strategy_params=dict(params or {}))
        return CompressionJob(join_chunks(text_or_chunks), llm_token_budget, get_tokenizer(kwargs.get("tokenizer")),
                              trace)

    # Kept for strategies written for the original Compact Memory.
    def save_learnable_components(self, path: str) -> None:  # noqa: B027
        """Persist learned state, if the strategy has any."""

    def load_learnable_components(self, path: str) -> None:  # noqa: B027
        """Restore learned state, if the strategy has any."""


@dataclass
class CompressionJob:
    """One ``compress`` call in progress (see :meth:`CompressionStrategy.begin`)."""

    text: str
    budget: int
    tokenizer: Tokenizer
    trace: CompressionTrace

    def fits(self) -> bool:
        """Whether the whole text is within the budget; reads only about as far as the budget reaches."""
        from compact_memory.tokenizers import head

        return head(self.tokenizer, self.text, self.budget) == self.text

    def unchanged(self, **metadata: Any) -> tuple[CompressedMemory, CompressionTrace]:
        """The text as it came, with a ``fits`` step in the trace."""
        self.trace.add_step("fits", {"chars": len(self.text)})
        return CompressedMemory(text=self.text, metadata=dict(metadata)), self.trace

    def result(self, text: str, **metadata: Any) -> tuple[CompressedMemory, CompressionTrace]:
        return CompressedMemory(text=text, metadata=dict(metadata)), self.trace


def join_chunks(text_or_chunks: TextOrChunks) -> str:
    """The text a strategy works on: a string as is, chunks joined by blank lines."""
    if isinstance(text_or_chunks, str):
        return text_or_chunks
    return "\n\n".join(text_or_chunks)
