"""compact_memory.token_utils and the Hugging Face way of calling tokenizers, as the original documented them."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compact_memory.testing import available_tokenizers
from compact_memory.token_utils import get_tokenizer, token_count, tokenize_text, truncate_text
from compact_memory.tokenizers import get_tokenizer as core_get_tokenizer


class ObjectWithTokenize:
    def tokenize(self, text: str) -> list[str]:
        return text.split()


def hf_like(text: str) -> dict[str, Any]:
    return {"input_ids": [len(w) for w in text.split()], "attention_mask": [1] * len(text.split())}


FORMS = {"str.split": str.split, "tokenize-object": ObjectWithTokenize(), "hf-callable": hf_like,
         "list-callable": lambda text: list(text)}


def test_get_tokenizer_is_the_core_one() -> None:
    assert get_tokenizer is core_get_tokenizer


@pytest.mark.parametrize("tokenizer", available_tokenizers(), ids=lambda t: t.name)
def test_compact_memory_tokenizers_can_be_called_the_hugging_face_way(tokenizer: Any) -> None:
    text = "Hello, wörld! 日本語 text."
    out = tokenizer(text)
    assert len(out["input_ids"]) == tokenizer.count(text) == len(out["attention_mask"])
    assert len(tokenizer.tokenize(text)) == tokenizer.count(text)
    batch = tokenizer([text, "a b"])["input_ids"]
    assert [len(ids) for ids in batch] == [tokenizer.count(text), tokenizer.count("a b")]
    if hasattr(tokenizer, "decode"):
        assert tokenizer.decode(out["input_ids"]) == text
    with pytest.raises(TypeError, match="takes a string or a list of strings"):
        tokenizer(42)


@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_form_the_original_accepted(form: str) -> None:
    tokenizer = FORMS[form]
    text = "one two three four five"
    assert token_count(tokenizer, text) == len(tokenize_text(tokenizer, text))
    cut = truncate_text(tokenizer, text, 3)
    assert text.startswith(cut) and token_count(tokenizer, cut) <= 3
    assert truncate_text(tokenizer, text, 100) == text


def test_what_is_not_a_tokenizer_is_a_clear_type_error() -> None:
    with pytest.raises(TypeError, match="is not a tokenizer"):
        tokenize_text(42, "text")
    with pytest.raises(TypeError, match="without input_ids"):
        tokenize_text(lambda text: {"ids": []}, "text")


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=300), budget=st.integers(min_value=0, max_value=40))
def test_truncate_text_never_exceeds_the_budget(text: str, budget: int) -> None:
    for tokenizer in [*available_tokenizers(), str.split]:
        cut = truncate_text(tokenizer, text, budget)
        assert token_count(tokenizer, cut) <= budget and text.startswith(cut)
