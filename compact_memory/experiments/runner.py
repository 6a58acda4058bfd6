"""Run every strategy variant on every document at every budget and measure each run."""

from __future__ import annotations

import contextlib
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from compact_memory import console
from compact_memory.compression.strategies_abc import CompressionStrategy
from compact_memory.errors import CompactMemoryError, InputError
from compact_memory.experiments import metrics as m
from compact_memory.experiments.dataset import Document
from compact_memory.experiments.spec import Experiment
from compact_memory.tokenizers import Tokenizer

STRATEGY, BASELINE = "strategy", "baseline"

# The columns of a result row, in order (also the CSV header).
ROW_FIELDS = (
    "experiment", "variant", "strategy", "role", "params", "budget", "document", "status", "error",
    "input_tokens", "output_tokens", "strategy_output_tokens", "input_bytes",
    "compression_ratio", "budget_fill", "within_budget", "latency_ms", "latency_ms_per_mb", "peak_memory_bytes",
    "rouge1", "rouge2", "rougeL", "qa_retention", "span_retention",
)


@dataclass
class Variant:
    """One strategy with one set of parameters: a line in the table and in the plot."""

    label: str
    strategy_id: str
    role: str
    params: dict[str, Any]
    instance: CompressionStrategy = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        return {"variant": self.label, "strategy": self.strategy_id, "role": self.role, "params": self.params}


def make_variants(experiment: Experiment, cls: type[CompressionStrategy]) -> list[Variant]:
    """The package's strategy for each parameter set, then each baseline with its defaults."""
    variants = []
    for swept, params in experiment.param_sets():
        label = cls.id
        if swept:
            label += "(" + ", ".join(f"{k}={v}" for k, v in swept.items()) + ")"
        variants.append(Variant(label, cls.id, STRATEGY, params, _create(experiment, cls, params, label)))
    for baseline in experiment.baselines:
        if baseline == cls.id:
            console.warn(f"{experiment.origin}: baseline {baseline!r} is the strategy under test; skipped")
            continue
        baseline_cls = _baseline(experiment, baseline)
        variants.append(Variant(baseline, baseline, BASELINE, {}, _create(experiment, baseline_cls, {}, baseline)))
    return variants


def _baseline(experiment: Experiment, strategy_id: str) -> type[CompressionStrategy]:
    from compact_memory.plugins.registry import get_compression_strategy

    try:
        return get_compression_strategy(strategy_id)
    except CompactMemoryError as exc:
        raise InputError(f"{experiment.origin}: baseline {strategy_id!r}: {exc.message}", hint=exc.hint) from None


def _create(experiment: Experiment, cls: type[CompressionStrategy], params: dict[str, Any],
            label: str) -> CompressionStrategy:
    from compact_memory.factory import make_strategy

    try:
        return make_strategy(cls, params, context=f"{experiment.origin}: {label}")
    except CompactMemoryError as exc:
        raise InputError(exc.message, hint=exc.hint) from None


def run(
    experiment: Experiment,
    docs: Sequence[Document],
    variants: Sequence[Variant],
    tokenizer: Tokenizer,
    on_row: Callable[[dict[str, Any]], None],
    on_start: Callable[[str], None] = lambda label: None,
) -> list[dict[str, Any]]:
    """Every (variant, budget, document) row, in that order; a strategy that raises fails only its row."""
    rows = []
    input_tokens: dict[int, int] = {}  # counted once a document, not once a run
    for variant in variants:
        warm_up(experiment, variant, docs, tokenizer)
        for budget in experiment.budgets:
            for doc in docs:
                on_start(f"{experiment.name}: {variant.label} @ {budget}: {doc.id}")
                if id(doc) not in input_tokens:
                    input_tokens[id(doc)] = tokenizer.count(doc.text)
                row = measure(experiment, variant, budget, doc, tokenizer, input_tokens[id(doc)])
                rows.append(row)
                on_row(row)
    return rows


def warm_up(experiment: Experiment, variant: Variant, docs: Sequence[Document], tokenizer: Tokenizer) -> None:
    """One unmeasured call, so lazy imports and caches do not count against the first document."""
    if docs:
        with contextlib.suppress(Exception, SystemExit):
            _compress(experiment, variant, max(experiment.budgets), docs[0], tokenizer)


def new_row(experiment: Experiment, variant: Variant, budget: int, doc: Document) -> dict[str, Any]:
    """A row for one run, before it is measured."""
    row: dict[str, Any] = dict.fromkeys(ROW_FIELDS)
    row.update(experiment=experiment.name, variant=variant.label, strategy=variant.strategy_id, role=variant.role,
               params=variant.params, budget=budget, document=doc.id, status="ok",
               input_bytes=doc.size_bytes)
    return row


