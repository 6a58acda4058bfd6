"""What reading each plugin manifest found, kept between runs so listing need not parse YAML again.

Every ``compact-memory`` command that resolves a strategy reads the manifest
of every local plugin (and those entry-point distributions ship). This cache
keeps, per manifest file, what the lenient reading of
:func:`compact_memory.package.read_package` produced: the data, where each
key and value was written, and the findings. It changes no verdict:

- An entry is used only while the file is the same file with the same size,
  modification and change times (nanoseconds). The change time moves with
  every write and cannot be set back, so an edit, a ``touch`` or a
  replacement is always seen.
- A file changed less than :data:`SETTLE_SECONDS` before it was read is not
  kept (git's "racy" rule): a second write within the clock's granularity
  could otherwise leave the same times behind.
- Only data that JSON keeps exactly is kept (strings, whole numbers, finite
  floats, booleans, null, lists, mappings with string keys); a manifest with
  a date, say, is read afresh each time.
- Entries are bound to the running compact-memory version (and so to its
  schema and rules).

The cache is one JSON file per directory of packages (a plugin directory,
site-packages) under ``manifests/`` in the user cache directory, so a
listing reads only the files of the directories it looks in; each is
replaced atomically and holds the packages the last run found there. A file
that is missing, unreadable, malformed, not ours (another owner, or
writable by others) or too large is ignored and rewritten.
``COMPACT_MEMORY_NO_CACHE=1`` turns it off, as for the validator.
"""

from __future__ import annotations

import contextlib
import os
import time

from compact_memory import __version__
from compact_memory.diagnostics.findings import Finding
from compact_memory.diagnostics.yaml_marks import Document
from compact_memory.package import MANIFEST_NAME, StrategyPackage

TYPE_CHECKING = False  # no typing at runtime: listing starts fast
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from typing import Any

NO_CACHE_ENV = "COMPACT_MEMORY_NO_CACHE"
FORMAT = 1
MAX_BYTES = 20_000_000
SETTLE_SECONDS = 2.0


def disabled() -> bool:
    return os.environ.get(NO_CACHE_ENV, "") not in ("", "0")


def cache_dir() -> Path:
    from compact_memory.dirs import user_cache

    return user_cache("manifests")


def group_file(folder: Path, directory: str) -> Path:
    """The cache file of the packages in ``directory`` (a plugin directory, or site-packages).

    Named by a 64-bit FNV-1a hash of the path (hashlib alone costs more to import than listing
    a hundred cached plugins); the file also records the directory, so a collision only costs a
    fresh read.
    """
    value = 0xCBF29CE484222325
    for byte in os.fsencode(directory):
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return folder / f"{value:016x}.json"


class _Group:
    """The entries of the packages in one directory: those in the file, and those this run used."""

    def __init__(self, file: Path, directory: str) -> None:
        self.file = file
        self.directory = directory
        self.stored = _load(file, directory)
        self.used: dict[str, Any] = {}
        self.changed = False


class ManifestCache:
    """One run's use of the cache: one file per directory of packages, read when a package there is."""

    def __init__(self) -> None:
        self.folder = None if disabled() else cache_dir()
        self.groups: dict[str, _Group] = {}

    def read(self, root: Path, read: Callable[[Path], StrategyPackage]) -> StrategyPackage:
        """The package at ``root`` from its entry if the manifest is unchanged, else ``read(root)``, kept."""
        if self.folder is None:
            return read(root)
        key = os.path.abspath(root)
        directory = os.path.dirname(key)
        group = self.groups.get(directory)
        if group is None:
            group = self.groups[directory] = _Group(group_file(self.folder, directory), directory)
        try:
            st = os.stat(os.path.join(key, MANIFEST_NAME))
        except OSError:
            return read(root)  # missing or unreadable: reading says why, and nothing is kept
        identity = [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
        entry = group.stored.get(key)
        if isinstance(entry, dict) and entry.get("stat") == identity and entry.get("root") == str(root):
            pkg = _restore(root, entry)
            if pkg is not None:
                group.used[key] = entry
                return pkg
        pkg = read(root)
        settled = time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > SETTLE_SECONDS * 1e9
        kept = _entry(root, pkg, identity) if settled else None
        if kept is not None:
            group.used[key] = kept
            group.changed = True
        return pkg

    def save(self) -> None:
        """Write each directory's file that changed: what this run used, so packages gone are dropped."""
        for group in self.groups.values():
            if group.changed or group.used.keys() != group.stored.keys():
                _write(group.file, group.directory, group.used)
                group.stored, group.changed = dict(group.used), False


def _write(file: Path, directory: str, entries: dict[str, Any]) -> None:
    import json

    from compact_memory.io import replace_file

    document = {"format": FORMAT, "version": __version__, "directory": directory, "entries": entries}
    with contextlib.suppress(OSError):  # a cache that cannot be written is only not there next time
        replace_file(file, json.dumps(document, separators=(",", ":")).encode("utf-8"))


def _load(file: Path, directory: str) -> dict[str, Any]:
    import json

    from compact_memory.io import read_regular_file

    try:
        document = json.loads(read_regular_file(file, MAX_BYTES, private=True))
    except (OSError, ValueError, RecursionError):
        return {}
    expected = {"format": FORMAT, "version": __version__, "directory": directory}
    if not isinstance(document, dict) or any(document.get(key) != value for key, value in expected.items()):
        return {}
    entries = document.get("entries")
    return entries if isinstance(entries, dict) else {}


def _entry(root: Path, pkg: StrategyPackage, identity: list[int]) -> dict[str, Any] | None:
    doc = pkg.doc
    if doc is not None and not _exact(doc.data):
        return None
    entry: dict[str, Any] = {"stat": identity, "root": str(root), "doc": None,
                             "findings": [f.to_json() for f in pkg.findings]}
    if doc is not None:
        entry["doc"] = {
            "data": doc.data,
            "values": [[list(path), *mark] for path, mark in doc.value_marks.items()],
            "keys": [[list(path), *mark] for path, mark in doc.key_marks.items()],
            "plain": [[list(path), text] for path, text in doc.plain_scalars.items()],
        }
    return entry


def _restore(root: Path, entry: dict[str, Any]) -> StrategyPackage | None:
    try:
        pkg = StrategyPackage(root)
        pkg.findings = [Finding(f["code"], f["message"], f["file"], f["line"], f["column"], f["json_path"], f["hint"],
                                f["severity"]) for f in entry["findings"]]
        saved = entry["doc"]
        if saved is not None:
            doc = Document(saved["data"])
            doc.value_marks = {tuple(path): (line, column) for path, line, column in saved["values"]}
            doc.key_marks = {tuple(path): (line, column) for path, line, column in saved["keys"]}
            doc.plain_scalars = {tuple(path): text for path, text in saved["plain"]}
            pkg.doc = doc
        return pkg
    except (KeyError, TypeError, ValueError):  # an entry of another shape: read the file instead
        return None


def _exact(value: Any) -> bool:
    """Whether JSON gives ``value`` back equal and of the same types."""
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return value - value == 0.0
    if isinstance(value, list):
        return all(_exact(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _exact(item) for key, item in value.items())
    return False
