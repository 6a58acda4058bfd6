"""``list-strategies --check``: import each plugin in its own subprocess.

A plugin that loops, exits or crashes at import cannot hang or kill the
listing: each import runs in a child with a timeout, and the child reports
through a result file, never through stdout.
"""

from __future__ import annotations

import json
import os
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
    }
    with tempfile.TemporaryDirectory(prefix="cm-check-") as tmp:
        result_file = Path(tmp) / "result.json"
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "compact_memory.plugins.check", json.dumps(spec), str(result_file)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=timeout,
                text=True,
            )
        except subprocess.TimeoutExpired:
            return {"ok": False, "error": f"import did not finish within {timeout:g} s"}
        if result_file.exists():
            return dict(json.loads(result_file.read_text(encoding="utf-8")))
        last = (proc.stderr or "").strip().splitlines()[-1:] or [""]
        return {"ok": False, "error": f"the import process ended with exit code {proc.returncode} {last[0]}".strip()}


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
