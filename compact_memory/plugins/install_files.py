"""Which files of a package directory are installed, and the record of what an install wrote.

An installed package holds :data:`MARKER`, a small JSON file listing every
file it installed with its SHA-256, so uninstalling removes exactly those
files and notices any that were changed since.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from compact_memory.errors import CompactMemoryError

MARKER = ".compact-memory-install.json"
MARKER_FORMAT = 1
# Version control, caches and virtual environments are never part of a package.
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
                       ".tox", ".nox", ".venv", "venv", ".eggs", ".ipynb_checkpoints"})
SKIP_SUFFIXES = (".pyc", ".pyo")
MAX_FILES = 2_000
MAX_BYTES = 50_000_000


@dataclass(frozen=True)
class Record:
    """The marker of an installed package."""

    strategy_id: str
    version: str
    files: dict[str, str]  # posix relative path -> sha256
    source: str | None = None
    origin: dict[str, Any] | None = None  # where it came from: {"git": url, "commit": ..., "index": ...}

    def to_json(self) -> dict[str, Any]:
        from compact_memory import __version__

        return {
            "format_version": MARKER_FORMAT,
            "installed_by": f"compact-memory {__version__}",
            "strategy_id": self.strategy_id,
            "version": self.version,
            "source": self.source,
            "origin": self.origin,
            "files": dict(sorted(self.files.items())),
        }


def package_files(root: Path) -> list[str]:
    """Relative posix paths of the files to install from ``root``, sorted.

    Symlinks are refused when they leave the package or point at a directory;
    sockets, pipes and devices are refused. Over :data:`MAX_FILES` files or
    :data:`MAX_BYTES` bytes is refused too: that is not a strategy package.
    """
    real_root = os.path.realpath(root)
    files: list[str] = []
    total = 0
    for path in _walk(root):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            target = os.path.realpath(path)
            if not target.startswith(real_root.rstrip(os.sep) + os.sep) or not os.path.isfile(target):
                raise CompactMemoryError(f"{path}: symbolic link to {os.readlink(path)} leaves the package "
                                         "or is not a file", hint="replace it with the file itself")
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise CompactMemoryError(f"{path}: not a regular file", hint="remove it from the package")
        total += path.stat().st_size
        files.append(rel)
        if len(files) > MAX_FILES or total > MAX_BYTES:
            raise CompactMemoryError(
                f"{root} holds more than {MAX_FILES:,} files or {MAX_BYTES // 1_000_000} MB; "
                "that does not look like a strategy package", hint="install the package directory itself")
    return sorted(files)


def sorted_entries(root: Path, what: str = "") -> list[os.DirEntry[str]]:
    """The entries of directory ``root`` by name; an error naming ``what`` and ``root`` when it cannot be read."""
    try:
        return sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as exc:
        raise CompactMemoryError(f"cannot read {what}{root}: {exc.strerror or exc}") from None


def _walk(root: Path) -> Iterator[Path]:
    for entry in sorted_entries(root):
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            if entry.name in SKIP_DIRS or entry.name.endswith(".egg-info") or (path / "pyvenv.cfg").exists():
                continue
            yield from _walk(path)
        elif entry.name == MARKER or entry.name.endswith(SKIP_SUFFIXES):
            continue
        else:
            yield path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def copy_file(source: Path, dest: Path) -> str:
    """Copy one file (following an inside symlink) with an ordinary mode; return its SHA-256."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with source.open("rb") as src, dest.open("xb") as out:
        for block in iter(lambda: src.read(1 << 20), b""):
            digest.update(block)
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    executable = source.stat().st_mode & stat.S_IXUSR
    os.chmod(dest, (0o777 if executable else 0o666) & ~_umask())
    return digest.hexdigest()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def default_dir_mode() -> int:
    return 0o777 & ~_umask()


def write_marker(directory: Path, record: Record) -> None:
    path = directory / MARKER
    with path.open("x", encoding="utf-8") as handle:
        handle.write(json.dumps(record.to_json(), indent=2, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_marker(directory: Path) -> Record | None:
    """The record of ``directory``; None when it has none; an error when it is unreadable or unsafe."""
    path = directory / MARKER
    if not path.is_file():
        return None
    try:
        from compact_memory.io import read_regular_file

        data = json.loads(read_regular_file(path, 10_000_000))
        files = data["files"]
        record = Record(strategy_id=str(data["strategy_id"]), version=str(data["version"]),
                        files={str(k): str(v) for k, v in files.items()}, source=data.get("source"),
                        origin=data["origin"] if isinstance(data.get("origin"), dict) else None)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise CompactMemoryError(f"{path} cannot be read ({type(exc).__name__}); compact-memory cannot tell "
                                 "what it installed there", hint="pass --force to remove the whole directory") from None
    for name in record.files:
        pure = PurePosixPath(name)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts or name != pure.as_posix():
            raise CompactMemoryError(f"{path} lists the unsafe path {name!r}; refusing to touch it",
                                     hint="pass --force to remove the whole directory")
    return record


def through_link(directory: Path, name: str) -> bool:
    """Whether a directory on the way from ``directory`` to ``name`` is a symbolic link (or not a directory)."""
    current = directory
    for part in PurePosixPath(name).parts[:-1]:
        current = current / part
        if os.path.islink(current) or not os.path.isdir(current):
            return True
    return False


def changed_files(directory: Path, record: Record) -> tuple[list[str], list[str]]:
    """(changed, missing) among the files ``record`` lists; a file reached through a linked directory is changed."""
    changed: list[str] = []
    missing: list[str] = []
    for name, expected in sorted(record.files.items()):
        path = directory / name
        if through_link(directory, name):
            changed.append(name)
        elif path.is_symlink() or not path.is_file():
            (missing if not os.path.lexists(path) else changed).append(name)
        elif sha256_file(path) != expected:
            changed.append(name)
    return changed, missing


def extra_files(directory: Path, record: Record) -> list[str]:
    """Files in ``directory`` that the install did not write (bytecode caches do not count)."""
    extras = []
    for base, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        rel_base = Path(base).relative_to(directory)
        for name in sorted(names):
            rel = (rel_base / name).as_posix()
            if rel not in record.files and rel != MARKER:
                extras.append(rel)
        for d in dirs:
            if Path(base, d).is_symlink():
                extras.append((rel_base / d).as_posix())
    return extras