def measure(experiment: Experiment, variant: Variant, budget: int, doc: Document,
            tokenizer: Tokenizer, input_tokens: int | None = None) -> dict[str, Any]:
    """One run, measured in this process: timings are this process's own wall time for each call."""
    row = new_row(experiment, variant, budget, doc)
    wanted = set(experiment.metrics)
    try:
        if "peak_memory" in wanted:
            # A separate run: tracemalloc slows Python code down, so it never runs while timing.
            row["peak_memory_bytes"] = _peak_memory(lambda: _compress(experiment, variant, budget, doc, tokenizer))
        timings = []
        for _ in range(experiment.repeat):
            text, trace = _compress(experiment, variant, budget, doc, tokenizer)
            timings.append(float(trace.processing_ms or 0.0))
    except KeyboardInterrupt:
        raise
    except (Exception, SystemExit) as exc:
        message = str(exc).splitlines()[0] if str(exc) else ""
        reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {message}".rstrip(": ")
        row.update(status="failed", error=reason)
        return row
    in_tokens = tokenizer.count(doc.text) if input_tokens is None else input_tokens
    _fill(row, wanted, doc, text, trace, budget, m.median(timings), in_tokens)
    return row


def _compress(experiment: Experiment, variant: Variant, budget: int, doc: Document,
              tokenizer: Tokenizer) -> tuple[str, Any]:
    from compact_memory.runtime import compress

    # count_input=False: the input is counted once per document, outside the timed and traced calls.
    memory, trace = compress(doc.text, budget, variant.instance, tokenizer=tokenizer, query=experiment.query,
                             count_input=False)
    return memory.text, trace


def _peak_memory(call: Callable[[], object]) -> int:
    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        start = tracemalloc.get_traced_memory()[0]
        call()
        return max(0, tracemalloc.get_traced_memory()[1] - start)
    finally:
        if not already:
            tracemalloc.stop()


def _fill(row: dict[str, Any], wanted: set[str], doc: Document, text: str, trace: Any, budget: int,
          latency_ms: float, in_tokens: int) -> None:
    out_tokens = int(trace.output_summary["tokens"])
    cut = [s for s in trace.steps if isinstance(s, dict) and s.get("type") == "runtime_budget_cut"]
    strategy_tokens = int(cut[-1]["details"]["strategy_tokens"]) if cut else out_tokens
    row.update(input_tokens=in_tokens, output_tokens=out_tokens, strategy_output_tokens=strategy_tokens)
    if "compression_ratio" in wanted:
        row["compression_ratio"] = _round(m.compression_ratio(in_tokens, out_tokens))
    if "budget_fill" in wanted:
        row["budget_fill"] = _round(m.budget_fill(out_tokens, budget, in_tokens))
    if "budget_compliance" in wanted:
        row["within_budget"] = strategy_tokens <= budget
    if "latency" in wanted:
        row["latency_ms"] = round(latency_ms, 3)
        row["latency_ms_per_mb"] = _round(m.per_mb(latency_ms, doc.size_bytes), 3)
    if "rouge" in wanted and doc.reference is not None:
        row.update(m.rouge(doc.reference, text))
    if "qa_retention" in wanted and doc.answers:
        row["qa_retention"] = _round(m.qa_retention(doc.text, text, doc.answers))
    if "span_retention" in wanted:
        row["span_retention"] = _round(m.span_retention(doc.text, text))


def _round(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def summarize(rows: Sequence[dict[str, Any]], variants: Sequence[Variant],
              budgets: Sequence[int]) -> list[dict[str, Any]]:
    """One line per (variant, budget): means over the documents that did not fail."""
    out = []
    for variant in variants:
        for budget in budgets:
            group = [r for r in rows if r["variant"] == variant.label and r["budget"] == budget]
            if not group:
                continue
            ok = [r for r in group if r["status"] == "ok"]
            out.append({**variant.to_json(), "budget": budget, **_aggregate(ok), "failed": len(group) - len(ok)})
    return out


def _aggregate(ok: list[dict[str, Any]]) -> dict[str, Any]:
    def col(name: str) -> list[Any]:
        return [r[name] for r in ok if r[name] is not None]

    compliance = col("within_budget")
    latencies = col("latency_ms")
    timed_bytes = sum(r["input_bytes"] for r in ok if r["latency_ms"] is not None)
    peaks = col("peak_memory_bytes")
    result: dict[str, Any] = {
        "documents": len(ok),
        "input_tokens": sum(col("input_tokens")),
        "output_tokens": sum(col("output_tokens")),
        "compression_ratio": _round(m.mean(col("compression_ratio"))),
        "budget_fill": _round(m.mean(col("budget_fill"))),
        "budget_compliance": _round(sum(compliance) / len(compliance)) if compliance else None,
        "latency_ms": _round(m.mean(latencies), 3),
        "latency_ms_per_mb": _round(m.per_mb(sum(latencies), timed_bytes), 3) if latencies else None,
        "peak_memory_bytes": max(peaks) if peaks else None,
    }
    for name in (*m.ROUGE_KEYS, "qa_retention", "span_retention"):
        result[name] = _round(m.mean(col(name)))
    return result
