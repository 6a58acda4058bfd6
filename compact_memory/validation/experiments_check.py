"""Experiments named by default_experiments: files, their schema, the data they point at."""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePath
from typing import Any

from compact_memory.diagnostics import schema_check
from compact_memory.diagnostics.findings import Findings, json_path
from compact_memory.diagnostics.yaml_marks import Document, read_yaml
from compact_memory.package import StrategyPackage, inside

_MAX_JSONL_BYTES = 20_000_000
_MAX_RECORD_FINDINGS = 10


def check(pkg: StrategyPackage) -> None:
    entries = pkg.data.get("default_experiments")
    if not isinstance(entries, list) or pkg.doc is None:
        return
    for index, entry in enumerate(entries):
        if isinstance(entry, str) and entry:
            _check_file(pkg, index, entry)
        elif isinstance(entry, dict):
            base = ("default_experiments", index)
            if not schema_check.check(entry, pkg.doc, "experiment", pkg.on(), base=base):
                _check_content(pkg, entry, pkg.doc, base, pkg.root, pkg.on())


def _check_file(pkg: StrategyPackage, index: int, entry: str) -> None:
    where, path_text = pkg.at("default_experiments", index), json_path(("default_experiments", index))
    path = pkg.root / entry
    if PurePath(entry).is_absolute() or not inside(path, pkg.root):
        pkg.on().add("CM302", f"experiment {entry!r} is outside the package", at=where, json_path=path_text,
                     hint="keep experiment files inside the package, e.g. experiments/example.yaml")
        return
    if not path.is_file():
        pkg.on().add("CM501", f"experiment file {entry!r} not found", at=where, json_path=path_text)
        return
    found = pkg.on(path.relative_to(pkg.root))
    doc = read_yaml(path, found)
    if doc is None:
        return
    if not isinstance(doc.data, dict):
        found.add("CM108", f"an experiment must be a mapping of keys, not {schema_check.kind_of(doc.data)}",
                  at=doc.at(()) or (1, 1), hint="start with `name: my_experiment`")
        return
    if not schema_check.check(doc.data, doc, "experiment", found):
        _check_content(pkg, doc.data, doc, (), path.parent, found)


def _check_content(pkg: StrategyPackage, exp: dict[str, Any], doc: Document, base: tuple[Any, ...], folder: Path,
                   found: Findings) -> None:
    strategy_id = pkg.text("strategy_id")
    if "strategy_id" in exp and strategy_id and exp["strategy_id"] != strategy_id:
        found.add("CM502", f"the experiment runs {exp['strategy_id']!r} but the package's strategy is "
                  f"{strategy_id!r}", at=doc.at((*base, "strategy_id")), json_path=json_path((*base, "strategy_id")),
                  hint=f"write strategy_id: {strategy_id}, or remove the key")
    glob = exp.get("dataset", {}).get("glob") if isinstance(exp.get("dataset"), dict) else None
    if isinstance(glob, str) and (PurePath(glob).is_absolute() or ".." in PurePath(glob).parts):
        full = (*base, "dataset", "glob")
        found.add("CM302", f"glob {glob!r} reaches outside the dataset directory", at=doc.at(full),
                  json_path=json_path(full), hint="write a pattern relative to the directory, e.g. '**/*.md'")
    for path, value in _data_paths(exp):
        full = (*base, *path)
        target = folder / value
        if PurePath(value).is_absolute() or not inside(target, pkg.root):
            found.add("CM302", f"data path {value!r} is outside the package", at=doc.at(full),
                      json_path=json_path(full), hint="copy the data into the package, e.g. experiments/data/")
        elif not os.path.exists(target):
            relative = os.path.relpath(target, pkg.root)
            found.add("CM503", f"data path {value!r} not found (looked for {pkg.show(relative)})", at=doc.at(full),
                      json_path=json_path(full))
        elif target.is_file() and target.suffix == ".jsonl":
            _check_records(pkg, target)


def _data_paths(exp: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    paths: list[tuple[tuple[Any, ...], str]] = []
    if isinstance(exp.get("input"), str):
        paths.append((("input",), exp["input"]))
    dataset = exp.get("dataset")
    if isinstance(dataset, str):
        paths.append((("dataset",), dataset))
    elif isinstance(dataset, list):
        paths += [(("dataset", i), item) for i, item in enumerate(dataset) if isinstance(item, str)]
    elif isinstance(dataset, dict) and isinstance(dataset.get("path"), str):
        paths.append((("dataset", "path"), dataset["path"]))
    return paths


def _check_records(pkg: StrategyPackage, path: Path) -> None:
    found = pkg.on(path.relative_to(pkg.root))
    from compact_memory.io import read_regular_file

    try:
        raw = read_regular_file(path, _MAX_JSONL_BYTES)
    except OSError:
        return
    try:
        lines = raw.decode("utf-8").splitlines()  # as run-package-experiment reads it
    except UnicodeDecodeError as exc:
        found.add("CM504", f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start}",
                  at=(raw.count(b"\n", 0, exc.start) + 1, 1), hint="save the file as UTF-8")
        return
    schema = schema_check.load_schema("experiment")
    record = {**schema["$defs"]["record"], "$defs": schema["$defs"]}
    validator = schema_check.validator_for(record)
    reported = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip() or reported >= _MAX_RECORD_FINDINGS:
            continue
        try:
            record = json.loads(line)
        except RecursionError:
            found.add("CM504", "the record is nested too deeply", at=(number, 1))
            reported += 1
            continue
        except ValueError as exc:
            found.add("CM504", f"line is not JSON: {exc}", at=(number, 1))
            reported += 1
            continue
        error = next(iter(validator.iter_errors(record)), None)
        if error is not None:
            where = json_path(tuple(error.absolute_path))
            found.add("CM504", f"record {where}: {schema_check.truncate(error.message)}", at=(number, 1))
            reported += 1
