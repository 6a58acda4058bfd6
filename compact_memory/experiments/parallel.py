"""``run-package-experiment --jobs N``: the runs of every experiment on worker processes, in the same order.

Each worker loads the package's strategy from its directory and the
baselines by id (with this process's plugin settings), builds the same
variants as :func:`compact_memory.experiments.runner.make_variants`, and
measures each run with :func:`compact_memory.experiments.runner.measure`:
latency and peak memory are measured inside the worker, around each call,
never across processes. Rows come back in the order one job produces them;
only the timings differ. With more jobs than idle cores the calls compete
for them and latencies grow: compare latencies from runs with the same
``--jobs`` on the same machine (one job for numbers to publish).
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from compact_memory.errors import CompactMemoryError
from compact_memory.experiments import runner
from compact_memory.experiments.dataset import Document
from compact_memory.experiments.spec import Experiment
from compact_memory.tokenizers import Tokenizer

Run = tuple[Experiment, Sequence[Document], Sequence[runner.Variant], Tokenizer]
Item = tuple[int, int, int, Document]  # experiment, variant, budget, document


def run_all(runs: Sequence[Run], package_root: Path, jobs: int, on_row: Callable[[int, dict[str, Any]], None],
            on_start: Callable[[str], None] = lambda label: None) -> None:
    """Every row of every run, in :func:`runner.run`'s order; ``on_row(run index, row)`` as each is ready."""
    from compact_memory import parallel
    from compact_memory.plugins import DISABLE_ENV, PATH_ENV

    settings = {name: os.environ.get(name) for name in (PATH_ENV, DISABLE_ENV)}
    experiments = [(experiment, [v.label for v in variants]) for experiment, _, variants, _ in runs]
    payload = pickle.dumps((settings, package_root, experiments))
    sent: dict[int, Item] = {}

    def items() -> Iterator[Item]:
        index = 0
        for e, (experiment, docs, variants, _) in enumerate(runs):
            for v in range(len(variants)):
                for budget in experiment.budgets:
                    for doc in docs:
                        sent[index] = (e, v, budget, doc)
                        index += 1
                        yield sent[index - 1]

    outcomes = parallel.run_ordered(_setup, payload, items(), jobs, died=_died)
    with contextlib.closing(outcomes):
        for outcome in outcomes:
            e, v, budget, doc = sent.pop(outcome.index)
            experiment, _, variants, _ = runs[e]
            on_start(f"{experiment.name}: {variants[v].label} @ {budget}: {doc.id}")
            if outcome.error is not None:
                row = runner.new_row(experiment, variants[v], budget, doc)
                error = outcome.error
                row.update(status="failed", error=getattr(error, "reason", None) or error.message)
            else:
                row = outcome.value
            on_row(e, row)


def _died(reason: str) -> CompactMemoryError:
    error = CompactMemoryError(f"its worker process died: {reason}")
    return error


# --- in a worker ---------------------------------------------------------------


def _setup(payload: bytes) -> Callable[[Item], dict[str, Any]]:
    from compact_memory.experiments.package import open_package
    from compact_memory.plugins.loader import load_package
    from compact_memory.tokenizers import get_tokenizer

    settings, package_root, experiments = pickle.loads(payload)
    for name, value in settings.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    cls = load_package(open_package(package_root))
    prepared: list[tuple[Experiment, list[runner.Variant], Tokenizer]] = []
    for experiment, labels in experiments:
        with contextlib.redirect_stderr(io.StringIO()):  # the parent has shown these warnings already
            variants = runner.make_variants(experiment, cls)
        if [v.label for v in variants] != labels:
            raise CompactMemoryError(f"{experiment.origin}: a worker process built other variants "
                                     f"({', '.join(v.label for v in variants)})",
                                     hint="the package or the plugins changed during the run; run it again")
        prepared.append((experiment, variants, get_tokenizer(experiment.tokenizer_spec())))
    warm: set[tuple[int, int]] = set()
    input_tokens: dict[tuple[int, str], int] = {}

    def measure(item: Item) -> dict[str, Any]:
        e, v, budget, doc = item
        experiment, variants, tokenizer = prepared[e]
        if (e, v) not in warm:
            runner.warm_up(experiment, variants[v], [doc], tokenizer)
            warm.add((e, v))
        key = (e, doc.id)
        if key not in input_tokens:
            input_tokens[key] = tokenizer.count(doc.text)
        return runner.measure(experiment, variants[v], budget, doc, tokenizer, input_tokens[key])

    return measure
