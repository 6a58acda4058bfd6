"""``run-package-experiment --jobs N``: the same rows in the same order, timings from the workers, failures per run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import run_cli
from test_experiments import FIRST_SENTENCE, SAMPLE, make_package

# Measured per call where the call ran: they differ from run to run, whatever the number of jobs.
TIMED = ("latency_ms", "latency_ms_per_mb", "peak_memory_bytes")


def without_timings(doc: dict[str, Any]) -> list[Any]:
    experiments = []
    for experiment in doc["experiments"]:
        rows = [{k: v for k, v in row.items() if k not in TIMED} for row in experiment["results"]]
        summary = [{k: v for k, v in row.items() if k not in TIMED} for row in experiment["summary"]]
        experiments.append((experiment["name"], rows, summary))
    return experiments


def test_two_jobs_give_the_rows_of_one(tmp_path: Path) -> None:
    docs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"r{jobs}.json"
        result = run_cli("dev", "run-package-experiment", str(SAMPLE), "-o", str(out), "--jobs", jobs,
                         "--baseline", "first_last")
        assert result.returncode == 0, result.stderr
        docs[jobs] = json.loads(out.read_text(encoding="utf-8"))
    assert without_timings(docs["2"]) == without_timings(docs["1"])
    rows = [row for e in docs["2"]["experiments"] for row in e["results"]]
    assert len(rows) == 20 and all(row["status"] == "ok" for row in rows)
    assert all(row["latency_ms"] is not None and row["latency_ms"] >= 0 for row in rows)


# SIGKILL, as os._exit is caught and reported like an exception
DYING = FIRST_SENTENCE.replace('''        if "SLOW" in text:''', '''        if "EXIT-ME" in text:
            import os
            import signal
            os.kill(os.getpid(), signal.SIGKILL)
        if "SLOW" in text:''')


def test_a_dying_worker_fails_only_its_run(tmp_path: Path) -> None:
    records = [{"id": "good", "text": "Fine words here. More."}, {"id": "bad", "text": "EXIT-ME now."},
               {"id": "raises", "text": "FAIL-ME please."}, {"id": "also_good", "text": "Other words. Yes."}]
    package = make_package(tmp_path / "pkg", source=DYING, records=records)
    out = tmp_path / "r.json"
    result = run_cli("dev", "run-package-experiment", str(package), "-o", str(out), "-j", "2")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert any(line.startswith("error: hand: first_sentence at budget 3 on bad: its worker process died: "
                               "killed by SIGKILL") for line in result.stderr.splitlines()), result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: 4 of 16 runs failed")
    doc = json.loads(out.read_text(encoding="utf-8"))
    rows = {(r["variant"], r["budget"], r["document"]): r for e in doc["experiments"] for r in e["results"]}
    assert [key for key, row in rows.items() if row["status"] != "ok"] == [
        ("first_sentence", 3, "bad"), ("first_sentence", 3, "raises"),
        ("first_sentence", 8, "bad"), ("first_sentence", 8, "raises")]
    assert rows["first_sentence", 8, "raises"]["error"] == "ValueError: cannot digest this document"
    assert rows["first_sentence", 8, "also_good"]["output_tokens"] == 3


def test_bad_jobs_is_a_usage_error() -> None:
    result = run_cli("dev", "run-package-experiment", str(SAMPLE), "--jobs", "-3")
    assert result.returncode == 2
    assert "argument -j/--jobs: must be >= 0" in result.stderr
