"""``compact-memory dev run-package-experiment PATH``: measure a package's strategy against baselines."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compact_memory.commands import add_command

if TYPE_CHECKING:
    from compact_memory.compression.strategies_abc import CompressionStrategy
    from compact_memory.experiments.report import ExperimentRun
    from compact_memory.experiments.spec import Experiment
    from compact_memory.tokenizers import Tokenizer

EPILOG = """\
The package's strategy is imported from PATH under a private name, whether or
not the package is installed. Experiments are the manifest's
default_experiments, or the one named by --experiment (its name, or an
experiment file). Every strategy variant (one per parameter set) and every
baseline compresses every document at every budget; see docs/experiments.md
for the experiment file, the metrics and the shape of the results.

output: a summary table per experiment on stdout; a progress line on stderr
  when it is a terminal. --output FILE.json writes the versioned results
  document, FILE.csv one row per run. The file is kept up to date while the
  experiment runs, so Ctrl-C leaves the partial results (status
  "interrupted"). Existing files are refused unless --force.

--jobs N runs the measurements on N worker processes (0: one per available
  core): the same rows in the same order; latency and peak memory are
  measured inside the worker around each call, so with more jobs than idle
  cores latencies grow (compare runs made with the same --jobs).

exit codes: 0 success, 1 a run failed (the strategy raised; the other runs go
  on and the error is in the results) or bad input, 2 usage error, 130
  interrupted.
