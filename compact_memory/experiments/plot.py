"""Quality and compression ratio against budget, one line per strategy variant (extra: plot)."""

from __future__ import annotations

import io
from typing import Any

from compact_memory.errors import CompactMemoryError
from compact_memory.experiments.report import ExperimentRun

PLOT_HINT = "pip install 'compact-memory[plot]'"
# The quality shown: the first of these the experiment measured.
QUALITY = (("rougeL", "ROUGE-L F1"), ("qa_retention", "QA answers kept"), ("span_retention", "protected spans kept"))


def require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CompactMemoryError("--plot needs matplotlib, which is not installed", hint=PLOT_HINT) from None


def render_png(runs: list[ExperimentRun]) -> bytes:
    """A PNG with one row per experiment: quality (left) and compression ratio (right) by budget."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 4 * len(runs)), layout="constrained")
    axes = figure.subplots(len(runs), 2, squeeze=False)
    for (left, right), run in zip(axes, runs, strict=True):
        summary = run.summary()
        key, label = _quality(summary)
        for variant in run.variants:
            lines = [s for s in summary if s["variant"] == variant.label]
            style = {"marker": "o", "linestyle": "-" if variant.role == "strategy" else "--", "label": variant.label}
            if key is not None:
                _line(left, lines, key, style)
            _line(right, lines, "compression_ratio", style)
        budgets = sorted(run.experiment.budgets)
        for ax, ylabel in ((left, label or "quality (no quality metric measured)"), (right, "compression ratio")):
            _budget_axis(ax, budgets)
            ax.set_ylabel(ylabel)
            ax.set_ylim(-0.02, 1.05)
            ax.grid(True, alpha=0.3)
        left.set_title(f"{run.experiment.name}: {label or 'quality'}")
        right.set_title(f"{run.experiment.name}: compression ratio (output / input tokens)")
        if run.variants:
            right.legend(loc="lower right", fontsize="small")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()


def _quality(summary: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    for key, label in QUALITY:
        if any(s.get(key) is not None for s in summary):
            return key, label
    return None, None


def _line(ax: Any, lines: list[dict[str, Any]], key: str, style: dict[str, Any]) -> None:
    points = [(s["budget"], s[key]) for s in lines if s.get(key) is not None]
    if points:
        ax.plot([p[0] for p in points], [p[1] for p in points], **style)


def _budget_axis(ax: Any, budgets: list[int]) -> None:
    from matplotlib.ticker import NullLocator

    positive = [b for b in budgets if b > 0]
    if positive and max(positive) / min(positive) >= 20:
        # Budgets usually grow geometrically; symlog keeps 0 on the axis.
        ax.set_xscale("symlog", linthresh=min(positive))
        ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticks(budgets, [str(b) for b in budgets])
    ax.set_xlabel("budget (tokens)")
