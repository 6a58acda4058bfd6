"""Overhead of the experiment runner over calling the strategy directly, in the same run.

Usage: python benchmarks/bench_experiment.py [--docs 40] [--kb 20] [--strategy extractive] [--repeat 3]

Documents are slices of Python's pydoc topics (``pydoc_data.topics``). The
baseline compresses every document at budgets 100 and 1000 with
``compact_memory.compress``; the runner does the same work through
``compact_memory.experiments.runner.run``, first measuring only what timing
needs (ratio, fill, compliance, latency), then with every metric but ROUGE
(which adds a tracemalloc run per document and the span scan). Medians over
``--repeat`` rounds, interleaved. Target: timing-only overhead at most 1.3x;
exits 1 when missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

from common import pydoc_text, seconds

TARGET_RATIO = 1.3
BUDGETS = [100, 1000]


def documents(count: int, kilobytes: int) -> list[str]:
    size = kilobytes * 1000
    text = pydoc_text(count * size)
    return [text[i * size:(i + 1) * size] for i in range(count)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=40)
    parser.add_argument("--kb", type=int, default=20)
    parser.add_argument("--strategy", default="extractive")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from compact_memory import compress
    from compact_memory.experiments import runner
    from compact_memory.experiments.dataset import Document
    from compact_memory.experiments.spec import DataSource, Experiment
    from compact_memory.plugins.registry import get_compression_strategy
    from compact_memory.tokenizers import get_tokenizer

    texts = documents(args.docs, args.kb)
    docs = [Document(id=str(i), text=t) for i, t in enumerate(texts)]
    tokenizer = get_tokenizer("words")
    cls = get_compression_strategy(args.strategy)
    instance = cls()

    def direct() -> None:
        for budget in BUDGETS:
            for text in texts:
                compress(text, budget, instance, tokenizer=tokenizer)

    def through_runner(metrics: tuple[str, ...]) -> Callable[[], None]:
        exp = Experiment(name="bench", origin="bench", folder=Path("."), budgets=BUDGETS, metrics=metrics,
                         baselines=(), sources=[DataSource(Path("."), ".", "bench")])
        variant = runner.Variant(cls.id, cls.id, runner.STRATEGY, {}, instance)
        return lambda: runner.run(exp, docs, [variant], tokenizer, lambda row: None)

    timing_only = through_runner(("compression_ratio", "budget_fill", "budget_compliance", "latency"))
    every_metric = through_runner(("compression_ratio", "budget_fill", "budget_compliance", "latency",
                                   "peak_memory", "qa_retention", "span_retention"))
    direct()  # warm up
    rounds: dict[str, list[float]] = {"direct": [], "timing": [], "all": []}
    for _ in range(args.repeat):
        rounds["direct"].append(seconds(direct))
        rounds["timing"].append(seconds(timing_only))
        rounds["all"].append(seconds(every_metric))
    base = statistics.median(rounds["direct"])
    runs = len(texts) * len(BUDGETS)
    print(f"{args.strategy}: {len(texts)} documents of {args.kb} kB x budgets {BUDGETS} = {runs} runs")
    for key, label in (("direct", "compress() directly"), ("timing", "runner, timing metrics"),
                       ("all", "runner, all metrics but ROUGE")):
        median = statistics.median(rounds[key])
        print(f"  {label:32} {median * 1000:9.1f} ms  {median / base:5.2f}x")
    ratio = statistics.median(rounds["timing"]) / base
    ok = ratio <= TARGET_RATIO
    print(f"target: timing-only runner <= {TARGET_RATIO}x direct: {'met' if ok else 'MISSED'} ({ratio:.2f}x)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
