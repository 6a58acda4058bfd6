"""compress_context: one budget shared across documents, without any framework."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from planted_facts import QUERY, documents, share_found
from plugin_factory import local_plugin

from compact_memory.compression import CompressedMemory, CompressionStrategy, CompressionTrace
from compact_memory.context import (
    DEFAULT_MIN_TOKENS,
    ContextDocument,
    ContextError,
    compress_context,
)
from compact_memory.context_budget import allocate, priority_order
from compact_memory.context_repeats import overlapping, remove_repeats
from compact_memory.errors import PluginError, UsageError
from compact_memory.strategies import BUILTINS
from compact_memory.strategies.sentences import split_units
from compact_memory.tokenizers import get_tokenizer

TOKENIZERS = ["words", "cl100k_base", "o200k_base"]
STRATEGIES = [spec.id for spec in BUILTINS if spec.id != "pipeline"]  # pipeline needs its steps as params


# --- the allocation rule ---------------------------------------------------


def test_shares_follow_one_over_rank() -> None:
    assert allocate([1000, 1000, 1000], [0, 1, 2], 110, 0) == [60, 30, 20]


def test_what_a_short_document_does_not_need_goes_to_the_others() -> None:
    # The first needs only 10 of its share; the other two split the remaining 90 as 1/2 : 1/3.
    assert allocate([10, 1000, 1000], [0, 1, 2], 100, 0) == [10, 54, 36]


def test_the_worst_ranked_documents_under_the_floor_are_dropped_and_the_rest_share_again() -> None:
    # 1, 1/2, 1/3, 1/4, 1/5 of 100 leaves the last three under 24; dropping them one by one gives 67 / 33.
    assert allocate([1000] * 5, [0, 1, 2, 3, 4], 100, 24) == [67, 33, 0, 0, 0]


def test_a_document_shorter_than_the_floor_is_kept_whole() -> None:
    assert allocate([1000, 5], [0, 1], 50, 24) == [45, 5]


def test_scores_give_the_rank_and_ties_keep_the_order() -> None:
    assert priority_order(3, [0.1, 0.9, 0.5]) == [1, 2, 0]
    assert priority_order(3, [0.5, 0.5, 0.5]) == [0, 1, 2]
    assert allocate([1000] * 3, priority_order(3, [0.1, 0.9, 0.5]), 110, 0) == [20, 60, 30]


def test_everything_fits_so_everything_is_kept() -> None:
    assert allocate([10, 0, 20], [0, 1, 2], 30, 24) == [10, 0, 20]


def test_repeated_sentences_are_kept_in_the_best_ranked_document() -> None:
    first = "Rivers flow into the sea. Cats purr loudly.\n\nMountains rise above the clouds."
    second = ("A new sentence opens here.\n\nRivers flow into the   SEA.\n\n"
              "Mountains rise above the clouds. Last words here.")
    texts, removed = remove_repeats([first, second], [0, 1])
    assert texts[0] is first
    assert texts[1] == "A new sentence opens here.\n\nLast words here."
    assert removed == [0, 2]
    texts, removed = remove_repeats([first, second], [1, 0])  # the second ranks first: it keeps them
    assert texts == ["Cats purr loudly.", second] and removed == [2, 0]


def test_short_units_are_not_treated_as_repeats() -> None:
    texts, removed = remove_repeats(["Yes.\n\n}\n\nThe end.", "Yes.\n\n}\n\nThe end.\n\nMore words here."], [0, 1])
    assert removed == [0, 0] and texts[1].startswith("Yes.\n\n}\n\nThe end.")


def test_documents_overlap_when_they_share_a_line() -> None:
    shared = "Contact support@example.com if a refund is late."
    texts = [f"First line here.\n{shared}", "Nothing in common at all.", f"  {shared.upper()}  \nMore text.",
             "See also:\n}", "See also:\n}"]
    assert overlapping(texts) == {0, 2}  # short lines ("See also:", "}") do not count


POOL = [
    "Rivers flow into the sea.", "Cats purr when they are content.", "The bridge opens at noon on Sundays.",
    "Refunds take five to ten business days.", "Mountains rise above the morning clouds.",
    "Our office is closed on public holidays.", "The ferry leaves from pier nine.", "Tea is served at four o'clock.",
]


@settings(max_examples=60, deadline=None)
@given(docs=st.lists(st.lists(st.tuples(st.sampled_from(POOL), st.sampled_from([" ", "\n", "\n\n"])),
                              min_size=1, max_size=8), min_size=2, max_size=5),
       budget=st.integers(24, 200), strategy=st.sampled_from(["extractive", "truncate"]))
def test_no_sentence_appears_twice_in_the_result(docs: list[list[tuple[str, str]]], budget: int,
                                                  strategy: str) -> None:
    texts = ["".join(sentence + gap for sentence, gap in doc).strip() for doc in docs]
    kept = compress_context(texts, budget, strategy)
    shown: set[str] = set()
    for k in kept:
        keys = {" ".join(k.text[u.start:u.end].lower().split()) for u in split_units(k.text)}
        assert not (keys & shown & {p.lower() for p in POOL}), (k.index, keys & shown)
        shown |= keys
    assert sum(get_tokenizer("words").count(k.text) for k in kept) <= budget


def test_overlapping_chunks_lose_their_repeats_before_their_shares_are_computed() -> None:
    first = "Rivers flow into the sea.\nCats purr when they are content.\nThe bridge opens at noon on Sundays."
    second = "The bridge opens at noon on Sundays.\nRefunds take five to ten business days.\nTea is served at four."
    kept = compress_context([first, second], 100)
    assert [k.text for k in kept] == [first, "Refunds take five to ten business days.\nTea is served at four."]
    step = kept[1].trace.steps[-1]["details"]
    assert (step["repeats_removed"], step["repeats_removed_after"]) == (1, 0)
    assert kept[1].original_tokens == get_tokenizer("words").count(second)
    assert kept[1].trace.input_summary["tokens"] == get_tokenizer("words").count(kept[1].text)


def test_a_repeat_wrapped_differently_is_removed_from_the_worse_output() -> None:
    first = "Rivers flow into the sea. The bridge opens at noon on Sundays. Cats purr."
    second = "Tea is served at four.\nThe bridge opens at noon\non Sundays.\nMountains rise above the clouds."
    assert overlapping([first, second]) == set()
    kept = compress_context([first, second], 100)
    assert kept[1].text == "Tea is served at four.\nMountains rise above the clouds."
    step = kept[1].trace.steps[-1]["details"]
    assert (step["repeats_removed"], step["repeats_removed_after"]) == (0, 1)
    assert kept[1].compressed_tokens == get_tokenizer("words").count(kept[1].text)
    assert kept[1].trace.output_summary["tokens"] == kept[1].compressed_tokens


# --- compress_context ---------------------------------------------------------


def test_documents_keep_their_order_and_metadata_and_report_their_counts() -> None:
    texts = documents()
    inputs: list[str | ContextDocument] = [ContextDocument(t, {"n": i}) if i % 2 else t for i, t in enumerate(texts)]
    kept = compress_context(inputs, 600, query=QUERY)
    tok = get_tokenizer("words")
    assert [k.index for k in kept] == sorted(k.index for k in kept)
    assert sum(tok.count(k.text) for k in kept) <= 600
    for k in kept:
        assert k.metadata == ({"n": k.index} if k.index % 2 else {})
        assert k.original_tokens == tok.count(texts[k.index])
        assert k.compressed_tokens == tok.count(k.text) <= k.allocated_tokens
        assert (k.strategy, k.tokenizer, k.trace.strategy_name, k.trace.tokenizer) == (
            "extractive", "words", "extractive", "words")
        (step,) = [s for s in k.trace.steps if s["type"] == "context"]
        assert step["details"]["allocated"] == k.allocated_tokens and step["details"]["document"] == k.index
        entry = k.metadata_entry()
        assert entry["trace"] == k.trace.to_dict() and entry["compressed_tokens"] == k.compressed_tokens
    assert share_found("\n".join(k.text for k in kept)) == 1.0


def test_a_context_that_fits_comes_back_unchanged() -> None:
    texts = ["First document, short.", "Second document, also short."]
    kept = compress_context(texts, 100)
    assert [k.text for k in kept] == texts


def test_the_query_reaches_strategies_that_take_it_and_not_the_others() -> None:
    seen: list[dict[str, Any]] = []

    class TakesAnything(CompressionStrategy):
        id = "takes_anything"

        def compress(self, text_or_chunks: Any, llm_token_budget: int, **kwargs: Any) -> Any:
            seen.append(kwargs)
            return CompressedMemory(text="kept"), CompressionTrace(strategy_name=self.id)

    class Original(CompressionStrategy):  # written for the original Compact Memory: no query, no **kwargs
        id = "original"

        def compress(self, text_or_chunks: Any, llm_token_budget: int, tokenizer: Any = None) -> Any:
            return CompressedMemory(text="old"), CompressionTrace(strategy_name=self.id)

    long_text = "word " * 200
    assert [k.text for k in compress_context([long_text], 50, TakesAnything, query="where?")] == ["kept"]
    assert seen[0]["query"] == "where?"
    assert [k.text for k in compress_context([long_text], 50, Original, query="where?")] == ["old"]


def test_a_plugin_strategy_from_a_local_plugin_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    local_plugin(tmp_path / "plugins", "ctx_pkg", "ctx_marker", marker="MARK ")
    monkeypatch.setenv("COMPACT_MEMORY_PLUGINS_PATH", str(tmp_path / "plugins"))
    kept = compress_context(documents()[:2], 100, "ctx_marker")
    assert [k.text.split()[0] for k in kept] == ["MARK", "MARK"] and kept[0].strategy == "ctx_marker"


def test_a_failing_plugin_is_reported_as_that_plugins_failure(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    source = ("from compact_memory.compression import CompressionStrategy\n"
              "class PluginStrategy(CompressionStrategy):\n    id = 'ctx_broken'\n"
              "    def compress(self, text_or_chunks, llm_token_budget, **kwargs):\n"
              "        raise RuntimeError('boom')\n")
    local_plugin(tmp_path / "plugins", "broken_pkg", "ctx_broken", source=source)
    monkeypatch.setenv("COMPACT_MEMORY_PLUGINS_PATH", str(tmp_path / "plugins"))
    with pytest.raises(PluginError, match=r"strategy 'ctx_broken' .* failed while compressing: RuntimeError: boom"):
        compress_context(documents()[:1], 100, "ctx_broken")


@pytest.mark.parametrize("tokenizer", TOKENIZERS)
@pytest.mark.parametrize("strategy", STRATEGIES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_returned_texts_never_exceed_the_budget(tokenizer: str, strategy: str, data: st.DataObject) -> None:
    sentence = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60).map(str.strip)
    document = st.lists(st.one_of(sentence, st.sampled_from(["A sentence that repeats here.", "", "\n\n"])),
                        max_size=12).map(lambda parts: " ".join(p + "." for p in parts if p) if parts else "")
    docs = data.draw(st.lists(document, max_size=8), label="documents")
    budget = data.draw(st.integers(0, 400), label="budget")
    floor = data.draw(st.integers(0, budget), label="min_tokens")
    scores = data.draw(st.none() | st.lists(st.floats(-5, 5), min_size=len(docs), max_size=len(docs)), label="scores")
    kept = compress_context(docs, budget, strategy, tokenizer=tokenizer, min_tokens=floor, scores=scores,
                            query=data.draw(st.sampled_from([None, "repeats", "what?"]), label="query"))
    tok = get_tokenizer(tokenizer)
    assert sum(tok.count(k.text) for k in kept) <= budget
    assert sum(k.allocated_tokens for k in kept) <= budget
    assert [k.index for k in kept] == sorted({k.index for k in kept})
    for k in kept:
        assert k.text.strip() and k.compressed_tokens == tok.count(k.text) <= k.allocated_tokens
        assert k.allocated_tokens >= min(floor, k.trace.input_summary["tokens"])


# --- bad input -------------------------------------------------------------------


def test_empty_input_gives_an_empty_list() -> None:
    assert compress_context([], 100) == []
    assert compress_context(["", "   \n\t"], 100) == []
    assert compress_context(["some text here"], 0) == []  # budget 0 gives empty output, whatever the floor


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("one text", 10), {"min_tokens": 0}, r"^documents: expected a list of texts or ContextDocument, got str"),
        ((["a", 3], 10), {"min_tokens": 0}, r"^documents\[1\]: text must be a str, got int"),
        (([ContextDocument(b"x")], 10), {"min_tokens": 0}, r"^documents\[0\]: text must be a str, got bytes"),
        ((["a"], -1), {}, r"^budget: budget must be >= 0, got -1"),
        ((["a"], 2.5), {}, r"^budget: budget must be a whole number of tokens, got 2.5"),
        ((["a"], True), {}, r"^budget: budget must be a whole number"),
        ((["a"], 10), {}, rf"^min_tokens: the per-document floor \({DEFAULT_MIN_TOKENS}\) is larger than the budget "
                          r"\(10\), .* \(hint: raise the budget or set min_tokens to at most 10"),
        ((["a"], 10), {"min_tokens": -2}, r"^min_tokens: must be a whole number of tokens >= 0, got -2"),
        ((["a"], 100, "extractiv"), {}, r"^strategy: unknown strategy 'extractiv' \(hint: did you mean 'extractive'\?"),
        ((["a"], 100, 42), {}, r"^strategy: 42 is not a strategy id"),
        ((["a"], 100), {"tokenizer": "cl100k"}, r"^tokenizer: unknown tokenizer 'cl100k' \(hint: use one of words"),
        ((["a"], 100), {"params": {"redundancy": "lots"}}, r"^params: parameter redundancy='lots' for strategy "
                                                           r"'extractive': expected a float"),
        ((["a"], 100), {"params": ["x=1"]}, r"^params: expected a mapping"),
        ((["a", "b"], 100), {"scores": [1.0]}, r"^scores: expected one number per document \(2\)"),
        ((["a"], 100), {"scores": [float("nan")]}, r"^scores\[0\]: expected a finite number, got nan"),
    ],
)
def test_bad_arguments_raise_a_value_error_naming_the_option(args: tuple[Any, ...], kwargs: dict[str, Any],
                                                             message: str) -> None:
    with pytest.raises(ContextError, match=message) as caught:
        compress_context(*args, **kwargs)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, UsageError)


def test_a_tokenizer_that_is_not_installed_names_the_extra() -> None:
    code = ("import sys; sys.modules['tiktoken'] = None\n"  # as if the tiktoken extra were not installed
            "from compact_memory.context import compress_context\n"
            "try:\n    compress_context(['a b c'], 10, tokenizer='cl100k_base', min_tokens=0)\n"
            "except ValueError as exc:\n    print(exc)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == ("tokenizer: the cl100k_base tokenizer needs the 'tiktoken' package, which is not "
                                     "installed (hint: pip install 'compact-memory[tiktoken]')"), result.stderr
    with pytest.raises(ContextError, match=r"^tokenizer: .*no-such-dir"):
        compress_context(["a"], 10, tokenizer="hf:/no-such-dir/tokenizer.json", min_tokens=0)