"""


def add_parser(commands: Any, parents: list[argparse.ArgumentParser], summary: str) -> None:
    parser = add_command(
        commands, "run-package-experiment", parents, summary,
        description="Compress a package's experiment datasets at each budget with its strategy and with baseline "
                    "strategies; report compression, budget use, quality, speed and memory.",
        epilog=EPILOG, raw=True,
    )
    parser.add_argument("path", type=Path, metavar="PATH", help="the strategy package directory")
    parser.add_argument("--experiment", metavar="NAME",
                        help="run only this experiment: a name from default_experiments or an experiment file")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE.json|FILE.csv",
                        help="write the results as JSON or CSV (chosen by the extension)")
    parser.add_argument("--plot", type=Path, metavar="FILE.png",
                        help="plot quality and compression ratio against budget (needs compact-memory[plot])")
    parser.add_argument("--baseline", action="append", default=[], metavar="ID",
                        help="also compare with this strategy id; repeatable")
    parser.add_argument("--force", action="store_true", help="replace existing output files (atomically)")
    parser.add_argument("-j", "--jobs", type=_jobs, default=1, metavar="N",
                        help="run on N processes (default 1; 0: one per available core)")
    parser.set_defaults(handler=lambda a: run_package_experiment(
        a.path, experiment=a.experiment, output=a.output, plot=a.plot, baselines=a.baseline, force=a.force,
        jobs=a.jobs))


def _jobs(raw: str) -> int:
    from compact_memory.batch import parse_jobs
    from compact_memory.errors import UsageError

    try:
        return parse_jobs(raw, option="")
    except UsageError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def run_package_experiment(path: Path, *, experiment: str | None = None, output: Path | None = None,
                           plot: Path | None = None, baselines: Sequence[str] = (), force: bool = False,
                           jobs: int = 1) -> int:
    from compact_memory import io
    from compact_memory import output as stdout
    from compact_memory.errors import CompactMemoryError
    from compact_memory.experiments import output as out
    from compact_memory.experiments.package import describe, open_package, select_experiments
    from compact_memory.experiments.report import COMPLETE, table
    from compact_memory.plugins.loader import load_package

    out.check_suffixes(output, plot)
    if plot is not None:
        from compact_memory.experiments.plot import require_matplotlib

        require_matplotlib()
    package = open_package(path)
    experiments = select_experiments(package, experiment)
    cls = load_package(package)
    prepared = [_prepare(exp, cls, cls.id, baselines) for exp in experiments]
    runs = [run for run, _ in prepared]
    # Every file a document was read from, so an output never replaces a file of a directory dataset either.
    inputs = list(dict.fromkeys(doc.path for run in runs for doc in run.docs if doc.path is not None))
    io.refuse_clobbering([p for p in (output, plot) if p is not None], inputs, force)
    checkpoint = out.Checkpoint(output, describe(package), runs, force=force)
    _execute(prepared, checkpoint, package.root, jobs)
    checkpoint.write(COMPLETE)
    stdout.write_text("\n".join(table(run) for run in runs))
    if plot is not None:
        from compact_memory.experiments.plot import render_png

        io.atomic_write_bytes(plot, render_png(runs), overwrite=force)
    failed = sum(run.failed for run in runs)
    if failed:
        total = sum(len(run.rows) for run in runs)
        where = f"; see the error field in {output}" if output is not None else ""
        raise CompactMemoryError(f"{failed} of {total} runs failed (the strategy raised){where}")
    return 0


def _prepare(exp: Experiment, cls: type[CompressionStrategy], strategy_id: str,
             extra_baselines: Sequence[str]) -> tuple[ExperimentRun, Tokenizer]:
    """Everything checked before the first run: data, tokenizer, extras, strategies."""
    from compact_memory import console
    from compact_memory.errors import CompactMemoryError, InputError
    from compact_memory.experiments.dataset import load_documents
    from compact_memory.experiments.metrics import ALL_METRICS
    from compact_memory.experiments.report import ExperimentRun
    from compact_memory.experiments.runner import make_variants
    from compact_memory.tokenizers import get_tokenizer

    if exp.strategy_id is not None and exp.strategy_id != strategy_id:
        raise InputError(f"{exp.origin}: strategy_id {exp.strategy_id!r} is not this package's strategy "
                         f"{strategy_id!r}", hint=f"write strategy_id: {strategy_id}, or compare it as a baseline")
    exp.baselines = tuple(dict.fromkeys([*exp.baselines, *extra_baselines]))
    docs = load_documents(exp)
    try:
        tokenizer = get_tokenizer(exp.tokenizer_spec())
    except CompactMemoryError as exc:
        raise InputError(f"{exp.origin}: tokenizer {exp.tokenizer!r}: {exc.message}", hint=exc.hint) from None
    explicit = exp.metrics != ALL_METRICS
    for metric, present, what in (("rouge", any(d.reference is not None for d in docs), "a \"reference\""),
                                  ("qa_retention", any(d.answers for d in docs), "\"qa\" pairs")):
        if metric in exp.metrics and explicit and not present:
            console.warn(f"{exp.origin}: {metric} needs records with {what}; none in the dataset")
    if "rouge" in exp.metrics and any(d.reference is not None for d in docs):
        try:
            import rouge_score.rouge_scorer  # noqa: F401
        except ImportError:
            raise CompactMemoryError(f"{exp.origin}: ROUGE needs rouge-score, which is not installed",
                                     hint="pip install 'compact-memory[rouge]', or leave rouge out of metrics"
                                     ) from None
    return ExperimentRun(exp, docs, make_variants(exp, cls), tokenizer.name), tokenizer


def _execute(prepared: list[tuple[ExperimentRun, Tokenizer]], checkpoint: Any, root: Path, jobs: int) -> None:
    import functools

    from compact_memory import io
    from compact_memory.experiments import runner
    from compact_memory.experiments.report import INTERRUPTED

    total = sum(run.planned for run, _ in prepared)
    progress = io.Progress(total, enabled=sys.stderr is not None and sys.stderr.isatty())
    done = [0]

    def on_row(run: ExperimentRun, row: dict[str, Any]) -> None:
        run.rows.append(row)
        done[0] += 1
        if row["status"] != "ok":
            progress.clear()
            print(f"error: {row['experiment']}: {row['variant']} at budget {row['budget']} on "
                  f"{row['document']}: {row['error']}", file=sys.stderr)
        checkpoint.row_done()

    try:
        if jobs > 1:
            from compact_memory.experiments import parallel

            parallel.run_all([(run.experiment, run.docs, run.variants, tok) for run, tok in prepared], root, jobs,
                             lambda index, row: on_row(prepared[index][0], row),
                             on_start=lambda label: progress.show(done[0], label))
        else:
            for run, tokenizer in prepared:
                runner.run(run.experiment, run.docs, run.variants, tokenizer, functools.partial(on_row, run),
                           on_start=lambda label: progress.show(done[0], label))
        progress.show(total, "done")
    except KeyboardInterrupt:
        progress.clear()
        checkpoint.write(INTERRUPTED)
        if checkpoint.path is not None:
            print(f"partial results ({done[0]} of {total} runs) written to {checkpoint.path}", file=sys.stderr)
        raise
    finally:
        progress.clear()
