"""Token counting: one small protocol and the tokenizers compact-memory ships.

A tokenizer is anything with a ``name`` and a ``count(text) -> int``. Strategies
receive one as ``tokenizer=`` and must keep ``tokenizer.count(output) <= budget``.
:func:`head` and :func:`tail` cut text to a token count for any tokenizer; a
tokenizer may provide faster ``head``/``tail`` methods of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from compact_memory.errors import TokenizerError

__all__ = ["DEFAULT_TOKENIZER", "Tokenizer", "get_tokenizer", "head", "known_tokenizers", "tail"]

DEFAULT_TOKENIZER = "words"
BPE_ENCODINGS = ("cl100k_base", "o200k_base")


@runtime_checkable
class Tokenizer(Protocol):
    """What a strategy may rely on: a name and a token count."""

    name: str

    def count(self, text: str) -> int:
        """The number of tokens in ``text``."""
        ...


def known_tokenizers() -> list[str]:
    return [DEFAULT_TOKENIZER, *BPE_ENCODINGS, "hf:PATH/tokenizer.json"]


_CACHE: dict[str, Tokenizer] = {}


def get_tokenizer(spec: str | Tokenizer | None = None) -> Tokenizer:
    """Resolve a tokenizer name, a ``tokenizer.json`` path, or pass one through.

    ``None`` and ``"words"`` give the dependency-free default. ``cl100k_base``
    and ``o200k_base`` need the ``tiktoken`` extra; a path to a Hugging Face
    ``tokenizer.json`` (optionally prefixed ``hf:``) needs the ``hf`` extra.
    A tokenizer that cannot be loaded raises :class:`TokenizerError`; there is
    never a silent fallback to another tokenizer.
    """
    if spec is not None and not isinstance(spec, str):
        if not isinstance(spec, Tokenizer):
            raise TokenizerError(f"{spec!r} is not a tokenizer: it needs a name and count(text)")
        return spec
    key = spec or DEFAULT_TOKENIZER
    if key not in (DEFAULT_TOKENIZER, "default", *BPE_ENCODINGS):
        # A relative tokenizer.json path means what it means now, not at first use.
        key = f"hf:{Path(key[3:] if key.startswith('hf:') else key).resolve()}"
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    tokenizer = _load(spec or DEFAULT_TOKENIZER)
    _CACHE[key] = tokenizer
    return tokenizer


def tokenizer_path(spec: str, base: Path | None = None) -> Path | None:
    """The tokenizer.json that ``spec`` names (relative paths against ``base``), or None for a name.

    A path is written ``hf:PATH``, ends in ``.json`` or names an existing file.
    """
    if spec in (DEFAULT_TOKENIZER, "default") or spec in BPE_ENCODINGS:
        return None
    text = spec[3:] if spec.startswith("hf:") else spec
    path = Path(text) if base is None else base / text
    return path if spec.startswith("hf:") or text.endswith(".json") or path.is_file() else None


def _load(spec: str) -> Tokenizer:
    if spec in (DEFAULT_TOKENIZER, "default"):
        from compact_memory.tokenizers.words import WordTokenizer

        return WordTokenizer()
    if spec in BPE_ENCODINGS:
        from compact_memory.tokenizers.bpe import load_bpe

        return load_bpe(spec)
    path = tokenizer_path(spec)
    if path is not None:
        from compact_memory.tokenizers.hf import load_hf_tokenizer

        return load_hf_tokenizer(path)
    raise TokenizerError(
        f"unknown tokenizer {spec!r}",
        hint=f"use one of {', '.join(known_tokenizers())}",
    )


def head(tokenizer: Tokenizer, text: str, max_tokens: int) -> str:
    """The longest prefix of ``text`` found with at most ``max_tokens`` tokens.

    Costs about O(max_tokens): only a window a little larger than the kept
    text is ever tokenized.
    """
    return _end(tokenizer, text, max_tokens, from_end=False)


def tail(tokenizer: Tokenizer, text: str, max_tokens: int) -> str:
    """The longest suffix of ``text`` found with at most ``max_tokens`` tokens."""
    return _end(tokenizer, text, max_tokens, from_end=True)


def _end(tokenizer: Tokenizer, text: str, max_tokens: int, *, from_end: bool) -> str:
    """:func:`head` or :func:`tail`: the tokenizer's own method when it has one, else a search."""
    if max_tokens <= 0 or not text:
        return ""
    fast = getattr(tokenizer, "tail" if from_end else "head", None)
    if fast is not None:
        return str(fast(text, max_tokens))
    return _search(tokenizer, text, max_tokens, from_end=from_end)


# Counts are not always monotonic in the text's length: WordPiece reads a word longer than its limit as one
# [UNK], while its prefixes count a token a character. Up to this size the whole text is counted first,
# so text that fits always comes back unchanged.
_COUNT_WHOLE_UP_TO = 65_536


def _search(tokenizer: Tokenizer, text: str, max_tokens: int, *, from_end: bool) -> str:
    def piece(k: int) -> str:
        return text[len(text) - k :] if from_end else text[:k]

    if len(text) <= _COUNT_WHOLE_UP_TO and tokenizer.count(text) <= max_tokens:
        return text
    # Grow a window until it holds more than max_tokens, then binary-search
    # the longest piece that fits. Only pieces that were counted are returned.
    window = max(64, max_tokens * 8)
    while window < len(text) and tokenizer.count(piece(window)) <= max_tokens:
        window *= 4
    window = min(window, len(text))
    if tokenizer.count(piece(window)) <= max_tokens:
        return piece(window)
    lo, hi = 0, window  # count(piece(lo)) <= max_tokens < count(piece(hi))
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if tokenizer.count(piece(mid)) <= max_tokens:
            lo = mid
        else:
            hi = mid
    return piece(lo)
