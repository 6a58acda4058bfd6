"""How installs and uninstalls change a plugin directory safely, and clean up after a killed one.

- One at a time: an install or uninstall holds a lock on the plugin
  directory itself (``flock`` on its file descriptor; nothing is created for
  it), so two runs for the same id serialize; the second waits, then fails
  clearly if the first never finishes.
- Work happens in hidden directories next to the destination
  (``.<id>.installing-<pid>-*``, ``.<id>.replaced-<pid>-*``,
  ``.<id>.removing-<pid>-*``); discovery skips hidden names.
- Every work directory is written down first in a journal
  (``.<id>.journal-<pid>.json``). After a run that was killed outright, the
  next install or uninstall of that id restores a package that was moved
  aside and removes the rest, but only work directories its journal names:
  a hidden directory planted there by someone else is never adopted or
  deleted.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from compact_memory.errors import CompactMemoryError

LOCK_WAIT_SECONDS = 60.0


@contextlib.contextmanager
def locked(root: Path, what: str) -> Iterator[None]:
    """Hold the plugin directory's lock; wait for another install or uninstall, up to a minute."""
    if os.name != "posix":
        yield
        return
    import fcntl

    try:
        fd = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise CompactMemoryError(f"cannot open the plugin directory {root}: {exc.strerror or exc}") from None
    try:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise CompactMemoryError(f"another install or uninstall in {root} has held it for "
                                             f"{LOCK_WAIT_SECONDS:.0f} s; nothing was done",
                                             hint="wait for it to finish, then run this again") from None
                if not told:
                    from compact_memory import console

                    console.warn(f"waiting for another install or uninstall in {root} before {what}")
                    told = True
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing releases the lock


class Journal:
    """The work directories this process creates for one id, written down before each exists."""

    def __init__(self, root: Path, strategy_id: str) -> None:
        self.root = root
        self.strategy_id = strategy_id
        self.path = root / f".{strategy_id}.journal-{os.getpid()}-{secrets.token_hex(4)}.json"
        self.dirs: list[str] = []

    def work_dir(self, kind: str) -> Path:
        """A new hidden directory for ``kind`` (installing, replaced, removing), journaled first."""
        name = f".{self.strategy_id}.{kind}-{os.getpid()}-{secrets.token_hex(6)}"
        self.dirs.append(name)
        self._write()
        path = self.root / name
        os.mkdir(path, 0o700)
        return path

    def _write(self) -> None:
        data = json.dumps({"pid": os.getpid(), "strategy_id": self.strategy_id, "dirs": self.dirs})
        fd, tmp = tempfile.mkstemp(prefix=".journal-", dir=self.root)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(data)
        os.replace(tmp, self.path)

    def close(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


@contextlib.contextmanager
def journal(root: Path, strategy_id: str) -> Iterator[Journal]:
    """A journal for one operation; removed when the operation ends, however it ends."""
    entry = Journal(root, strategy_id)
    try:
        yield entry
    finally:
        entry.close()


def recover(root: Path, strategy_id: str) -> None:
    """Finish what a killed install or uninstall of ``strategy_id`` left: restore, then clean up.

    Only what a journal of a process that is gone names is touched.
    """
    if os.name != "posix":
        return  # no cheap, safe test of whether a process is alive
    pattern = re.compile(rf"^\.{re.escape(strategy_id)}\.journal-(\d+)-[0-9a-f]+\.json$")
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return
    dest = root / strategy_id
    for name in names:
        match = pattern.match(name)
        if match is None or _alive(int(match[1])):
            continue
        listed = _read_journal(root / name, strategy_id)
        for work in listed:
            path = root / work
            if not os.path.isdir(path) or os.path.islink(path):
                continue
            if ".replaced-" in work and not os.path.lexists(dest):
                os.rename(path, dest)
            else:
                shutil.rmtree(path, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(root / name)


def _read_journal(path: Path, strategy_id: str) -> list[str]:
    from compact_memory.io import read_regular_file

    try:
        data = json.loads(read_regular_file(path, 100_000))
    except (OSError, ValueError, RecursionError):
        return []
    dirs = data.get("dirs") if isinstance(data, dict) else None
    prefix = f".{strategy_id}."
    return [d for d in dirs if isinstance(d, str) and d.startswith(prefix) and "/" not in d and "\\" not in d] \
        if isinstance(dirs, list) else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, but belongs to someone else
    return True
