"""A small on-disk cache of the class checks, keyed by the content of every module they read.

Parsing a module is the costliest static step; the result depends only on
the bytes of the modules read and on three manifest values, so it is cached
like linters do. An entry is used only when every module it read still has
the same bytes. ``--no-cache`` or COMPACT_MEMORY_NO_CACHE=1 turns it off; any
error reading or writing it is ignored, and so is an entry another user owns
or others may write.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from compact_memory import __version__
from compact_memory.io import read_regular_file, replace_file
from compact_memory.manifest_cache import disabled

MAX_MODULE_BYTES = 5_000_000
FORMAT = 2  # bumped whenever the checks whose findings are cached change
_state: dict[str, Any] = {"enabled": True}


@contextlib.contextmanager
def enabled(on: bool) -> Iterator[None]:
    """Use the cache (or not) inside the block; the setting before it comes back after it."""
    before = _state["enabled"]
    _state["enabled"] = on
    try:
        yield
    finally:
        _state["enabled"] = before


def directory() -> Path | None:
    if not _state["enabled"] or disabled():
        return None
    from compact_memory.dirs import user_cache

    return user_cache("validate", f"v{FORMAT}")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def key(*parts: str) -> str:
    # The interpreter matters: its grammar decides what parses (class C[T]: is 3.12+).
    return digest("\0".join((__version__, str(FORMAT), sys.implementation.cache_tag or "", *parts)).encode())


def load(root: Path, name: str) -> list[dict[str, Any]] | None:
    """The cached findings for ``name``, if every module they depend on is unchanged."""
    folder = directory()
    if folder is None:
        return None
    try:
        entry = json.loads(read_regular_file(folder / f"{name}.json", 10_000_000, private=True))
        for relative, expected in entry["modules"].items():
            if _current(root / relative) != expected:
                return None
        return list(entry["findings"])
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None


def _current(path: Path) -> str:
    try:
        return digest(read_regular_file(path, MAX_MODULE_BYTES))
    except OSError:
        return ""  # absent, as it was when the entry was written if the entry says ""


def store(name: str, modules: dict[str, str], findings: list[dict[str, Any]]) -> None:
    folder = directory()
    if folder is None:
        return
    with contextlib.suppress(OSError):
        replace_file(folder / f"{name}.json", json.dumps({"modules": modules, "findings": findings}).encode())
