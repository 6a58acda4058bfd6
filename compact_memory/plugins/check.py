"""``list-strategies --check``: import each plugin in its own subprocess.

A plugin that loops, exits or crashes at import cannot hang or kill the
listing: each import runs in a child with a timeout, and the child reports
through a result file, never through stdout.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from compact_memory.plugins.candidates import BUILTIN, Candidate


def check_candidates(candidates: list[Candidate], *, timeout: float) -> dict[int, dict[str, Any]]:
    todo = [c for c in candidates if c.status not in ("disabled",)]
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        outcomes = list(pool.map(lambda c: _check_one(c, timeout), todo))
    return {id(c): outcome for c, outcome in zip(todo, outcomes, strict=True)}


def _check_one(candidate: Candidate, timeout: float) -> dict[str, Any]:
    if candidate.error:
        return {"ok": False, "error": candidate.error}
    if candidate.obj is not None and candidate.source != BUILTIN:
        return {"ok": True, "error": None}
    spec = {
        "id": candidate.id,
        "source": candidate.source,
        "origin": candidate.origin,
        "module": candidate.module,
        "attr": candidate.attr,
        "path": str(candidate.path) if candidate.path else None,
        "alias_of": candidate.alias_of,
    }
    outcome = run_isolated("compact_memory.plugins.check", spec, timeout)
    if outcome.get("timeout"):
        return {"ok": False, "error": f"import did not finish within {timeout:g} s"}
    if "ok" in outcome:
        return outcome
    last = (outcome["stderr"] or [""])[-1]
    return {"ok": False, "error": f"the import process ended with exit code {outcome['returncode']} {last}".strip()}


def run_isolated(module: str, spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run ``python -m module SPEC RESULT_FILE`` in a session of its own; return what it wrote.

    The child reports through the result file. Its stderr goes to a file, not
    a pipe, so a process that plugin code starts and leaves running cannot keep
    us waiting; when the child ends, or after ``timeout`` seconds, its whole
    process group is killed. Without a result: ``{"timeout": True}`` or
    ``{"returncode": N, "stderr": [its last lines]}``.
    """
    with tempfile.TemporaryDirectory(prefix="cm-isolated-") as tmp:
        result_file = Path(tmp) / "result.json"
        stderr_file = Path(tmp) / "stderr.txt"
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        with open(stderr_file, "wb") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-m", module, json.dumps(spec), str(result_file)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, cwd=tmp, env=env,
                start_new_session=os.name == "posix",
            )
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return {"timeout": True}
        _kill_group(proc)  # whatever the plugin left running
        if result_file.exists():
            return dict(json.loads(result_file.read_text(encoding="utf-8")))
        lines = stderr_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        return {"returncode": proc.returncode, "stderr": lines[-3:]}


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        elif proc.poll() is None:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def params_json(cls: Any) -> list[dict[str, Any]] | None:
    """The declared parameters of a strategy class, or None if it declares them wrongly."""
    try:
        return [param.to_json() for param in cls.params]
    except Exception:  # plugin code: any attribute error or odd object
        return None


def _child(spec_json: str, result_path: str) -> None:
    from compact_memory.errors import PluginError
    from compact_memory.plugins.loader import load_candidate

    spec = json.loads(spec_json)
    candidate = Candidate(
        id=spec["id"],
        source=spec["source"],
        origin=spec["origin"],
        order=0,
        module=spec["module"],
        attr=spec["attr"],
        path=Path(spec["path"]) if spec["path"] else None,
        alias_of=spec.get("alias_of"),
    )
    try:
        cls = load_candidate(candidate)
        outcome: dict[str, Any] = {"ok": True, "error": None, "params": params_json(cls)}
    except PluginError as exc:
        outcome = {"ok": False, "error": str(exc)}
    Path(result_path).write_text(json.dumps(outcome), encoding="utf-8")
    sys.stdout.flush()
    os._exit(0)  # do not run plugin atexit handlers or daemon threads


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
