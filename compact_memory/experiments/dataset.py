"""The documents of an experiment: text files, directories of them, or JSONL records."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compact_memory.errors import InputError
from compact_memory.experiments.spec import DataSource, Experiment, relpath, show

_HINT = "relative paths are relative to the experiment file"


@dataclass
class Document:
    id: str
    text: str
    reference: str | None = None
    answers: list[str] = field(default_factory=list)
    path: Path | None = None  # the file it was read from

    @property
    def size_bytes(self) -> int:
        return len(self.text.encode("utf-8"))


def load_documents(experiment: Experiment) -> list[Document]:
    """Every document of the experiment, in a stable order; bad data is one :class:`InputError`."""
    docs: list[Document] = []
    for source in experiment.sources:
        docs += _read_source(source, experiment.folder)
    if experiment.limit is not None:
        docs = docs[: experiment.limit]
    if not docs:
        raise InputError(f"{experiment.origin}: experiment {experiment.name!r} has no documents",
                         hint="point dataset at text files or a JSONL file with a \"text\" in each record")
    return docs


def _read_source(source: DataSource, folder: Path) -> list[Document]:
    path = source.path
    if not os.path.lexists(path):
        raise InputError(f"{show(path)}: dataset not found (named at {source.named_at})", hint=_HINT)
    kind = source.format
    if kind == "auto":
        kind = "directory" if os.path.isdir(path) else "jsonl" if path.suffix.lower() == ".jsonl" else "text"
    if kind == "directory":
        if not os.path.isdir(path):
            raise InputError(f"{show(path)}: is not a directory (named at {source.named_at})")
        return [_text_document(p, folder) for p in _directory_files(path, source.glob)]
    if os.path.isdir(path):
        raise InputError(f"{show(path)}: is a directory, not a {kind} file (named at {source.named_at})",
                         hint="remove format, or write format: directory")
    if kind == "jsonl":
        return _read_jsonl(path, folder)
    return [_text_document(path, folder)]


def _directory_files(root: Path, pattern: str | None) -> list[Path]:
    from pathlib import PurePath

    if pattern and (PurePath(pattern).is_absolute() or ".." in PurePath(pattern).parts):
        raise InputError(f"{show(root)}: glob {pattern!r} leaves the dataset directory",
                         hint="write a pattern relative to the directory, e.g. '**/*.md'")
    matches = root.glob(pattern) if pattern else root.iterdir()
    files = [
        p for p in matches
        if os.path.isfile(p) and not any(part.startswith(".") for part in p.relative_to(root).parts)
    ]
    return sorted(files, key=lambda p: p.relative_to(root).parts)


def _text_document(path: Path, folder: Path) -> Document:
    from compact_memory import io

    return Document(id=relpath(path, folder), text=io.read_text_file(path), path=path)


def _read_jsonl(path: Path, folder: Path) -> list[Document]:
    from compact_memory import io

    name = show(path)
    docs: list[Document] = []
    for number, line in enumerate(io.read_text_file(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except RecursionError:
            raise InputError(f"{name}:{number}: the record is nested too deeply",
                             hint='write one flat JSON object per line: {"text": ...}') from None
        except ValueError as exc:
            raise InputError(f"{name}:{number}: not a JSON object: {exc}",
                             hint="write one JSON object per line") from None
        doc = _record(record, f"{name}:{number}", f"{relpath(path, folder)}:{number}")
        doc.path = path
        docs.append(doc)
    return docs


def _record(record: Any, where: str, default_id: str) -> Document:
    if not isinstance(record, dict):
        raise InputError(f"{where}: a record must be a JSON object, not {type(record).__name__}")
    text = record.get("text")
    if not isinstance(text, str):
        raise InputError(f"{where}: the record needs \"text\" as a string", hint='e.g. {"text": "..."}')
    reference = record.get("reference")
    if "reference" in record and not isinstance(reference, str):
        raise InputError(f"{where}: \"reference\" must be a string")
    answers = []
    qa = record.get("qa", [])
    if not isinstance(qa, list):
        raise InputError(f"{where}: \"qa\" must be a list of {{\"question\", \"answer\"}} objects")
    # The same rules as the record definition in schemas/experiment.schema.json, which the validator uses.
    for i, pair in enumerate(qa):
        for key in ("question", "answer"):
            value = pair.get(key) if isinstance(pair, dict) else None
            if not isinstance(value, str) or not value.strip():
                raise InputError(f"{where}: qa[{i}] needs a non-empty \"{key}\" string",
                                 hint='e.g. {"question": "Who?", "answer": "Ada"}')
        answers.append(pair["answer"])
    raw_id = record.get("id")
    doc_id = str(raw_id) if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) else default_id
    return Document(id=doc_id, text=text, reference=reference, answers=answers)
