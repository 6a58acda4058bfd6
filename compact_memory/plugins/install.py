"""Install a validated directory package into a plugin directory, and take it out again.

Nothing here imports or runs package code. An install copies into a hidden
temporary directory next to the destination and renames it into place
(discovery skips hidden directories), so an interrupted or failed install
leaves no half-installed package; an upgrade moves the old copy aside first
and puts it back if the rename fails. The hidden directories carry the
process id; one whose process is gone (killed outright, so no clean-up ran)
is cleared by the next install or uninstall of that id, and a package that
was moved aside but never replaced is put back first.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from compact_memory.errors import CompactMemoryError, UsageError
from compact_memory.names import ID_RULE, is_strategy_id
from compact_memory.package import MANIFEST_NAME, read_package
from compact_memory.plugins.install_files import (
    MARKER,
    Record,
    changed_files,
    copy_file,
    default_dir_mode,
    extra_files,
    package_files,
    read_marker,
    sorted_entries,
    through_link,
    write_marker,
)
from compact_memory.plugins.install_work import Journal, journal, locked, recover

INSTALLED, UPGRADED, UNCHANGED, UNINSTALLED = "installed", "upgraded", "unchanged", "uninstalled"
@dataclass
class Outcome:
    action: str
    strategy_id: str
    version: str
    path: Path
    previous_version: str | None = None
    files: list[str] = field(default_factory=list)  # installed, or removed
    kept: list[str] = field(default_factory=list)  # left in place by uninstall

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "path": str(self.path)}


def install(source: Path, root: Path, *, strategy_id: str, version: str, upgrade: bool = False,
            force: bool = False, origin: dict[str, Any] | None = None) -> Outcome:
    """Copy the package at ``source`` (already validated) to ``root/strategy_id``; ``origin`` goes in the record."""
    if not is_strategy_id(strategy_id):
        raise CompactMemoryError(f"invalid strategy id {strategy_id!r}")
    with locked(root, f"installing {strategy_id}"), journal(root, strategy_id) as work:
        recover(root, strategy_id)
        return _install(source, root, strategy_id, version, work, upgrade=upgrade, force=force, origin=origin)


def _install(source: Path, root: Path, strategy_id: str, version: str, work: Journal, *, upgrade: bool,
             force: bool, origin: dict[str, Any] | None) -> Outcome:
    dest = root / strategy_id
    _refuse_same_id_elsewhere(root, strategy_id, dest)
    files = package_files(source)
    replacing = os.path.lexists(dest)
    previous: str | None = None
    if replacing:
        same, previous = _replaceable(dest, strategy_id, version, files, source, upgrade=upgrade, force=force)
        if same:
            return Outcome(UNCHANGED, strategy_id, version, dest, previous, files)
    try:
        tmp = work.work_dir("installing")
    except OSError as exc:
        raise CompactMemoryError(f"cannot write to {root}: {exc.strerror or exc}; nothing changed") from None
    try:
        os.chmod(tmp, default_dir_mode())
        hashes = {name: copy_file(source / name, tmp / name) for name in files}
        shown = None if origin else str(source.absolute())  # a temporary checkout is no source to name
        write_marker(tmp, Record(strategy_id, version, hashes, source=shown, origin=origin))
        if os.path.lexists(dest):
            _swap(tmp, dest, work)
        else:
            _rename_new(tmp, dest)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise CompactMemoryError(f"installing into {dest} failed: {exc.strerror or exc}{where}; "
                                 "nothing changed") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(tmp)
    return Outcome(UPGRADED if replacing else INSTALLED, strategy_id, version, dest, previous, files)


def _refuse_same_id_elsewhere(root: Path, strategy_id: str, dest: Path) -> None:
    # Two directories with one id shadow each other; the user must choose.
    for entry in sorted_entries(root, "plugin directory "):
        path = Path(entry.path)
        if entry.name.startswith(".") or path == dest or not (path / MANIFEST_NAME).is_file():
            continue
        if read_package(path).strategy_id == strategy_id:
            raise CompactMemoryError(f"{path} already holds strategy id {strategy_id!r}",
                                     hint="uninstall or remove it first, or install with --to another directory")


def _replaceable(dest: Path, strategy_id: str, version: str, files: list[str], source: Path, *,
                 upgrade: bool, force: bool) -> tuple[bool, str | None]:
    """(whether the installed copy is this very package, its version), once replacing it is wanted and safe."""
    from packaging.version import InvalidVersion, Version

    if dest.is_symlink() or not dest.is_dir():
        raise CompactMemoryError(f"{dest} exists and is not a directory", hint="move it away first")
    record = _record(dest, force=force)
    installed = record.version if record else read_package(dest).version
    changed = changed_files(dest, record) if record else ([], [])
    if record and record.version == version and not any(changed) and _same_files(source, files, record):
        return True, installed
    if force:
        return False, installed
    shown = f"{strategy_id} {installed}" if installed else strategy_id
    if not upgrade:
        raise CompactMemoryError(f"{shown} is already installed at {dest}; nothing changed",
                                 hint="pass --upgrade to install a newer version, or --force to replace it anyway")
    if record is None:
        raise CompactMemoryError(f"{dest} was not installed by compact-memory (no {MARKER}); nothing changed",
                                 hint="remove it yourself, or pass --force to replace it")
    if any(changed):
        raise CompactMemoryError(f"files in {dest} were changed or removed since they were installed: "
                                 f"{_some(changed[0] + changed[1])}; nothing changed",
                                 hint="back them up, then pass --force to replace them")
    try:
        newer = installed is None or Version(version) > Version(installed)
    except InvalidVersion as exc:
        raise CompactMemoryError(f"cannot compare versions {version!r} and {installed!r}: {exc}",
                                 hint="use PEP 440 versions such as 0.2.0") from None
    if not newer:
        raise CompactMemoryError(f"{shown} is installed at {dest} and {version} is not newer; nothing changed",
                                 hint="bump version in strategy_package.yaml, or pass --force to replace it anyway")
    return False, installed


def _record(dest: Path, *, force: bool) -> Record | None:
    """The install record of ``dest``; with ``force`` an unreadable one counts as none."""
    try:
        return read_marker(dest)
    except CompactMemoryError:
        if not force:
            raise
        return None


def _same_files(source: Path, files: list[str], record: Record) -> bool:
    from compact_memory.plugins.install_files import sha256_file

    return set(files) == set(record.files) and all(sha256_file(source / f) == record.files[f] for f in files)


def _rename_new(tmp: Path, dest: Path) -> None:
    if os.path.lexists(dest):
        raise CompactMemoryError(f"{dest} appeared while installing; nothing changed")
    try:
        os.rename(tmp, dest)
    except OSError as exc:
        raise CompactMemoryError(f"cannot move the package into {dest}: {exc.strerror or exc}") from None


def _swap(tmp: Path, dest: Path, work: Journal) -> None:
    old = work.work_dir("replaced")
    os.rmdir(old)
    os.rename(dest, old)
    try:
        os.rename(tmp, dest)
    except BaseException:
        os.rename(old, dest)
        raise
    shutil.rmtree(old, ignore_errors=True)


def uninstall(strategy_id: str, root: Path, *, force: bool = False) -> Outcome:
    """Remove what :func:`install` put in ``root`` for ``strategy_id``."""
    if not is_strategy_id(strategy_id):
        raise UsageError(f"{strategy_id!r} is not a strategy id", hint=ID_RULE)
    with locked(root, f"uninstalling {strategy_id}"), journal(root, strategy_id) as work:
        recover(root, strategy_id)
        return _uninstall(strategy_id, root, work, force=force)


def _uninstall(strategy_id: str, root: Path, work: Journal, *, force: bool) -> Outcome:
    dest = root / strategy_id
    if not os.path.isdir(dest) or os.path.islink(dest):
        raise CompactMemoryError(f"{strategy_id!r} is not installed in {root}", hint=_where_else(strategy_id))
    record = _record(dest, force=force)
    version = record.version if record else (read_package(dest).version or "?")
    if record is None and not force:
        raise CompactMemoryError(f"{dest} was not installed by compact-memory (no {MARKER}); nothing removed",
                                 hint="remove it yourself, or pass --force to remove the whole directory")
    if record is not None and record.strategy_id != strategy_id and not force:
        raise CompactMemoryError(f"{dest / MARKER} records strategy id {record.strategy_id!r}, not "
                                 f"{strategy_id!r}; nothing removed", hint="pass --force to remove it anyway")
    if record is None or record.strategy_id != strategy_id:  # forced: the whole directory goes
        try:
            return Outcome(UNINSTALLED, strategy_id, version, dest, files=_remove_tree(dest, work))
        except OSError as exc:
            raise CompactMemoryError(f"removing {dest} failed: {exc.strerror or exc}") from None
    changed, missing = changed_files(dest, record)
    if changed and not force:
        raise CompactMemoryError(f"files in {dest} were changed since they were installed: {_some(changed)}; "
                                 "nothing removed", hint="back them up, then pass --force to remove them")
    extras = extra_files(dest, record)
    try:
        if force or not extras:
            return Outcome(UNINSTALLED, strategy_id, version, dest, files=_remove_tree(dest, work))
        removed = _remove_listed(dest, record, missing)
    except OSError as exc:
        raise CompactMemoryError(f"removing {dest} failed: {exc.strerror or exc}") from None
    return Outcome(UNINSTALLED, strategy_id, version, dest, files=removed, kept=extras)


def _remove_tree(dest: Path, work: Journal) -> list[str]:
    """Hide the directory with one rename (it vanishes from discovery at once), then delete it.

    Neither listing nor deleting follows a symbolic link: a link is removed, never what it points to.
    """
    files = []
    for base, dirs, names in os.walk(dest):  # os.walk does not descend into linked directories
        rel = Path(base).relative_to(dest)
        files += [(rel / n).as_posix() for n in names]
        files += [(rel / d).as_posix() for d in dirs if os.path.islink(os.path.join(base, d))]
    files.sort()
    hidden = work.work_dir("removing")
    os.rmdir(hidden)
    os.rename(dest, hidden)
    shutil.rmtree(hidden)
    return [f for f in files if f != MARKER]


def _remove_listed(dest: Path, record: Record, missing: list[str]) -> list[str]:
    """Delete the installed files (manifest first, so discovery stops at once) and the caches they left."""
    names = sorted(set(record.files) - set(missing), key=lambda n: (n != MANIFEST_NAME, n))
    for name in names:
        if through_link(dest, name):  # changed_files reports these; never delete through a linked directory
            raise CompactMemoryError(f"{dest / name} is reached through a symbolic link; nothing more removed",
                                     hint="remove the link, then run this again")
        (dest / name).unlink()
    for cache in sorted(dest.rglob("__pycache__"), reverse=True):
        if cache.is_dir() and not cache.is_symlink():
            shutil.rmtree(cache)
    (dest / MARKER).unlink()
    for directory in sorted({(dest / n).parent for n in names}, key=lambda p: len(p.parts), reverse=True):
        while directory != dest and directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
            directory = directory.parent
    return names


def _where_else(strategy_id: str) -> str:
    from compact_memory.plugins.registry import resolve_candidates

    groups, _ = resolve_candidates()
    group = groups.get(strategy_id)
    if not group:
        return "compact-memory dev list-strategies shows what is installed"
    c = group[0]
    if c.source == "entry_point":
        return f"it comes from the distribution {c.origin}; use pip uninstall {c.origin.split('==')[0]}"
    return f"it comes from {c.describe()}"


def _some(names: list[str]) -> str:
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def plugin_root(to: str | None, *, create: bool, option: str = "--to") -> Path:
    """``option DIR`` (which must exist), else the user plugin directory."""
    from compact_memory.plugins.settings import user_plugin_dir

    if to is not None:
        root = Path(to).expanduser()
        if not root.is_dir():
            raise CompactMemoryError(f"{to}: no such directory", hint=f"create it first, or leave out {option}")
        return root
    root = user_plugin_dir()
    if create:
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CompactMemoryError(f"cannot create the plugin directory {root}: {exc.strerror or exc}") from None
    return root
