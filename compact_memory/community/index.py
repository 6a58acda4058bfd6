"""Read ``community/strategies.yaml`` and report every problem with file:line:col.

The shape is checked against ``schemas/community_index.schema.json`` (codes
CM1xx/CM2xx, as for manifests); versions, requirements and specifiers are
parsed with :mod:`packaging`; an id listed twice is ``CM801``. Entries with
an error are left out of :attr:`Index.entries`, so one bad entry never hides
the others from search.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compact_memory.diagnostics.codes import ERROR
from compact_memory.diagnostics.findings import Finding, Findings, json_path

INDEX_PARTS = ("community", "strategies.yaml")
SCHEMA_NAME = "community_index"
DUPLICATE_ID = "CM801"
_ENTRY_PATH = re.compile(r"^\$\.strategies\[(\d+)\]")


@dataclass(frozen=True)
class Entry:
    id: str
    display_name: str
    description: str
    authors: tuple[str, ...]
    version: str
    install: Mapping[str, str]
    tags: tuple[str, ...] = ()
    homepage: str | None = None
    license: str | None = None
    compact_memory_version: str | None = None
    index: str = ""  # the index file it comes from, as displayed
    line: int | None = None

    def install_commands(self) -> list[str]:
        """Shell commands that install this entry, every value quoted; nothing is run or fetched here."""
        if "pip" in self.install:
            return [f"pip install {_quote(self.install['pip'])}"]
        repository = self.install["repository"]
        clone = repository.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
        ref = self.install.get("ref")
        branch = f" --branch {_quote(ref)}" if ref else ""
        package_dir = f"{clone}/{self.install['subdirectory']}" if self.install.get("subdirectory") else clone
        return [
            f"git clone --depth 1{branch} {_quote(repository)} {_quote(clone)}",
            f"compact-memory dev install-strategy-package {_quote(package_dir)}",
        ]

    def searchable(self) -> str:
        return " ".join([self.id, self.display_name, self.description, *self.tags, *self.authors]).lower()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "display_name": self.display_name,
            "description": self.description,
            "authors": list(self.authors),
            "version": self.version,
            "tags": list(self.tags),
            "install": dict(self.install),
            "install_commands": self.install_commands(),
            "homepage": self.homepage,
            "license": self.license,
            "compact_memory_version": self.compact_memory_version,
            "index": self.index,
            "line": self.line,
        }


@dataclass
class Index:
    path: Path
    display: str
    entries: list[Entry] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)

    @property
    def passed(self) -> bool:
        return self.errors == 0


def shipped_index_path() -> Path:
    """The index shipped with this compact-memory (the checkout's in an editable install)."""
    from compact_memory.resources import data_path

    return data_path(*INDEX_PARTS)


def load_index(path: Path, display: str | None = None) -> Index:
    """Read and check one index file; ``display`` is how findings name it."""
    from compact_memory.diagnostics import schema_check
    from compact_memory.diagnostics.findings import display_path
    from compact_memory.diagnostics.yaml_marks import read_yaml

    shown = display or display_path(Path(os.path.abspath(path)), Path(os.getcwd()))
    index = Index(path=path, display=shown)
    found = Findings(shown, index.findings)
    if not path.is_file():
        what = "is not a file" if path.exists() else "no such file"
        found.add("CM001" if not path.exists() else "CM101", what)
        return index
    doc = read_yaml(path, found)
    if doc is None:
        return index
    if not isinstance(doc.data, dict):
        what = "empty" if doc.data is None else schema_check.kind_of(doc.data)
        found.add("CM108", f"the index must be a mapping of keys, but it is {what}", at=doc.at(()) or (1, 1),
                  hint="start with index_format_version: \"1.0\" and a strategies: list")
        return index
    schema_check.check(doc.data, doc, SCHEMA_NAME, found)
    items = doc.data.get("strategies")
    if not isinstance(items, list):
        return index
    _check_values(items, doc, found)
    bad = {int(m.group(1)) for f in index.findings if f.json_path and (m := _ENTRY_PATH.match(f.json_path))}
    whole_file_broken = any(f.severity == ERROR and not (f.json_path or "").startswith("$.strategies[")
                            for f in index.findings)
    if not whole_file_broken:
        for i, item in enumerate(items):
            if i not in bad and isinstance(item, dict):
                index.entries.append(_entry(item, shown, (doc.at(("strategies", i)) or (None, None))[0]))
    index.findings.sort(key=Finding.sort_key)
    return index


def _check_values(items: list[Any], doc: Any, found: Findings) -> None:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    first_line: dict[str, int] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        base = ("strategies", i)

        def add(code: str, key: tuple[Any, ...], message: str, hint: str, base: tuple[Any, ...] = base) -> None:
            path = (*base, *key)
            found.add(code, message, at=doc.at(path), json_path=json_path(path), hint=hint)

        version = item.get("version")
        if isinstance(version, str) and version:
            try:
                Version(version)
            except InvalidVersion:
                add("CM205", ("version",), f"version {version!r} is not a PEP 440 version",
                    'copy the quoted version of the package\'s strategy_package.yaml, e.g. "0.1.0"')
        spec = item.get("compact_memory_version")
        if isinstance(spec, str) and spec:
            try:
                SpecifierSet(spec)
            except InvalidSpecifier:
                add("CM206", ("compact_memory_version",), f"{spec!r} is not a PEP 440 version specifier",
                    'write e.g. ">=0.1,<1"')
        install = item.get("install")
        pip = install.get("pip") if isinstance(install, dict) else None
        if isinstance(pip, str) and pip:
            try:
                Requirement(pip)
            except InvalidRequirement as exc:
                add("CM206", ("install", "pip"), f"{pip!r} is not a PEP 508 requirement: {exc}",
                    'write e.g. "compact-memory-fancy>=0.2"')
        sid = item.get("id")
        if isinstance(sid, str):
            where = doc.at((*base, "id"))
            if sid in first_line:
                found.add(DUPLICATE_ID, f"strategy id {sid!r} is listed twice (first at line {first_line[sid]})",
                          at=where, json_path=json_path((*base, "id")), hint="keep one entry per strategy id")
            elif where:
                first_line[sid] = where[0]


def _entry(item: dict[str, Any], shown: str, line: int | None) -> Entry:
    return Entry(
        id=item["id"],
        display_name=item["display_name"],
        description=item["description"],
        authors=tuple(item["authors"]),
        version=item["version"],
        install=dict(item["install"]),
        tags=tuple(item.get("tags", ())),
        homepage=item.get("homepage"),
        license=item.get("license"),
        compact_memory_version=item.get("compact_memory_version"),
        index=shown,
        line=line,
    )


def _quote(text: str) -> str:
    """``text`` as one shell word that expands nothing (index values are written by others)."""
    if re.fullmatch(r"[A-Za-z0-9._\-=/:@+]+", text):
        return text
    return '"' + re.sub(r'([\\"$`])', r"\\\1", text) + '"'
