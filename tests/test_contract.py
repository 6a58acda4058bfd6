"""The strategy contract, the compatibility import paths and in-process registration."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import compact_memory
from compact_memory.compression import (
    CompressedMemory,
    CompressionStrategy,
    CompressionTrace,
    available_strategies,
    get_compression_strategy,
    register_compression_strategy,
    unregister_compression_strategy,
)
from compact_memory.errors import PluginError, StrategyNotFoundError, UsageError


def test_compat_import_paths_resolve_to_the_same_classes() -> None:
    from compact_memory.compression import strategies_abc, trace

    assert strategies_abc.CompressionStrategy is CompressionStrategy
    assert strategies_abc.CompressedMemory is CompressedMemory
    assert strategies_abc.CompressionTrace is CompressionTrace
    assert trace.CompressionTrace is CompressionTrace
    assert compact_memory.CompressionStrategy is CompressionStrategy


def test_trace_keeps_original_positional_fields() -> None:
    t = CompressionTrace("s", {"p": 1}, {"in": 2}, [{"type": "x"}], {"out": 3}, 1.5, "preview")
    assert (t.strategy_name, t.strategy_params, t.input_summary, t.steps, t.output_summary, t.processing_ms,
            t.final_compressed_object_preview) == (
        "s", {"p": 1}, {"in": 2}, [{"type": "x"}], {"out": 3}, 1.5, "preview")
    assert CompressionTrace("s").steps == [] and CompressionTrace("s").output_summary == {}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=10,
)


@given(
    name=st.text(), params=st.dictionaries(st.text(max_size=8), json_values, max_size=4),
    steps=st.lists(st.dictionaries(st.text(max_size=8), json_values, max_size=3), max_size=3),
    ms=st.none() | st.floats(min_value=0, max_value=1e9), preview=st.none() | st.text(),
)
def test_trace_json_round_trip_is_lossless(
    name: str, params: dict, steps: list, ms: float | None, preview: str | None
) -> None:
    t = CompressionTrace(name, params, {"tokens": 3}, steps, {"tokens": 1}, ms, preview, tokenizer="words")
    again = CompressionTrace.from_json(t.to_json())
    assert again == t
    assert json.loads(again.to_json()) == json.loads(t.to_json())


def test_trace_from_dict_rejects_unknown_fields() -> None:
    with pytest.raises(ValueError, match="unknown CompressionTrace field"):
        CompressionTrace.from_dict({"strategy_name": "x", "bogus": 1})


class Legacy(CompressionStrategy):
    """Written against the original signature; gets the budget positionally."""

    id = "legacy_contract"

    def compress(self, text_or_chunks: Any, llm_token_budget: int, **kwargs: Any):
        self.seen = (text_or_chunks, llm_token_budget, sorted(kwargs))
        words = " ".join(text_or_chunks if isinstance(text_or_chunks, list) else [text_or_chunks]).split()
        return CompressedMemory(" ".join(words[:llm_token_budget])), CompressionTrace(self.id)


def test_runtime_passes_text_and_budget_positionally_and_fills_the_trace() -> None:
    strategy = Legacy()
    memory, trace = compact_memory.compress(["a b", "c d e"], 3, strategy, query="q")
    assert strategy.seen == (["a b", "c d e"], 3, ["query", "tokenizer"])
    assert memory.text == "a b c"
    assert trace.tokenizer == "words"
    assert trace.input_summary["tokens"] == 5 and trace.output_summary["tokens"] == 3
    assert trace.input_summary["budget"] == 3 and trace.processing_ms is not None


def test_runtime_enforces_the_budget_on_a_plugin_that_overshoots() -> None:
    class Greedy(CompressionStrategy):
        id = "greedy"

        def compress(self, text_or_chunks: Any, llm_token_budget: int, **kwargs: Any):
            return CompressedMemory(text_or_chunks), CompressionTrace(self.id)

    memory, trace = compact_memory.compress("one two three four", 2, Greedy())
    assert memory.text == "one two"
    assert trace.steps[-1]["type"] == "runtime_budget_cut"


@pytest.mark.parametrize("budget", [-1, 1.5, "3", True, None])
def test_bad_budgets_are_usage_errors(budget: object) -> None:
    with pytest.raises(UsageError):
        compact_memory.compress("text", budget, "truncate")  # type: ignore[arg-type]


def test_bad_results_are_plugin_errors() -> None:
    class Wrong(CompressionStrategy):
        id = "wrong"

        def compress(self, text_or_chunks: Any, llm_token_budget: int, **kwargs: Any):
            return "just a string"

    with pytest.raises(PluginError, match="not \\(CompressedMemory, CompressionTrace\\)"):
        compact_memory.compress("text", 3, Wrong())


def test_register_in_process() -> None:
    class Mine(CompressionStrategy):
        id = "mine_registered"

        def compress(self, text_or_chunks: Any, llm_token_budget: int, **kwargs: Any):
            return CompressedMemory("mine"), CompressionTrace(self.id)

    class Other(Mine):
        pass

    register_compression_strategy(Mine)
    try:
        assert "mine_registered" in available_strategies()
        assert get_compression_strategy("mine_registered") is Mine
        register_compression_strategy(Mine)  # the same class again is fine
        with pytest.raises(UsageError, match=r"already registered by .*Mine"):
            register_compression_strategy(Other)
    finally:
        unregister_compression_strategy("mine_registered")
    with pytest.raises(StrategyNotFoundError):
        get_compression_strategy("mine_registered")


def test_registering_over_a_builtin_needs_override() -> None:
    class MyTruncate(CompressionStrategy):
        id = "truncate"

        def compress(self, text_or_chunks: Any, llm_token_budget: int, **kwargs: Any):
            return CompressedMemory("mine"), CompressionTrace(self.id)

    with pytest.raises(UsageError, match="built-in"):
        register_compression_strategy(MyTruncate)
    register_compression_strategy(MyTruncate, override_builtin=True)
    try:
        assert get_compression_strategy("truncate") is MyTruncate
    finally:
        unregister_compression_strategy("truncate")
    assert get_compression_strategy("truncate") is not MyTruncate


@pytest.mark.parametrize("bad", ["Upper", "1abc", "a-b", "", "x" * 65])
def test_register_rejects_bad_ids(bad: str) -> None:
    cls = type("Bad", (Legacy,), {"id": bad})
    with pytest.raises(UsageError, match="is not a strategy id"):
        register_compression_strategy(cls)


def test_unknown_id_error_names_available_and_suggests() -> None:
    with pytest.raises(StrategyNotFoundError) as info:
        get_compression_strategy("truncat")
    message = str(info.value)
    assert "did you mean 'truncate'" in message and "\n" not in message


def test_version_is_a_literal() -> None:
    assert compact_memory.__version__.count(".") == 2


def test_the_runtime_converts_string_params_by_their_declared_type() -> None:
    from compact_memory import compress
    from compact_memory.compression.strategies_abc import CompressedMemory, CompressionStrategy, Param
    from compact_memory.compression.trace import CompressionTrace

    class Flagged(CompressionStrategy):
        id = "flagged"
        params = (Param("shout", bool, False, "upper-case the output"), Param("n", int, 1, "repeat"))

        def __init__(self, shout: bool = False, n: int = 1, **extra: object) -> None:
            self.shout, self.n, self.extra = shout, n, extra

        def compress(self, text_or_chunks, llm_token_budget, **kwargs):  # type: ignore[no-untyped-def]
            text = f"{self.shout!r} {self.n!r} {sorted(self.extra)}"
            return CompressedMemory(text=text), CompressionTrace(strategy_name=self.id)

    memory, _ = compress("x", 50, Flagged, params={"shout": "false", "n": "3"})
    assert memory.text == "False 3 []"
    # Declared params are the whole list, through the Python API as on the command line.
    with pytest.raises(UsageError, match=r"unknown parameter 'other' for strategy 'flagged'.*known parameters: n, s"):
        compress("x", 50, Flagged, params={"other": "refused"})
