"""``pipeline``: run strategies one after another, each on the previous output.

From Python, give the steps as a list::

    PipelineStrategy(steps=[
        {"strategy": "prune", "params": {"always": True}, "budget": "none"},
        {"strategy": "extractive", "params": {"...": ...}, "budget": 400},
        "truncate",
    ])

A step is a strategy id, or a dict with ``strategy`` (an id, a strategy class
or an instance), optional ``params`` (constructor arguments; strings are
converted by the step's declared param types) and an optional intermediate
``budget`` (tokens, or ``"none"``).

From the command line (``--param steps=...``), the same in one string::

    prune@none:always=true|extractive@400:query=error handling,max_sentences=5|truncate

Steps are separated by ``|``. Each is ``ID``, optionally ``@BUDGET``, then
optionally ``:`` and comma-separated ``KEY=VALUE`` params. ``BUDGET`` is a
whole number of tokens, or ``none`` for a step that is not capped (it is
called with its input's token count, or the final budget if that is larger).
A backslash makes the next character literal (``\\,`` ``\\|`` ``\\:``
``\\=`` ``\\@`` ``\\\\``).

Steps are resolved like ``--strategy`` (so plugins work too) when the
pipeline is built. Every step gets the final budget unless it has its own,
and the same ``tokenizer=`` and ``query=``. The final output is re-counted and
cut to the budget from its start if a step overshot. The trace lists, per
step, its id, params, budget, input and output tokens and its own steps.
A pipeline step inside a pipeline is refused.

The default, ``prune@none:always=true|extractive``, removes filler words from
the whole text and then picks the sentences that fit. Note that a step given
the final budget already fits its output to it: ``prune|extractive`` would
leave ``extractive`` nothing to choose from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from compact_memory.compression.strategies_abc import (
    CompressedMemory,
    CompressionStrategy,
    Param,
    TextOrChunks,
    join_chunks,
)
from compact_memory.compression.trace import CompressionTrace
from compact_memory.errors import UsageError
from compact_memory.tokenizers import head

DEFAULT_STEPS = "prune@none:always=true|extractive"
UNCAPPED = "none"

StepSpec = str | CompressionStrategy | type[CompressionStrategy] | Mapping[str, Any]

_ESCAPABLE = set("|,:=@\\")


@dataclass
class Step:
    """One resolved step: the strategy instance and how it is called."""

    id: str
    strategy: CompressionStrategy
    params: dict[str, Any] = field(default_factory=dict)
    budget: int | str | None = None  # None: the final budget; UNCAPPED: no cap

    def describe(self) -> dict[str, Any]:
        return {"strategy": self.id, "params": dict(self.params), "budget": self.budget}


class PipelineStrategy(CompressionStrategy):
    """Chains strategies; the final output always fits the budget."""

    id = "pipeline"
    display_name = "Pipeline of strategies"
    params = (
        Param(
            "steps",
            str,
            DEFAULT_STEPS,
            "steps separated by '|': ID[@BUDGET|@none][:KEY=VALUE,...], e.g. 'prune|extractive@400:query=x'",
        ),
    )

    def __init__(self, steps: str | Sequence[StepSpec] = DEFAULT_STEPS) -> None:
        specs = parse_steps(steps) if isinstance(steps, str) else [_normalise(s, i) for i, s in enumerate(steps)]
        if not specs:
            raise UsageError("pipeline: needs at least one step", hint=f"for example steps={DEFAULT_STEPS!r}")
        self.steps = [_resolve(spec, index) for index, spec in enumerate(specs)]

    def compress(
        self, text_or_chunks: TextOrChunks, llm_token_budget: int, **kwargs: Any
    ) -> tuple[CompressedMemory, CompressionTrace]:
        job = self.begin(text_or_chunks, llm_token_budget, kwargs,
                         params={"steps": [step.describe() for step in self.steps]})
        if job.fits():
            return job.unchanged()
        tokenizer, text, budget, trace = job.tokenizer, job.text, job.budget, job.trace
        kwargs["tokenizer"] = tokenizer
        current: TextOrChunks = text_or_chunks
        current_tokens = tokenizer.count(text)
        for index, step in enumerate(self.steps):
            if step.budget is None:
                step_budget = budget
            elif step.budget == UNCAPPED:
                step_budget = max(current_tokens, budget)
            else:
                step_budget = int(step.budget)
            memory, step_trace = _run(step, current, step_budget, kwargs)
            out_tokens = tokenizer.count(memory.text)
            trace.add_step(
                "step",
                {"index": index, "strategy": step.id, "params": dict(step.params), "budget": step_budget,
                 "input_tokens": current_tokens, "output_tokens": out_tokens, "steps": step_trace.steps},
            )
            current, current_tokens = memory.text, out_tokens
        output = join_chunks(current)
        if current_tokens > budget:
            output = head(tokenizer, output, budget)
            trace.add_step(
                "budget_cut", {"tokens_before": current_tokens, "budget": budget, "kept_chars": len(output)}
            )
        return CompressedMemory(text=output, metadata={"steps": [step.id for step in self.steps]}), trace


def parse_steps(spec: str) -> list[dict[str, Any]]:
    """``'prune|extractive@400:query=x'`` -> ``[{"strategy": "prune"}, {"strategy": "extractive", ...}]``."""
    steps: list[dict[str, Any]] = []
    for number, raw in enumerate(_split(spec, "|"), start=1):
        head_part, *rest = _split(raw, ":", maxsplit=1)
        name, *budget_part = _split(head_part, "@", maxsplit=1)
        strategy_id = _unescape(name).strip()
        if not strategy_id:
            raise UsageError(f"pipeline: step {number} of {spec!r} has no strategy id",
                             hint="separate steps with '|', e.g. 'prune|truncate'")
        step: dict[str, Any] = {"strategy": strategy_id, "params": {}}
        if budget_part:
            step["budget"] = _step_budget(_unescape(budget_part[0]).strip(), strategy_id)
        if rest and rest[0].strip():
            for item in _split(rest[0], ","):
                key, *value = _split(item, "=", maxsplit=1)
                if not value or not _unescape(key).strip():
                    raise UsageError(f"pipeline: step {strategy_id!r}: expected KEY=VALUE, got {_unescape(item)!r}")
                step["params"][_unescape(key).strip()] = _unescape(value[0])
        steps.append(step)
    return steps


def _split(text: str, sep: str, maxsplit: int = -1) -> list[str]:
    """Split on ``sep`` where it is not escaped; escapes stay in place for later parts."""
    parts: list[str] = []
    start = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == sep and (maxsplit < 0 or len(parts) < maxsplit):
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return parts


def _unescape(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        char = match.group(1)
        if char not in _ESCAPABLE:
            what = f"'\\{char}'" if char else "a lone backslash at the end"
            raise UsageError(f"pipeline: {what} in {text!r}", hint="a backslash may only precede one of | , : = @ \\")
        return char

    return re.sub(r"\\(.?)", replace, text, flags=re.DOTALL)


def _step_budget(raw: object, strategy_id: str) -> int | str:
    if isinstance(raw, str) and raw.strip().lower() == UNCAPPED:
        return UNCAPPED
    if isinstance(raw, str) and re.fullmatch(r"\s*[0-9]+\s*", raw):
        return int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return raw
    raise UsageError(f"pipeline: step {strategy_id!r}: budget must be a whole number >= 0 or 'none', got {raw!r}")


def _normalise(spec: object, index: int) -> dict[str, Any]:
    if isinstance(spec, str):
        return {"strategy": spec, "params": {}}
    if isinstance(spec, (CompressionStrategy, type)):
        return {"strategy": spec, "params": {}}
    if not isinstance(spec, Mapping):
        raise UsageError(f"pipeline: step {index + 1} must be a strategy id or a dict, got {spec!r}")
    unknown = sorted(set(spec) - {"strategy", "params", "budget"})
    if unknown:
        raise UsageError(f"pipeline: step {index + 1} has unknown key(s) {', '.join(map(repr, unknown))}",
                         hint="a step takes 'strategy', 'params' and 'budget'")
    if "strategy" not in spec:
        raise UsageError(f"pipeline: step {index + 1} has no 'strategy'")
    params = spec.get("params") or {}
    if not isinstance(params, Mapping):
        raise UsageError(f"pipeline: step {index + 1}: 'params' must be a dict, got {params!r}")
    step: dict[str, Any] = {"strategy": spec["strategy"], "params": dict(params)}
    if spec.get("budget") is not None:
        step["budget"] = _step_budget(spec["budget"], str(spec["strategy"]))
    return step


def _resolve(spec: dict[str, Any], index: int) -> Step:
    from compact_memory.factory import make_strategy, strategy_class, strategy_id, typed_params

    target = spec["strategy"]
    context = f"pipeline: step {index + 1}"
    if isinstance(target, str):
        target = target.strip()
    elif not isinstance(target, (CompressionStrategy, type)):
        raise UsageError(f"{context}: {target!r} is not a strategy id, class or instance")
    cls = strategy_class(target)
    step_id = strategy_id(cls)
    if issubclass(cls, PipelineStrategy) or step_id == PipelineStrategy.id:
        raise UsageError(f"{context} is a pipeline; a pipeline cannot contain itself",
                         hint="list the inner pipeline's steps directly")
    if isinstance(target, CompressionStrategy):
        return Step(step_id, make_strategy(target, spec["params"], context=context), {}, spec.get("budget"))
    params = typed_params(cls, spec["params"], context=context)
    return Step(step_id, make_strategy(cls, params, context=context), params, spec.get("budget"))


def _run(
    step: Step, text: TextOrChunks, budget: int, kwargs: dict[str, Any]
) -> tuple[CompressedMemory, CompressionTrace]:
    from compact_memory.factory import call_compress

    return call_compress(step.strategy, text, budget, kwargs, context=f"pipeline: step {step.id!r}")
