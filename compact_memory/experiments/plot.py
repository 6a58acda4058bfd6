"""What an experiment shows at a glance (extra: plot): quality by budget, and quality for what it costs.

One row per experiment:

- left, quality against budget: one line per strategy variant;
- right, quality against compression ratio (output over input tokens):
  one point per variant and budget, labelled with the budget, so the
  strategy that keeps most per token kept is up and to the left. The
  input's size is the dashed line at ratio 1.0 (everything kept), labelled
  with the mean input size in tokens.

(Compression ratio against budget is not drawn: strategies that fill the
budget all draw the same line.)
"""

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
    buffer = io.BytesIO()
    build_figure(runs).savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()


def build_figure(runs: list[ExperimentRun]) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 4 * len(runs)), layout="constrained")
    axes = figure.subplots(len(runs), 2, squeeze=False)
    for (left, right), run in zip(axes, runs, strict=True):
        summary = run.summary()
        key, label = _quality(summary)
        label = label or "quality (no quality metric measured)"
        for variant in run.variants:
            points = [s for s in summary if s["variant"] == variant.label]
            style = {"marker": "o", "linestyle": "-" if variant.role == "strategy" else "--", "label": variant.label}
            if key is not None:
                _by_budget(left, points, key, style)
                _by_ratio(right, points, key, style)
        _budget_axis(left, sorted(run.experiment.budgets))
        left.set_ylabel(label)
        left.set_title(f"{run.experiment.name}: {label} by budget")
        _input_size(right, summary)
        right.set_xlabel("compression ratio (output / input tokens)")
        right.set_ylabel(label)
        right.set_title(f"{run.experiment.name}: {label} for the tokens kept")
        for ax in (left, right):
            ax.set_ylim(-0.02, 1.05)
            ax.grid(True, alpha=0.3)
        if run.variants and key is not None:
            right.legend(loc="lower right", fontsize="small")
    return figure


def _quality(summary: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    for key, label in QUALITY:
        if any(s.get(key) is not None for s in summary):
            return key, label
    return None, None


def _by_budget(ax: Any, points: list[dict[str, Any]], key: str, style: dict[str, Any]) -> None:
    found = [(s["budget"], s[key]) for s in points if s.get(key) is not None]
    if found:
        ax.plot([p[0] for p in found], [p[1] for p in found], **style)


def _by_ratio(ax: Any, points: list[dict[str, Any]], key: str, style: dict[str, Any]) -> None:
    found = [(s["compression_ratio"], s[key], s["budget"]) for s in points
             if s.get(key) is not None and s.get("compression_ratio") is not None]
    if not found:
        return
    line = ax.plot([p[0] for p in found], [p[1] for p in found], **{**style, "linestyle": "none"})[0]
    for ratio, quality, budget in found:
        ax.annotate(str(budget), (ratio, quality), textcoords="offset points", xytext=(4, 3), fontsize="x-small",
                    color=line.get_color())


def _input_size(ax: Any, summary: list[dict[str, Any]]) -> None:
    ok = [s for s in summary if s.get("documents")]
    mean_tokens = sum(s["input_tokens"] / s["documents"] for s in ok) / len(ok) if ok else 0
    ax.axvline(1.0, color="grey", linestyle=":", linewidth=1)
    ax.annotate(f"input: {mean_tokens:,.0f} tokens", (1.0, 0.98), xycoords=("data", "axes fraction"),
                rotation=90, ha="right", va="top", fontsize="x-small", color="grey")
    ax.set_xlim(-0.02, 1.05)


def _budget_axis(ax: Any, budgets: list[int]) -> None:
    from matplotlib.ticker import NullLocator

    positive = [b for b in budgets if b > 0]
    if positive and max(positive) / min(positive) >= 20:
        # Budgets usually grow geometrically; symlog keeps 0 on the axis.
        ax.set_xscale("symlog", linthresh=min(positive))
        ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticks(budgets, [str(b) for b in budgets])
    ax.set_xlabel("budget (tokens)")
