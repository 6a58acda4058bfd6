"""Shared by the trust-boundary tests: run the real CLI under a timeout and hold it to its promises.

Every hostile case must end (no hang: each run has a hard timeout), with
exit code 0, 1 or 2 (130/143 when interrupted), one clear line per error,
and never a traceback or "this is a bug". :class:`Sentinel` proves that no
byte changed outside the paths a command was told to write.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path

TIMEOUT = 60


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = TIMEOUT,
        stdin: int | None = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess; a run that does not end within ``timeout`` fails the test."""
    result = subprocess.run([sys.executable, "-m", "compact_memory", *args], capture_output=True, text=True,
                            errors="replace", env={**os.environ, **(env or {})}, cwd=cwd, timeout=timeout,
                            stdin=stdin)
    assert_well_behaved(result)
    return result


def assert_well_behaved(result: subprocess.CompletedProcess[str], codes: tuple[int, ...] = (0, 1, 2)) -> None:
    assert result.returncode in codes, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "this is a bug" not in result.stderr, result.stderr
    assert "unexpected " not in result.stderr, result.stderr
    raw = [ch for ch in result.stderr + result.stdout if ch in "\x1b\u202e\u202d\x07"]
    assert raw == [], f"raw control or bidi characters reached the terminal: {raw}"


def one_error_line(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    return errors[0]


class Sentinel:
    """Every file under ``root``, by type and content: nothing outside a command's outputs may change."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.before = self.snapshot()

    def snapshot(self) -> dict[str, tuple[int, str]]:
        found: dict[str, tuple[int, str]] = {}
        for base, dirs, names in os.walk(self.root):
            for name in dirs + names:
                path = Path(base, name)
                mode = os.lstat(path).st_mode
                kind = stat.S_IFMT(mode)
                digest = ""
                if stat.S_ISREG(mode) and os.access(path, os.R_OK):
                    digest = hashlib.sha256(path.read_bytes()).hexdigest()
                elif stat.S_ISLNK(mode):
                    digest = os.readlink(path)
                found[str(path.relative_to(self.root))] = (kind, digest)
        return found

    def assert_unchanged(self) -> None:
        after = self.snapshot()
        changed = sorted(k for k in set(self.before) | set(after) if self.before.get(k) != after.get(k))
        assert changed == [], changed


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0
