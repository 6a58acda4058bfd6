"""Call a compact-memory tokenizer the Hugging Face way, as strategies for the original Compact Memory do.

``tokenizer(text)`` returns ``{"input_ids": [...], "attention_mask": [...]}``
(a list of texts gives lists of those lists); ``tokenizer.tokenize(text)``
returns the token strings and ``encode``/``decode`` convert. ``count``,
``head`` and ``tail`` stay the fast, budget-exact path: prefer them.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class HuggingFaceStyle:
    """Mixed into every tokenizer compact-memory hands to a strategy; the class provides ``encode``."""

    def encode(self, text: str) -> list[int]:  # pragma: no cover - every tokenizer class defines it
        raise NotImplementedError

    def __call__(self, text: str | list[str], **_options: Any) -> dict[str, Any]:
        if isinstance(text, str):
            ids = self.encode(text)
            return {"input_ids": ids, "attention_mask": [1] * len(ids)}
        if isinstance(text, (list, tuple)) and all(isinstance(t, str) for t in text):
            batch = [self.encode(t) for t in text]
            return {"input_ids": batch, "attention_mask": [[1] * len(ids) for ids in batch]}
        raise TypeError(f"a tokenizer takes a string or a list of strings, not {type(text).__name__}")
