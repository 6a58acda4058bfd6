"""``pipeline``: chained strategies with per-step params and budgets, from Python and the CLI."""

from __future__ import annotations

import json
from typing import Any

import pytest

import compact_memory
from compact_memory.compression import CompressedMemory, CompressionStrategy, CompressionTrace
from compact_memory.errors import PluginError, StrategyNotFoundError, UsageError
from compact_memory.strategies.first_last import FirstLastStrategy
from compact_memory.strategies.pipeline import DEFAULT_STEPS, PipelineStrategy, parse_steps
from compact_memory.strategies.prune import PruneStrategy
from compact_memory.strategies.truncate import TruncateStrategy
from compact_memory.tokenizers import get_tokenizer
from tests.conftest import run_cli

WORDS = get_tokenizer("words")
TEXT = "\n".join(f"The line {i} is really not very long, basically." for i in range(40))


class Overshoot(CompressionStrategy):
    """Ignores the budget and echoes what it was called with: the pipeline must still cap the output."""

    id = "overshoot"
    params = ()

    def __init__(self) -> None:
        self.calls: list[tuple[Any, int, dict[str, Any]]] = []

    def compress(
        self, text_or_chunks: Any, llm_token_budget: int, **kwargs: Any
    ) -> tuple[CompressedMemory, CompressionTrace]:
        self.calls.append((text_or_chunks, llm_token_budget, kwargs))
        text = text_or_chunks if isinstance(text_or_chunks, str) else "\n\n".join(text_or_chunks)
        trace = CompressionTrace(self.id)
        trace.add_step("echo", {"chars": len(text)})
        return CompressedMemory(text + " extra words"), trace


def run(
    pipeline: PipelineStrategy, text: Any = TEXT, budget: int = 40, **kwargs: Any
) -> tuple[CompressedMemory, CompressionTrace]:
    return pipeline.compress(text, budget, tokenizer=WORDS, **kwargs)


# --- the step string ---------------------------------------------------------


