"""``compact_memory.compress_many``: order, budgets per text, errors, workers, what can travel to them."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest

import compact_memory
from compact_memory import compress, compress_many
from compact_memory.batch import TextFile, available_cores, parse_jobs
from compact_memory.compression import (
    CompressedMemory,
    CompressionStrategy,
    CompressionTrace,
    register_compression_strategy,
    unregister_compression_strategy,
)
from compact_memory.errors import InputError, PluginError, UsageError

TEXTS = [
    f"Document {i} opens with a sentence. "
    + " ".join(f"Sentence {k} of document {i} says thing {k * i}." for k in range(i + 3))
    for i in range(25)
]


class Shouting(CompressionStrategy):
    """Registered in-process by a test; importable by module and name, so workers can load it."""

    id = "shouting"

    def compress(self, text_or_chunks: Any, llm_token_budget: int, **kwargs: Any) -> Any:
        text = text_or_chunks if isinstance(text_or_chunks, str) else " ".join(text_or_chunks)
        if "FAIL" in text:
            raise RuntimeError("no shouting about failures")
        return CompressedMemory(text=" ".join(text.split()[:llm_token_budget]).upper()), CompressionTrace(self.id)


class Characters:
    """A tokenizer instance: one token per character."""

    name = "characters"

    def count(self, text: str) -> int:
        return len(text)


@pytest.fixture
def shouting() -> Any:
    register_compression_strategy(Shouting)
    yield Shouting
    unregister_compression_strategy("shouting")


def expected(texts: list[str], budgets: list[int], strategy: str = "extractive", **kwargs: Any) -> list[str]:
    return [compress(t, b, strategy, **kwargs)[0].text for t, b in zip(texts, budgets, strict=True)]


def test_exported_lazily_from_the_package() -> None:
    assert compact_memory.compress_many is compress_many


@pytest.mark.parametrize("jobs", [1, 2])
def test_results_in_input_order_equal_compress(jobs: int) -> None:
    budgets = [5 + 3 * i for i in range(len(TEXTS))]
    results = list(compress_many(TEXTS, budgets, "extractive", query="thing 12", jobs=jobs))
    assert [r.index for r in results] == list(range(len(TEXTS)))
    assert [r.text for r in results] == expected(TEXTS, budgets, query="thing 12")
    for result, budget in zip(results, budgets, strict=True):
        _, trace = result.unwrap()
        assert trace.output_summary["tokens"] <= budget == trace.input_summary["budget"]
        assert trace.processing_ms is not None and trace.tokenizer == "words"


def test_two_jobs_equal_one_with_a_bpe_tokenizer_params_and_chunks() -> None:
    pytest.importorskip("tiktoken")
    items: list[Any] = [*TEXTS[:10], ["A chunk of text here.", "Another chunk follows it."]]
    kwargs: dict[str, Any] = {"tokenizer": "cl100k_base", "params": {"redundancy": "0.5"}}
    one = [r.text for r in compress_many(items, 12, **kwargs)]
    two = [r.text for r in compress_many(items, 12, jobs=2, **kwargs)]
    assert one == two and one[-1]


def test_text_files_are_read_where_they_are_compressed(tmp_path: Path) -> None:
    paths = []
    for i, text in enumerate(TEXTS[:6]):
        paths.append(tmp_path / f"{i}.txt")
        paths[-1].write_text(text, encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe not text")
    items = [TextFile(p) for p in paths] + [TextFile(tmp_path / "bad.txt"), TextFile(tmp_path / "missing.txt")]
    for jobs in (1, 2):
        results = list(compress_many(items, 9, "truncate", jobs=jobs, errors="return"))
        assert [r.text for r in results[:6]] == expected(TEXTS[:6], [9] * 6, "truncate")
        assert isinstance(results[6].error, InputError) and "not valid utf-8" in str(results[6].error)
        assert str(results[7].error) == f"{tmp_path / 'missing.txt'}: no such file"
        with pytest.raises(InputError):
            results[7].unwrap()


@pytest.mark.parametrize("jobs", [1, 2])
def test_errors_raise_in_order_or_come_back_as_results(jobs: int, shouting: type) -> None:
    texts = ["one two three", "FAIL here", "four five six", "FAIL again"]
    returned = list(compress_many(texts, 2, "shouting", jobs=jobs, errors="return"))
    assert [r.ok for r in returned] == [True, False, True, False]
    assert [r.text for r in returned if r.ok] == ["ONE TWO", "FOUR FIVE"]
    error = returned[1].error
    assert isinstance(error, PluginError)
    assert str(error).startswith("strategy 'shouting' (test_batch.Shouting) failed while compressing: "
                                 "RuntimeError: no shouting about failures")
    seen = []
    with pytest.raises(PluginError, match="no shouting"):
        for result in compress_many(texts, 2, "shouting", jobs=jobs):
            seen.append(result.text)
    assert seen == ["ONE TWO"]


def test_a_registered_class_and_a_tokenizer_instance_travel_to_workers(shouting: type) -> None:
    one = [r.text for r in compress_many(TEXTS[:8], 30, "extractive", tokenizer=Characters())]
    two = [r.text for r in compress_many(TEXTS[:8], 30, "extractive", tokenizer=Characters(), jobs=2)]
    assert one == two and all(len(t) <= 30 for t in one)
    assert [r.text for r in compress_many(TEXTS[:4], 3, Shouting(), jobs=2)] == \
        [r.text for r in compress_many(TEXTS[:4], 3, "shouting")]


def test_a_class_workers_cannot_import_fails_at_once_with_a_hint() -> None:
    class Local(CompressionStrategy):
        id = "local_only"

        def compress(self, text_or_chunks: Any, llm_token_budget: int, **kwargs: Any) -> Any:
            return CompressedMemory(text=""), CompressionTrace(self.id)

    assert [r.text for r in compress_many(["a b"], 1, Local)] == [""]
    with pytest.raises(UsageError) as caught:
        list(compress_many(["a b", "c d"], 1, Local, jobs=2))
    assert "cannot be sent to worker processes" in str(caught.value)
    assert "pass the strategy id and tokenizer name, or use one job" in str(caught.value)


def test_arguments_are_checked_before_any_work() -> None:
    with pytest.raises(UsageError, match="must be >= 0"):
        compress_many(TEXTS, 10, jobs=-1)
    with pytest.raises(UsageError, match="whole number of processes"):
        compress_many(TEXTS, 10, jobs="many")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="whole number of processes"):
        compress_many(TEXTS, 10, jobs=True)
    with pytest.raises(UsageError, match="budget must be >= 0"):
        compress_many(TEXTS, -1)
    with pytest.raises(UsageError, match="unknown parameter 'nope'"):
        compress_many(TEXTS, 10, params={"nope": 1})
    with pytest.raises(UsageError, match="errors must be"):
        compress_many(TEXTS, 10, errors="ignore")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="exactly one per text"):
        list(compress_many(TEXTS, [10, 20]))
    with pytest.raises(UsageError, match="budget must be >= 0"):
        list(compress_many(TEXTS[:2], [10, -2], jobs=2))


def test_jobs_zero_means_every_available_core() -> None:
    assert parse_jobs(0) == available_cores() >= 1
    assert parse_jobs("3") == 3


def test_closing_early_stops_the_workers() -> None:
    results = compress_many(TEXTS * 4, 10, jobs=2)
    first = next(results)
    assert first.index == 0
    results.close()
    assert multiprocessing.active_children() == []


def test_in_flight_work_is_bounded() -> None:
    """Inputs are pulled only as results go out: never more than a few per worker ahead."""
    from compact_memory.parallel import IN_FLIGHT_PER_JOB

    pulled = []

    def texts() -> Any:
        for i in range(200):
            pulled.append(i)
            yield f"Text number {i}. It has two sentences."

    results = compress_many(texts(), 3, "truncate", jobs=2)
    for result in results:
        # dispatched or done but not yet handed over, plus the handed-over queue: two windows of jobs * IN_FLIGHT
        assert len(pulled) - result.index <= 2 * 2 * IN_FLIGHT_PER_JOB + 1
    assert len(pulled) == 200
