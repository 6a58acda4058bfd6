"""A local Hugging Face ``tokenizer.json``, counted with the ``tokenizers`` package."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from compact_memory.errors import TokenizerError
from compact_memory.tokenizers.hf_style import HuggingFaceStyle

if TYPE_CHECKING:
    import tokenizers

__all__ = ["HFTokenizer", "load_hf_tokenizer"]

INSTALL_HINT = "pip install 'compact-memory[hf]'"
_FILE_HINT = "pass the path of a Hugging Face tokenizer.json, e.g. hf:models/mine/tokenizer.json"


class HFTokenizer(HuggingFaceStyle):
    """Counts the tokens of the text itself: special tokens a post-processor adds are left out."""

    def __init__(self, name: str, tokenizer: tokenizers.Tokenizer) -> None:
        self.name = name
        self._tokenizer = tokenizer

    def count(self, text: str) -> int:
        return len(self.encode(text))

    def encode(self, text: str) -> list[int]:
        return list(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def decode(self, ids: Iterable[int]) -> str:
        return self._tokenizer.decode(list(ids), skip_special_tokens=False)

    def tokenize(self, text: str) -> list[str]:
        return list(self._tokenizer.encode(text, add_special_tokens=False).tokens)

    def __repr__(self) -> str:
        return f"HFTokenizer({self.name!r})"


def load_hf_tokenizer(path: Path) -> HFTokenizer:
    """Load ``path`` (a ``tokenizer.json``, or a directory holding one)."""
    try:
        import tokenizers
    except ImportError:
        raise TokenizerError(
            f"reading {path} needs the 'tokenizers' package, which is not installed",
            hint=INSTALL_HINT,
        ) from None
    path = Path(path)
    if path.is_dir() and (path / "tokenizer.json").is_file():
        path = path / "tokenizer.json"
    if not path.is_file():
        what = "is a directory without a tokenizer.json" if path.is_dir() else "does not exist"
        raise TokenizerError(f"tokenizer file {path} {what}", hint=_FILE_HINT)
    try:
        tokenizer = tokenizers.Tokenizer.from_str(path.read_text(encoding="utf-8"))
    except Exception as exc:  # OSError, UnicodeDecodeError, or the bare Exception tokenizers raises
        raise TokenizerError(f"{path} is not a valid tokenizer.json: {_first_line(exc)}", hint=_FILE_HINT) from None
    # A tokenizer.json may carry truncation or padding settings; either would
    # make counts lie, so counting always sees the whole text, unpadded.
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return HFTokenizer(f"hf:{path}", tokenizer)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
