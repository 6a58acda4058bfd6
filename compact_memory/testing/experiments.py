"""A package's own experiments as a test: every document, every budget, the strategy called directly."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from compact_memory.compression.strategies_abc import CompressionStrategy
from compact_memory.testing.subject import StrategyCheckError, Subject


def check_experiments(strategy: type[CompressionStrategy], package_dir: str | Path, *,
                      params: Mapping[str, Any] | None = None) -> int:
    """Compress every document of the package's default experiments at each budget; return the runs made.

    Experiments are read as ``dev run-package-experiment`` reads them (files
    or inline, a dataset with or without ``strategy_id``, ``input``, JSONL
    records, parameter grids), each with its tokenizer, query and params.
    ``strategy`` is called directly, so an output over the budget fails here
    instead of being cut by the runtime. Raises :class:`StrategyCheckError`
    naming the experiment, the document, the budget and the tokenizer.
    """
    from compact_memory.errors import CompactMemoryError
    from compact_memory.experiments.dataset import load_documents
    from compact_memory.experiments.package import open_package, select_experiments
    from compact_memory.tokenizers import get_tokenizer

    try:
        package = open_package(Path(package_dir))
        experiments = select_experiments(package, None)
    except CompactMemoryError as exc:
        raise StrategyCheckError(f"the experiments of {package_dir} cannot be read: {exc}") from None
    runs = 0
    for experiment in experiments:
        if experiment.strategy_id not in (None, getattr(strategy, "id", None)):
            raise StrategyCheckError(f"{experiment.origin}: strategy_id {experiment.strategy_id!r} is not "
                                     f"{getattr(strategy, 'id', None)!r}")
        try:
            documents = load_documents(experiment)
            tokenizer = get_tokenizer(experiment.tokenizer_spec())
        except CompactMemoryError as exc:
            raise StrategyCheckError(f"{experiment.origin}: {exc}") from None
        for _, grid_params in experiment.param_sets():
            subject = Subject(strategy, {**grid_params, **(params or {})})
            check = f"experiment {experiment.name!r}"
            instance = subject.make(check)
            for document in documents:
                for budget in experiment.budgets:
                    extra = {"query": experiment.query} if experiment.query else {}
                    subject.within_budget(f"{check}, document {document.id!r}", document.text, budget, tokenizer,
                                          instance=instance, **extra)
                    runs += 1
    return runs
