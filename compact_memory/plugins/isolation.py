"""Run plugin code in child processes that cannot hang us, outlive us or leave anything behind.

Used by ``list-strategies --check`` and the validator's import check. Each
child runs ``python -m MODULE SPEC RESULT_FILE`` in a temporary directory and
a session of its own, and reports through the result file, never stdout.
Its stderr goes to a file, not a pipe, so a process it leaves running cannot
keep us waiting. When it ends, times out, or we are interrupted (Ctrl-C,
SIGTERM), its whole process group is killed, and so is every process that
still carries this run's token in its environment: a grandchild that called
``setsid`` to leave the group is found that way (on Linux, through /proc).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

TOKEN_ENV = "COMPACT_MEMORY_ISOLATED_RUN"
_live: dict[int, tuple[subprocess.Popen[bytes], str]] = {}
_live_lock = threading.Lock()


def run_many(module: str, specs: Sequence[dict[str, Any]], timeout: float,
             workers: int | None = None) -> list[dict[str, Any]]:
    """:func:`run_isolated` for each spec, a few at a time; an interrupt kills every child at once."""
    if not specs:
        return []
    count = max(1, min(len(specs), workers or os.cpu_count() or 1))
    pool = ThreadPoolExecutor(max_workers=count)
    try:
        return list(pool.map(lambda spec: run_isolated(module, spec, timeout), specs))
    except BaseException:
        kill_all()  # the threads' waits end at once; then the pool can shut down
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def run_isolated(module: str, spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """What the child wrote; without a result, ``{"timeout": True}`` or ``{"returncode", "stderr"}``."""
    token = secrets.token_hex(12)
    with tempfile.TemporaryDirectory(prefix="cm-isolated-") as tmp:
        result_file = Path(tmp) / "result.json"
        stderr_file = Path(tmp) / "stderr.txt"
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", TOKEN_ENV: token}
        with open(stderr_file, "wb") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-m", module, json.dumps(spec), str(result_file)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, cwd=tmp, env=env,
                start_new_session=os.name == "posix",
            )
        with _live_lock:
            _live[proc.pid] = (proc, token)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"timeout": True}
        finally:
            with _live_lock:
                _live.pop(proc.pid, None)
            _kill(proc, token)  # whatever the plugin left running
        if result_file.is_file():
            with contextlib.suppress(OSError, ValueError):
                return dict(json.loads(result_file.read_text(encoding="utf-8")))
        lines = stderr_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        return {"returncode": proc.returncode, "stderr": lines[-3:]}


def kill_all() -> None:
    """Kill every running child and what it started (on an interrupt)."""
    with _live_lock:
        running = list(_live.values())
    for proc, token in running:
        _kill(proc, token)


def _kill(proc: subprocess.Popen[bytes], token: str) -> None:
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        elif proc.poll() is None:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
    with contextlib.suppress(OSError):
        proc.wait(timeout=10)
    for pid in _carrying(token):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _carrying(token: str, proc_dir: str = "/proc") -> list[int]:
    """Processes of ours whose environment holds this run's token (Linux; elsewhere none are found)."""
    needle = f"{TOKEN_ENV}={token}".encode()
    found = []
    try:
        names = os.listdir(proc_dir)
    except OSError:
        return []
    for name in names:
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(os.path.join(proc_dir, name, "environ"), "rb") as handle:
                if needle in handle.read().split(b"\0"):
                    found.append(int(name))
        except OSError:
            continue
    return found


def child_main(work: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """The child's side: run ``work(spec)``, write its result, and leave without running plugin atexit code."""
    spec, result_path = json.loads(sys.argv[1]), sys.argv[2]
    outcome: dict[str, Any] = {"ok": False, "error": "the check did not finish"}
    try:
        outcome = work(spec)
    finally:
        Path(result_path).write_text(json.dumps(outcome), encoding="utf-8")
        sys.stdout.flush()
        os._exit(0)
