"""An experiment as written in a file (or inline in the manifest), checked against its schema."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compact_memory.errors import InputError
from compact_memory.experiments.metrics import ALL_METRICS

DEFAULT_BASELINES = ("truncate",)


def show(path: Path) -> str:
    """``path`` relative to the working directory when it is below it, else as given."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


@dataclass
class DataSource:
    """One dataset path with its options, and where the experiment names it."""

    path: Path
    written: str
    named_at: str
    format: str = "auto"
    glob: str | None = None


@dataclass
class Experiment:
    name: str
    origin: str  # "experiments/x.yaml" or "strategy_package.yaml:12:5" for an inline experiment
    folder: Path  # relative paths are relative to this
    sources: list[DataSource]
    budgets: list[int]
    tokenizer: str = "words"
    strategy_id: str | None = None
    description: str | None = None
    query: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    param_grid: dict[str, list[Any]] = field(default_factory=dict)
    metrics: tuple[str, ...] = ALL_METRICS
    baselines: tuple[str, ...] = DEFAULT_BASELINES
    repeat: int = 1
    limit: int | None = None

    def param_sets(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(grid values, full params) for every combination of the grid, in the order written."""
        keys = list(self.param_grid)
        combos = itertools.product(*(self.param_grid[k] for k in keys)) if keys else [()]
        out = []
        for values in combos:
            swept = dict(zip(keys, values, strict=True))
            out.append((swept, {**self.params, **swept}))
        return out

    def tokenizer_spec(self) -> str:
        """The tokenizer name, or a tokenizer.json path resolved against the experiment's folder."""
        from compact_memory.tokenizers import tokenizer_path

        path = tokenizer_path(self.tokenizer, self.folder)
        return self.tokenizer if path is None else f"hf:{path}"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.origin,
            "description": self.description,
            "strategy_id": self.strategy_id,
            "dataset": [s.written for s in self.sources],
            "budgets": list(self.budgets),
            "tokenizer": self.tokenizer,
            "query": self.query,
            "params": self.params,
            "param_grid": self.param_grid,
            "metrics": list(self.metrics),
            "baselines": list(self.baselines),
            "repeat": self.repeat,
        }


def load_file(path: Path) -> Experiment:
    """Read and check an experiment file; any problem is one :class:`InputError` naming file and line."""
    from compact_memory.diagnostics.findings import Findings
    from compact_memory.diagnostics.yaml_marks import read_yaml

    display = show(path)
    if not path.is_file():
        raise InputError(f"{display}: experiment file not found")
    findings = Findings(file=display)
    doc = read_yaml(path, findings)
    if doc is None:
        raise _first(findings, path)
    return _build(doc, (), display, path.parent, findings, path)


def load_inline(manifest_path: Path, index: int) -> Experiment:
    """The experiment written inline as ``default_experiments[index]`` of the manifest."""
    from compact_memory.diagnostics.findings import Findings
    from compact_memory.diagnostics.yaml_marks import read_yaml

    display = show(manifest_path)
    findings = Findings(file=display)
    doc = read_yaml(manifest_path, findings)
    if doc is None:
        raise _first(findings, manifest_path)
    return _build(doc, ("default_experiments", index), display, manifest_path.parent, findings, manifest_path)


def _build(doc: Any, base: tuple[Any, ...], display: str, folder: Path, findings: Any, file: Path) -> Experiment:
    from compact_memory.diagnostics import schema_check

    data: Any = doc.data
    for part in base:
        data = data[part]
    if not isinstance(data, dict):
        where = _where(display, doc.at(base))
        raise InputError(f"{where}: an experiment must be a mapping of keys, not {schema_check.kind_of(data)}",
                         hint="start with `name: my_experiment`")
    if schema_check.check(data, doc, "experiment", findings, base=base):
        raise _first(findings, file)

    def at(*path: Any) -> str:
        return _where(display, doc.at((*base, *path)))

    origin = at() if base else display
    dataset: Any = data.get("dataset", data.get("input"))
    key = "dataset" if "dataset" in data else "input"
    sources: list[DataSource] = []
    limit = None
    if isinstance(dataset, str):
        sources.append(DataSource(folder / dataset, dataset, at(key)))
    elif isinstance(dataset, list):
        sources += [DataSource(folder / item, item, at(key, i)) for i, item in enumerate(dataset)]
    else:
        sources.append(DataSource(folder / dataset["path"], dataset["path"], at(key, "path"),
                                  format=dataset.get("format", "auto"), glob=dataset.get("glob")))
        limit = dataset.get("limit")
    if key == "input":
        sources[0].format = "text"
    return Experiment(
        name=data["name"],
        origin=origin,
        folder=folder,
        sources=sources,
        budgets=list(data["budgets"]),
        tokenizer=data.get("tokenizer", "words"),
        strategy_id=data.get("strategy_id"),
        description=data.get("description"),
        query=data.get("query") or None,
        params=dict(data.get("params") or {}),
        param_grid={k: list(v) for k, v in (data.get("param_grid") or {}).items()},
        metrics=tuple(m for m in ALL_METRICS if m in data["metrics"]) if "metrics" in data else ALL_METRICS,
        baselines=tuple(data.get("baselines", DEFAULT_BASELINES)),
        repeat=int(data.get("repeat", 1)),
        limit=limit,
    )


def _where(display: str, position: tuple[int, int] | None) -> str:
    return f"{display}:{position[0]}:{position[1]}" if position else display


def _first(findings: Any, file: Path) -> InputError:
    first = sorted(findings.items, key=lambda f: f.sort_key())[0]
    more = len(findings.items) - 1
    hint = first.hint or ""
    if more:
        check = f"compact-memory dev validate-strategy-package {show(_package_of(file))}"
        hint = f"{hint + '; ' if hint else ''}{more} more problem(s): run {check}"
    return InputError(f"{first.location}: {first.message}", hint=hint or None)


def _package_of(file: Path) -> Path:
    """The nearest directory holding a manifest, for the validator hint."""
    for parent in [file.parent, *file.parent.parents]:
        if (parent / "strategy_package.yaml").is_file():
            return parent
    return file.parent


def relpath(path: Path, start: Path) -> str:
    try:
        return Path(os.path.relpath(path, start)).as_posix()
    except ValueError:  # another drive on Windows
        return str(path)
