"""``list-strategies --check``: import each plugin in its own subprocess.

A plugin that loops, exits or crashes at import cannot hang or kill the
listing: each import runs in a child of :mod:`.isolation`, with a timeout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from compact_memory.plugins.candidates import BUILTIN, Candidate


def check_candidates(candidates: list[Candidate], *, timeout: float) -> dict[int, dict[str, Any]]:
    from compact_memory.plugins.isolation import run_many

    results: dict[int, dict[str, Any]] = {}
    todo = []
    for c in candidates:
        if c.status == "disabled":
            continue
        if c.error:
            results[id(c)] = {"ok": False, "error": c.error}
        elif c.obj is not None and c.source != BUILTIN:
            results[id(c)] = {"ok": True, "error": None}
        else:
            todo.append(c)
    outcomes = run_many("compact_memory.plugins.check", [_spec(c) for c in todo], timeout)
    for c, outcome in zip(todo, outcomes, strict=True):
        results[id(c)] = _outcome(outcome, timeout)
    return results


def _spec(candidate: Candidate) -> dict[str, Any]:
    return {
        "id": candidate.id,
        "source": candidate.source,
        "origin": candidate.origin,
        "module": candidate.module,
        "attr": candidate.attr,
        "path": str(candidate.path) if candidate.path else None,
        "alias_of": candidate.alias_of,
    }


def _outcome(outcome: dict[str, Any], timeout: float) -> dict[str, Any]:
    if outcome.get("timeout"):
        return {"ok": False, "error": f"import did not finish within {timeout:g} s"}
    if "ok" in outcome:
        return outcome
    last = (outcome["stderr"] or [""])[-1]
    return {"ok": False, "error": f"the import process ended with exit code {outcome['returncode']} {last}".strip()}


def params_json(cls: Any) -> list[dict[str, Any]] | None:
    """The declared parameters of a strategy class, or None if it declares them wrongly."""
    try:
        return [param.to_json() for param in cls.params]
    except Exception:  # plugin code: any attribute error or odd object
        return None


def _check(spec: dict[str, Any]) -> dict[str, Any]:
    """In the child: load the class as the runtime would."""
    from compact_memory.errors import PluginError
    from compact_memory.plugins.loader import load_candidate

    candidate = Candidate(id=spec["id"], source=spec["source"], origin=spec["origin"], order=0,
                          module=spec["module"], attr=spec["attr"],
                          path=Path(spec["path"]) if spec["path"] else None, alias_of=spec.get("alias_of"))
    try:
        cls = load_candidate(candidate)
    except PluginError as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "error": None, "params": params_json(cls)}


if __name__ == "__main__":
    from compact_memory.plugins.isolation import child_main

    child_main(_check)
