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
MIGRATE_HINT = ("write index_format_version: \"2.0\" and give each entry install: {git: {url, commit, "
                "subdirectory}} (the full commit hash: git ls-remote URL TAG) or install: {pip: {requirement: "
                "NAME==VERSION}}; see docs/community_strategies.md")
_ENTRY_PATH = re.compile(r"^\$\.strategies\[(\d+)\]")


@dataclass(frozen=True)
class Entry:
    id: str
    display_name: str
    description: str
    authors: tuple[str, ...]
    version: str
    install: Mapping[str, Any]  # {"git": {url, commit, tag?, subdirectory?}} or {"pip": {requirement, hashes?}}
    tags: tuple[str, ...] = ()
    homepage: str | None = None
    license: str | None = None
    compact_memory_version: str | None = None
    index: str = ""  # the index it comes from, as displayed
    line: int | None = None
    index_option: str | None = None  # the --index value that lists it; None for the indexes in effect anyway

    @property
    def method(self) -> str:
        """How it installs: "git" or "pip"."""
        return "git" if "git" in self.install else "pip"

    @property
    def pin(self) -> Mapping[str, Any]:
        return self.install[self.method]  # type: ignore[no-any-return]

    def source_text(self) -> str:
        """Where the install comes from, pinned: what a user checks before saying yes."""
        pin = self.pin
        if self.method == "pip":
            hashes = pin.get("hashes") or []
            return f"pip {pin['requirement']}" + (f" ({len(hashes)} sha256 hash{'es' if len(hashes) != 1 else ''})"
                                                  if hashes else "")
        where = f" in {pin['subdirectory']}" if pin.get("subdirectory") else ""
        tag = f" ({pin['tag']})" if pin.get("tag") else ""
        return f"git {pin['url']} at {pin['commit']}{tag}{where}"

    def install_command(self, *, upgrade: bool = False) -> str:
        """The shell command that installs this entry, every value quoted; nothing is run or fetched here."""
        index = f" --index {_quote(self.index_option)}" if self.index_option else ""
        return f"compact-memory dev install-strategy-package{index}{' --upgrade' if upgrade else ''} {self.id}"

    def install_commands(self) -> list[str]:
        return [self.install_command()]

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
            "install": _plain(self.install),
            "source": self.source_text(),
            "install_commands": self.install_commands(),
            "homepage": self.homepage,
            "license": self.license,
            "compact_memory_version": self.compact_memory_version,
            "index": self.index,
            "line": self.line,
        }


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


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


def load_index(path: Path, display: str | None = None, option: str | None = None) -> Index:
    """Read and check one index file; ``display`` is how findings name it, ``option`` how --index named it."""
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
    if doc.data.get("index_format_version") == "1.0":
        found.add("CM205", "index format 1.0 does not pin what an entry installs; this compact-memory reads 2.0",
                  at=doc.at(("index_format_version",)), json_path="$.index_format_version",
                  hint=MIGRATE_HINT)
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
                index.entries.append(_entry(item, shown, (doc.at(("strategies", i)) or (None, None))[0], option))
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
        for key, parse, invalid, code, what, hint in (
            ("version", Version, InvalidVersion, "CM205", "a PEP 440 version",
             'copy the quoted version of the package\'s strategy_package.yaml, e.g. "0.1.0"'),
            ("compact_memory_version", SpecifierSet, InvalidSpecifier, "CM206", "a PEP 440 version specifier",
             'write e.g. ">=0.1,<1"'),
        ):
            value = item.get(key)
            if isinstance(value, str) and value:
                try:
                    parse(value)
                except invalid:
                    add(code, (key,), f"{'version ' if key == 'version' else ''}{value!r} is not {what}", hint)
        install = item.get("install")
        pip = install.get("pip") if isinstance(install, dict) else None
        requirement = pip.get("requirement") if isinstance(pip, dict) else None
        if isinstance(requirement, str) and requirement:
            where = ("install", "pip", "requirement")
            try:
                parsed = Requirement(requirement)
            except InvalidRequirement as exc:
                add("CM206", where, f"{requirement!r} is not a PEP 508 requirement: {exc}",
                    'write e.g. "compact-memory-fancy==0.2.0"')
            else:
                pinned = [s.version for s in parsed.specifier if s.operator in ("==", "===")]
                if parsed.url is None and (len(pinned) != 1 or "*" in pinned[0]):
                    add("CM206", where, f"{requirement!r} does not pin one version with ==",
                        f'pin the version the entry lists: "{parsed.name}=={version}"')
                elif pinned and isinstance(version, str) and pinned[0] != version:
                    add("CM206", where, f"{requirement!r} pins {pinned[0]}, but the entry's version is {version}",
                        "list the version that the requirement installs")
        sid = item.get("id")
        if isinstance(sid, str):
            where = doc.at((*base, "id"))
            if sid in first_line:
                found.add(DUPLICATE_ID, f"strategy id {sid!r} is listed twice (first at line {first_line[sid]})",
                          at=where, json_path=json_path((*base, "id")), hint="keep one entry per strategy id")
            elif where:
                first_line[sid] = where[0]


def _entry(item: dict[str, Any], shown: str, line: int | None, option: str | None) -> Entry:
    return Entry(
        id=item["id"],
        display_name=item["display_name"],
        description=item["description"],
        authors=tuple(item["authors"]),
        version=item["version"],
        install=item["install"],
        tags=tuple(item.get("tags", ())),
        homepage=item.get("homepage"),
        license=item.get("license"),
        compact_memory_version=item.get("compact_memory_version"),
        index=shown,
        line=line,
        index_option=option,
    )


def _quote(text: str) -> str:
    """``text`` as one shell word that expands nothing (index values are written by others)."""
    if re.fullmatch(r"[A-Za-z0-9._\-=/:@+]+", text):
        return text
    return '"' + re.sub(r'([\\"$`])', r"\\\1", text) + '"'