def test_parse_steps_syntax() -> None:
    assert parse_steps("prune@NONE|truncate@0")[0]["budget"] == "none"
    assert parse_steps("prune|truncate") == [
        {"strategy": "prune", "params": {}}, {"strategy": "truncate", "params": {}}]
    assert parse_steps(" prune @ 300 : extra_words=a\\,b\\|c , keep_words=x=y|first_last:marker=\\:\\@\\\\ ") == [
        {"strategy": "prune", "params": {"extra_words": "a,b|c ", "keep_words": "x=y"}, "budget": 300},
        {"strategy": "first_last", "params": {"marker": ":@\\ "}},
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "no strategy id"),
        ("prune||truncate", "no strategy id"),
        ("prune@x", "budget must be a whole number"),
        ("prune@-1", "budget must be a whole number"),
        ("prune@nan", "or 'none'"),
        ("prune:extra_words", "expected KEY=VALUE"),
        ("prune:=a", "expected KEY=VALUE"),
        ("prune:extra_words=a\\n", "backslash may only precede"),
        ("prune:extra_words=a\\", "lone backslash"),
    ],
)
def test_parse_steps_errors(spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        PipelineStrategy(spec)


def test_default_steps_are_declared_as_a_string_param() -> None:
    (param,) = PipelineStrategy.params
    assert (param.name, param.type, param.default) == ("steps", str, DEFAULT_STEPS)
    assert [(s.id, s.params, s.budget) for s in PipelineStrategy().steps] == [
        ("prune", {"always": True}, "none"), ("extractive", {}, None)]


def test_default_pipeline_prunes_everything_then_extracts() -> None:
    text = "\n".join(f"The line {i} is really not very long. It talks about item {i}." for i in range(60))
    memory, trace = run(PipelineStrategy(), text, budget=60, query="item 42")
    assert WORDS.count(memory.text) <= 60
    assert "It talks about item 42." in memory.text and "really" not in memory.text
    prune_step, extract_step = (s["details"] for s in trace.steps)
    assert prune_step["budget"] == prune_step["input_tokens"] == WORDS.count(text)
    assert prune_step["output_tokens"] < prune_step["input_tokens"]
    assert (extract_step["budget"], extract_step["input_tokens"]) == (60, prune_step["output_tokens"])


def test_same_budget_prune_leaves_nothing_to_choose() -> None:
    text = "\n".join(f"The line {i} is really not very long. It talks about item {i}." for i in range(60))
    memory, trace = run(PipelineStrategy("prune|extractive"), text, budget=60, query="item 42")
    assert "item 42" not in memory.text
    assert trace.steps[0]["details"]["output_tokens"] <= 60


# --- building from Python ----------------------------------------------------


def test_steps_from_python_with_params_and_budgets() -> None:
    pipeline = PipelineStrategy(steps=[
        {"strategy": "prune", "params": {"extra_words": "line"}, "budget": 100},
        {"strategy": "first_last", "params": {"head_fraction": "0.25", "marker": " ~ "}},
    ])
    assert [(s.id, s.params, s.budget) for s in pipeline.steps] == [
        ("prune", {"extra_words": "line"}, 100),
        ("first_last", {"head_fraction": 0.25, "marker": " ~ "}, None),
    ]
    memory, trace = run(pipeline, budget=40)
    assert WORDS.count(memory.text) <= 40
    prune_step, last_step = (s["details"] for s in trace.steps)
    assert (prune_step["strategy"], prune_step["budget"]) == ("prune", 100)
    assert prune_step["input_tokens"] == WORDS.count(TEXT)
    assert prune_step["output_tokens"] <= 100
    assert (last_step["strategy"], last_step["budget"], last_step["input_tokens"]) == (
        "first_last", 40, prune_step["output_tokens"])
    assert last_step["output_tokens"] == WORDS.count(memory.text)
    assert " ~ " in memory.text and "line" not in memory.text.split() and "very" not in memory.text.split()
    assert memory.text.startswith("0 is not long, basically.")
    assert json.loads(trace.to_json())["strategy_params"]["steps"][0] == {
        "strategy": "prune", "params": {"extra_words": "line"}, "budget": 100}
    assert CompressionTrace.from_json(trace.to_json()) == trace


def test_steps_accept_ids_classes_and_instances() -> None:
    steps: list[Any] = ["prune", {"strategy": FirstLastStrategy, "params": {"marker": "|"}}, TruncateStrategy()]
    pipeline = PipelineStrategy(steps)
    assert [s.id for s in pipeline.steps] == ["prune", "first_last", "truncate"]
    assert isinstance(pipeline.steps[0].strategy, PruneStrategy)


def test_intermediate_steps_get_the_final_budget_unless_given() -> None:
    probe = Overshoot()
    pipeline = PipelineStrategy([{"strategy": probe}, {"strategy": probe, "budget": 7}, "truncate"])
    run(pipeline, budget=20, query="which line?")
    assert [budget for _, budget, _ in probe.calls] == [20, 7]
    for _, _, kwargs in probe.calls:
        assert kwargs["tokenizer"] is WORDS and kwargs["query"] == "which line?"


def test_first_step_gets_the_chunks_as_given() -> None:
    probe = Overshoot()
    chunks = ["first chunk " * 30, "second chunk " * 30]
    memory, _ = run(PipelineStrategy([{"strategy": probe}]), chunks, budget=10)
    assert probe.calls[0][0] == chunks
    assert memory.text == "first chunk first chunk first chunk first chunk first chunk"


def test_final_output_is_cut_to_the_budget_and_the_cut_is_traced() -> None:
    memory, trace = run(PipelineStrategy([{"strategy": Overshoot}]), budget=12)
    assert WORDS.count(memory.text) == 12 and TEXT.startswith(memory.text)
    step, cut = trace.steps
    assert step["details"]["strategy"] == "overshoot" and step["details"]["steps"] == [
        {"type": "echo", "details": {"chars": len(TEXT)}}]
    assert step["details"]["output_tokens"] == WORDS.count(TEXT) + 2
    assert cut["type"] == "budget_cut" and cut["details"]["budget"] == 12


def test_text_that_fits_is_returned_unchanged_without_running_steps() -> None:
    probe = Overshoot()
    memory, trace = run(PipelineStrategy([{"strategy": probe}]), TEXT, budget=WORDS.count(TEXT))
    assert memory.text == TEXT and probe.calls == []
    assert [s["type"] for s in trace.steps] == ["fits"]


def test_budget_zero_gives_nothing() -> None:
    memory, _ = run(PipelineStrategy("prune|truncate"), budget=0)
    assert memory.text == ""


def test_a_pipeline_cannot_contain_itself() -> None:
    with pytest.raises(UsageError, match="cannot contain itself"):
        PipelineStrategy("prune|pipeline")
    with pytest.raises(UsageError, match="cannot contain itself"):
        PipelineStrategy([{"strategy": PipelineStrategy}])
    inner = PipelineStrategy("prune")
    with pytest.raises(UsageError, match="cannot contain itself"):
        PipelineStrategy([inner])


@pytest.mark.parametrize(
    ("steps", "error", "message"),
    [
        ([], UsageError, "at least one step"),
        ("nosuch", StrategyNotFoundError, "unknown strategy 'nosuch'"),
        ("prune:bogus=1", UsageError, "unknown parameter 'bogus'.*always, extra_words, keep_words"),
        ("first_last:head_fraction=lots", UsageError, "expected a float"),
        ([{"strategy": "prune", "oops": 1}], UsageError, "unknown key"),
        ([{"params": {}}], UsageError, "no 'strategy'"),
        ([{"strategy": "prune", "params": [1]}], UsageError, "'params' must be a dict"),
        ([{"strategy": "prune", "budget": -3}], UsageError, "budget must be"),
        ([{"strategy": TruncateStrategy(), "params": {"x": 1}}], UsageError, "instance"),
        ([3], UsageError, "strategy id or a dict"),
        ([{"strategy": 3}], UsageError, "not a strategy id"),
    ],
)
def test_bad_steps_are_reported(steps: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        PipelineStrategy(steps)


def test_a_step_returning_garbage_is_a_plugin_error() -> None:
    class Broken(Overshoot):
        id = "broken"

        def compress(self, text_or_chunks: Any, llm_token_budget: int, **kwargs: Any) -> Any:
            return "just text"

    with pytest.raises(PluginError, match=r"'broken' .*returned str"):
        run(PipelineStrategy([Broken]))


def test_through_the_runtime_with_params() -> None:
    memory, trace = compact_memory.compress(TEXT, 30, "pipeline", params={"steps": "prune@200|first_last:marker= ~ "})
    assert WORDS.count(memory.text) <= 30 and " ~ " in memory.text
    assert [s["details"]["strategy"] for s in trace.steps] == ["prune", "first_last"]


# --- the real CLI --------------------------------------------------------------


def test_cli_pipeline_with_per_step_params() -> None:
    result = run_cli("compress", "--text", TEXT, "--budget", "25", "--strategy", "pipeline", "--json",
                     "--param", "steps=prune@300:extra_words=line|first_last:head_fraction=0.2,marker=\\|")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["stats"]["output_tokens"] <= 25
    first = doc["text"].partition("|")[0]
    assert WORDS.count(first) == 4 and doc["text"].endswith("39 is not long, basically.")
    steps = doc["trace"]["steps"]
    assert [(s["details"]["strategy"], s["details"]["budget"]) for s in steps] == [("prune", 300), ("first_last", 25)]
    assert all({"input_tokens", "output_tokens"} <= set(s["details"]) for s in steps)


def test_cli_pipeline_plain_text() -> None:
    result = run_cli("compress", "--text", "The cat is not very big. " * 10, "--budget", "8",
                     "--strategy", "pipeline", "--param", "steps=prune|truncate")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Cat is not big. Cat is not\n"


@pytest.mark.parametrize(
    ("steps", "message"),
    [("prune|pipeline", "cannot contain itself"), ("prune:nope=1", "unknown parameter 'nope'"), ("prune@x", "budget")],
)
def test_cli_pipeline_usage_errors(steps: str, message: str) -> None:
    result = run_cli("compress", "--text", TEXT, "--budget", "5", "--strategy", "pipeline", "--param", f"steps={steps}")
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_cli_unknown_step_strategy() -> None:
    result = run_cli("compress", "--text", TEXT, "--budget", "5", "--strategy", "pipeline",
                     "--param", "steps=prune|trunc")
    assert result.returncode == 1
    assert "unknown strategy 'trunc'" in result.stderr and "did you mean 'truncate'" in result.stderr
