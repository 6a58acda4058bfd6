"""Token helpers from the original Compact Memory, kept for the strategies written with them.

Each accepts a compact-memory tokenizer (what ``compress`` passes as
``tokenizer=``), or the other forms the original accepted: an object with
``.tokenize(text)``, a callable returning a list of tokens or a mapping with
``input_ids`` (a Hugging Face tokenizer), or ``str.split``.

:func:`truncate_text` keeps the longest prefix of the text whose count is at
most ``max_tokens`` under the tokenizer given, so a strategy that uses it
never exceeds its budget under that tokenizer. New code can call the
tokenizer's ``count`` and :func:`compact_memory.tokenizers.head` directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from compact_memory.tokenizers import Tokenizer, get_tokenizer, head

__all__ = ["get_tokenizer", "token_count", "tokenize_text", "truncate_text"]


def tokenize_text(tokenizer: Any, text: str) -> list[Any]:
    """The tokens of ``text`` (strings or ids, as the tokenizer gives them)."""
    split = getattr(tokenizer, "tokenize", None)
    if callable(split):
        return list(split(text))
    if callable(tokenizer):
        out = tokenizer(text)
        if isinstance(out, Mapping):
            ids = out.get("input_ids")
            if ids is None:
                raise TypeError("the tokenizer returned a mapping without input_ids")
            return list(ids)
        if isinstance(out, (list, tuple)):
            return list(out)
        raise TypeError(f"the tokenizer returned {type(out).__name__}, not a list or a mapping with input_ids")
    raise TypeError(f"{tokenizer!r} is not a tokenizer: give an object with .tokenize, a callable or str.split")


def token_count(tokenizer: Any, text: str) -> int:
    """How many tokens ``text`` has under ``tokenizer``."""
    if isinstance(tokenizer, Tokenizer):
        return tokenizer.count(text)
    return len(tokenize_text(tokenizer, text))


def truncate_text(tokenizer: Any, text: str, max_tokens: int) -> str:
    """The longest prefix of ``text`` with at most ``max_tokens`` tokens under ``tokenizer``."""
    if isinstance(tokenizer, Tokenizer):
        return head(tokenizer, text, max_tokens)
    return head(_Counting(lambda piece: token_count(tokenizer, piece)), text, max_tokens)


class _Counting:
    """Any of the accepted forms, seen through the :class:`~compact_memory.tokenizers.Tokenizer` protocol."""

    name = "custom"

    def __init__(self, count: Callable[[str], int]) -> None:
        self._count = count

    def count(self, text: str) -> int:
        return self._count(text)
