"""Results as a versioned JSON document, a CSV of rows, and a table for people."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compact_memory.experiments.dataset import Document
from compact_memory.experiments.runner import ROW_FIELDS, Variant, summarize
from compact_memory.experiments.spec import Experiment

FORMAT_VERSION = 1
COMPLETE, INTERRUPTED, RUNNING = "complete", "interrupted", "running"


@dataclass
class ExperimentRun:
    experiment: Experiment
    docs: list[Document]
    variants: list[Variant]
    tokenizer: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def planned(self) -> int:
        return len(self.docs) * len(self.variants) * len(self.experiment.budgets)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.rows if r["status"] != "ok")

    def summary(self) -> list[dict[str, Any]]:
        return summarize(self.rows, self.variants, self.experiment.budgets)

    def to_json(self) -> dict[str, Any]:
        docs = self.docs
        return {
            **self.experiment.to_json(),
            "tokenizer_name": self.tokenizer,
            "documents": {
                "count": len(docs),
                "bytes": sum(d.size_bytes for d in docs),
                "with_reference": sum(1 for d in docs if d.reference is not None),
                "with_qa": sum(1 for d in docs if d.answers),
                "ids": [d.id for d in docs],
            },
            "variants": [v.to_json() for v in self.variants],
            "runs_planned": self.planned,
            "runs_done": len(self.rows),
            "failed": self.failed,
            "summary": self.summary(),
            "results": self.rows,
        }


def results_document(package: dict[str, Any], runs: list[ExperimentRun], status: str) -> dict[str, Any]:
    from compact_memory import __version__

    return {
        "format_version": FORMAT_VERSION,
        "status": status,
        "compact_memory_version": __version__,
        "package": package,
        "failed": sum(r.failed for r in runs),
        "experiments": [r.to_json() for r in runs],
    }


def render(path: Path, package: dict[str, Any], runs: list[ExperimentRun], status: str) -> str:
    """The file contents for ``path``: CSV rows for ``.csv``, else the JSON document."""
    if path.suffix.lower() == ".csv":
        return to_csv([row for run in runs for row in run.rows])
    return json.dumps(results_document(package, runs, status), ensure_ascii=False, indent=2, default=str) + "\n"


def to_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ROW_FIELDS)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in ROW_FIELDS])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return str(value)


_COLUMNS = (
    ("VARIANT", "variant", str),
    ("BUDGET", "budget", str),
    ("DOCS", "documents", str),
    ("FAILED", "failed", str),
    ("RATIO", "compression_ratio", lambda v: f"{v:.3f}"),
    ("FILL", "budget_fill", lambda v: f"{v:.3f}"),
    ("IN-BUDGET", "budget_compliance", lambda v: f"{v:.0%}"),
    ("ROUGE-1", "rouge1", lambda v: f"{v:.3f}"),
    ("ROUGE-2", "rouge2", lambda v: f"{v:.3f}"),
    ("ROUGE-L", "rougeL", lambda v: f"{v:.3f}"),
    ("QA", "qa_retention", lambda v: f"{v:.3f}"),
    ("SPANS", "span_retention", lambda v: f"{v:.3f}"),
    ("MS/DOC", "latency_ms", lambda v: f"{v:.2f}"),
    ("MS/MB", "latency_ms_per_mb", lambda v: f"{v:.0f}"),
    ("PEAK-KB", "peak_memory_bytes", lambda v: f"{v / 1024:.0f}"),
)


def table(run: ExperimentRun) -> str:
    """The summary of one experiment; columns with no value at all are left out."""
    summary = run.summary()
    columns = [c for c in _COLUMNS if any(line.get(c[1]) is not None for line in summary)]
    cells = [[c[0] for c in columns]]
    for line in summary:
        cells.append(["-" if line.get(key) is None else fmt(line[key]) for _, key, fmt in columns])
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    exp = run.experiment
    title = (f"experiment {exp.name} ({exp.origin}): {len(run.docs)} document(s), "
             f"tokenizer {run.tokenizer}, {len(run.rows)} run(s)")
    lines = [title]
    for row in cells:
        lines.append("  ".join(cell.rjust(widths[i]) if i else cell.ljust(widths[i]) for i, cell in enumerate(row))
                     .rstrip())
    return "\n".join(lines) + "\n"
