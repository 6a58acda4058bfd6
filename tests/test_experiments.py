"""`dev run-package-experiment`: real CLI runs, numbers checked against values worked out by hand."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, run_cli, run_with_terminal_stderr
from plugin_factory import manifest_text

from compact_memory.experiments import metrics

SAMPLE = REPO / "examples" / "sample_strategy_package"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# Returns the text up to its first "." without looking at the budget: the
# runtime then cuts it, which the results must report as over budget.
FIRST_SENTENCE = '''
import time
from compact_memory.compression import CompressionStrategy, CompressedMemory, CompressionTrace


class PluginStrategy(CompressionStrategy):
    id = "first_sentence"

    def compress(self, text_or_chunks, llm_token_budget, **kwargs):
        text = text_or_chunks if isinstance(text_or_chunks, str) else " ".join(text_or_chunks)
        if "FAIL-ME" in text:
            raise ValueError("cannot digest this document")
        if "SLOW" in text:
            time.sleep(0.2)
        end = text.find(".")
        return CompressedMemory(text=text if end < 0 else text[: end + 1]), CompressionTrace(strategy_name=self.id)
'''

# Two documents under the default `words` tokenizer:
#   doc1 "the cat sat on the mat"     6 tokens, a reference and two answers, no protected spans
#   doc2 "Ada did not go. It is 42."  9 tokens (Ada did not go . It is 42 .), spans {42, not};
#        "Ada" starts a line and "It" a sentence, so neither counts as a name.
HAND_RECORDS = [
    {"id": "doc1", "text": "the cat sat on the mat", "reference": "the cat sat",
     "qa": [{"question": "Who sat?", "answer": "cat"}, {"question": "On what?", "answer": "mat"}]},
    {"id": "doc2", "text": "Ada did not go. It is 42."},
]
HAND_EXPERIMENT = """\
name: hand
dataset: data/hand.jsonl
budgets: [3, 8]
metrics: [compression_ratio, budget_fill, budget_compliance, rouge, qa_retention, span_retention]
"""


def make_package(root: Path, *, source: str = FIRST_SENTENCE, experiments: dict[str, str] | None = None,
                 default: str | None = "  - experiments/hand.yaml\n", records: list[dict[str, Any]] | None = None,
                 extra: str = "") -> Path:
    """A strategy package that is not installed: strategy.py, manifest, experiments, data."""
    root.mkdir(parents=True)
    manifest = manifest_text("first_sentence")
    if default is not None:
        manifest += "default_experiments:\n" + default
    (root / "strategy_package.yaml").write_text(manifest + extra, encoding="utf-8")
    (root / "strategy.py").write_text(source, encoding="utf-8")
    exp_dir = root / "experiments"
    (exp_dir / "data").mkdir(parents=True)
    for name, text in (experiments if experiments is not None else {"hand.yaml": HAND_EXPERIMENT}).items():
        (exp_dir / name).write_text(text, encoding="utf-8")
    lines = [json.dumps(r) for r in (records if records is not None else HAND_RECORDS)]
    (exp_dir / "data" / "hand.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def rows_by(doc: dict[str, Any]) -> dict[tuple[str, int, str], dict[str, Any]]:
    return {(r["variant"], r["budget"], r["document"]): r for e in doc["experiments"] for r in e["results"]}


def summary_by(doc: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    return {(s["variant"], s["budget"]): s for e in doc["experiments"] for s in e["summary"]}


def approx(value: float) -> Any:
    return pytest.approx(value, abs=1e-6)


# --- the numbers, by hand ------------------------------------------------------


def test_hand_computed_numbers(tmp_path: Path) -> None:
    package = make_package(tmp_path / "pkg")
    out = tmp_path / "results.json"
    result = run_cli("dev", "run-package-experiment", str(package), "--output", str(out))
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert (doc["format_version"], doc["status"], doc["failed"]) == (1, "complete", 0)
    (exp,) = doc["experiments"]
    assert [v["variant"] for v in exp["variants"]] == ["first_sentence", "truncate"]  # truncate: the default baseline
    assert exp["documents"]["ids"] == ["doc1", "doc2"]
    rows = rows_by(doc)
    assert len(rows) == 2 * 2 * 2

    # truncate at 3: "the cat sat" (3 of 6) and "Ada did not" (3 of 9).
    t3a, t3b = rows["truncate", 3, "doc1"], rows["truncate", 3, "doc2"]
    assert (t3a["input_tokens"], t3a["output_tokens"], t3b["input_tokens"], t3b["output_tokens"]) == (6, 3, 9, 3)
    assert t3a["compression_ratio"] == approx(3 / 6) and t3b["compression_ratio"] == approx(3 / 9)
    assert t3a["budget_fill"] == 1.0 and t3b["budget_fill"] == 1.0
    assert t3a["within_budget"] is True and t3b["within_budget"] is True
    assert (t3a["rouge1"], t3a["rouge2"], t3a["rougeL"]) == (1.0, 1.0, 1.0)  # output == reference
    assert t3b["rouge1"] is None  # no reference
    assert t3a["qa_retention"] == 0.5  # "cat" kept, "mat" lost
    assert t3a["span_retention"] is None and t3b["span_retention"] == 0.5  # "not" kept, "42" lost
    # truncate at 8: doc1 whole (6 <= 8); doc2 "Ada did not go. It is 42" (8 of 9).
    t8a, t8b = rows["truncate", 8, "doc1"], rows["truncate", 8, "doc2"]
    assert (t8a["output_tokens"], t8b["output_tokens"]) == (6, 8)
    assert t8a["budget_fill"] == 1.0  # 6 / min(8, 6)
    # ROUGE vs "the cat sat": unigrams 3 of 6 matched, recall 1 -> F1 2/3;
    # bigrams 2 of 5 -> F1 2*0.4/1.4; LCS 3 -> 2/3.
    assert t8a["rouge1"] == approx(2 / 3) and t8a["rouge2"] == approx(0.8 / 1.4) and t8a["rougeL"] == approx(2 / 3)
    assert t8a["qa_retention"] == 1.0 and t8b["span_retention"] == 1.0

    # first_sentence returns doc1 whole (6 tokens) and "Ada did not go." (5 tokens) whatever the budget.
    f3a, f3b = rows["first_sentence", 3, "doc1"], rows["first_sentence", 3, "doc2"]
    assert (f3a["strategy_output_tokens"], f3b["strategy_output_tokens"]) == (6, 5)
    assert (f3a["output_tokens"], f3b["output_tokens"]) == (3, 3)  # cut by the runtime
    assert f3a["within_budget"] is False and f3b["within_budget"] is False
    f8b = rows["first_sentence", 8, "doc2"]
    assert (f8b["output_tokens"], f8b["within_budget"]) == (5, True)
    assert f8b["budget_fill"] == 0.625  # 5 / min(8, 9)
    assert f8b["compression_ratio"] == approx(5 / 9)
    assert f8b["span_retention"] == 0.5

    summary = summary_by(doc)
    assert summary["truncate", 3]["compression_ratio"] == approx((0.5 + 1 / 3) / 2)
    assert summary["truncate", 3]["budget_compliance"] == 1.0
    assert summary["truncate", 8]["compression_ratio"] == approx((1 + 8 / 9) / 2)
    assert summary["truncate", 8]["rouge2"] == approx(0.8 / 1.4)  # only doc1 has a reference
    assert summary["first_sentence", 3]["budget_compliance"] == 0.0
    assert summary["first_sentence", 8]["budget_compliance"] == 1.0
    assert summary["first_sentence", 8]["budget_fill"] == approx((1.0 + 0.625) / 2)
    assert summary["first_sentence", 8]["qa_retention"] == 1.0
    assert summary["first_sentence", 8]["documents"] == 2 and summary["first_sentence", 8]["failed"] == 0
    # Metrics left out of the experiment are not measured.
    assert t3a["latency_ms"] is None and t3a["peak_memory_bytes"] is None
    # The table on stdout.
    assert "first_sentence" in result.stdout and "ROUGE-L" in result.stdout and "MS/DOC" not in result.stdout


def test_csv_output_and_determinism(tmp_path: Path) -> None:
    package = make_package(tmp_path / "pkg")
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    for out in (first, second):
        result = run_cli("dev", "run-package-experiment", str(package), "-o", str(out))
        assert result.returncode == 0, result.stderr
    assert first.read_text(encoding="utf-8") == second.read_text(encoding="utf-8")  # no timings measured here
    rows = list(csv.DictReader(io.StringIO(first.read_text(encoding="utf-8"))))
    assert len(rows) == 8
    row = next(r for r in rows if (r["variant"], r["budget"], r["document"]) == ("first_sentence", "3", "doc2"))
    assert (row["status"], row["within_budget"], row["output_tokens"], row["strategy_output_tokens"]) == (
        "ok", "false", "3", "5")
    assert row["rouge1"] == "" and row["params"] == "{}" and row["experiment"] == "hand"


def test_metric_definitions() -> None:
    assert metrics.compression_ratio(0, 0) is None
    assert metrics.budget_fill(0, 0, 10) == 1.0 and metrics.budget_fill(2, 10, 4) == 0.5
    # Multisets: "not" twice in the source, once in the output.
    assert metrics.span_retention("We do not go. We do not stay.", "We do not go.") == 0.5
    assert metrics.span_retention("nothing here", "x") == 0.0 and metrics.span_retention("plain text", "") is None
    assert metrics.qa_retention("one minute per\ngigabyte", "one minute per gigabyte", ["minute per Gigabyte"]) == 1
    assert metrics.qa_retention("I know it", "", ["no"]) is None  # "no" is not a word of the source
    assert metrics.per_mb(2.0, 500_000) == 4.0 and metrics.median([3.0, 1.0, 2.0, 10.0]) == 2.5


# --- real packages ---------------------------------------------------------------


def test_sample_package_with_json_and_plot(tmp_path: Path) -> None:
    out, png = tmp_path / "r.json", tmp_path / "r.png"
    result = run_cli("dev", "run-package-experiment", str(SAMPLE), "--output", str(out), "--plot", str(png),
                     env={"PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 0, result.stderr
    assert png.read_bytes().startswith(PNG_MAGIC)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["package"]["strategy_id"] == "section_digest"
    (exp,) = doc["experiments"]
    assert exp["name"] == "release-notes" and exp["query"] == "how do I upgrade?"
    budgets = [0, 40, 120, 300, 2000]
    assert [(s["variant"], s["budget"]) for s in exp["summary"]] == [
        (v, b) for v in ("section_digest", "truncate", "extractive") for b in budgets]
    for line in exp["summary"]:
        assert line["budget_compliance"] == 1.0 and line["failed"] == 0
        assert line["output_tokens"] <= line["budget"]
        assert line["latency_ms"] >= 0 and line["peak_memory_bytes"] >= 0
    digest_120 = summary_by(doc)["section_digest", 120]
    assert digest_120["span_retention"] > summary_by(doc)["truncate", 120]["span_retention"]
    assert "section_digest" in result.stdout and "release-notes" in result.stdout


def test_freshly_generated_package(tmp_path: Path) -> None:
    package = tmp_path / "compact_memory_x"
    created = run_cli("dev", "create-strategy-package", "--name", "compact_memory_x", "--path", str(package))
    assert created.returncode == 0, created.stderr
    out = tmp_path / "fresh.csv"
    result = run_cli("dev", "run-package-experiment", str(package), "--experiment", "example", "-o", str(out),
                     env={"PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {r["variant"] for r in rows} == {"x", "truncate", "extractive"}
    assert len(rows) == 3 * 4  # three variants, budgets [0, 25, 60, 400], one document
    assert all(r["status"] == "ok" and int(r["output_tokens"]) <= int(r["budget"]) for r in rows)


# --- experiment files -----------------------------------------------------------------


def test_grid_inline_experiment_and_selection(tmp_path: Path) -> None:
    source = FIRST_SENTENCE.replace('id = "first_sentence"',
                                    'id = "first_sentence"\n\n    def __init__(self, pad=0):\n        self.pad = pad')
    inline = textwrap.indent(textwrap.dedent("""\
        - name: inline
          dataset: {path: experiments/data/hand.jsonl, limit: 1}
          budgets: [2]
          param_grid: {pad: [1, 2]}
          baselines: []
          metrics: [compression_ratio]
        """), "  ")
    package = make_package(tmp_path / "pkg", source=source, default="  - experiments/hand.yaml\n" + inline)
    out = tmp_path / "r.json"
    result = run_cli("dev", "run-package-experiment", str(package), "--experiment", "inline", "-o", str(out),
                     "--baseline", "first_last")
    assert result.returncode == 0, result.stderr
    (exp,) = json.loads(out.read_text(encoding="utf-8"))["experiments"]
    assert [v["variant"] for v in exp["variants"]] == ["first_sentence(pad=1)", "first_sentence(pad=2)",
                                                       "first_last"]
    assert [r["params"] for r in exp["results"]] == [{"pad": 1}, {"pad": 2}, {}]
    assert exp["documents"]["count"] == 1 and exp["file"].endswith("strategy_package.yaml:11:5")


def test_directories_and_lists_of_text_files(tmp_path: Path) -> None:
    experiment = textwrap.dedent("""\
        name: files
        dataset: [docs, one.txt]
        budgets: [1]
        baselines: []
        metrics: [compression_ratio]
        """)
    package = make_package(tmp_path / "pkg", experiments={"files.yaml": experiment},
                           default="  - experiments/files.yaml\n")
    docs = package / "experiments" / "docs"
    (docs / "sub").mkdir(parents=True)
    for name in ("b.txt", "a.md", ".hidden", "sub/c.txt"):
        (docs / name).write_text("two words", encoding="utf-8")
    (package / "experiments" / "one.txt").write_text("one two three four", encoding="utf-8")
    out = tmp_path / "r.json"
    result = run_cli("dev", "run-package-experiment", str(package), "--experiment", "files", "-o", str(out))
    assert result.returncode == 0, result.stderr
    (exp,) = json.loads(out.read_text(encoding="utf-8"))["experiments"]
    assert exp["documents"]["ids"] == ["docs/a.md", "docs/b.txt", "one.txt"]
    assert [r["compression_ratio"] for r in exp["results"]] == [0.5, 0.5, 0.25]


# --- failures -------------------------------------------------------------------------


def test_a_failing_document_fails_only_its_rows(tmp_path: Path) -> None:
    records = [{"id": "good", "text": "Fine words here. More."}, {"id": "bad", "text": "FAIL-ME please."}]
    package = make_package(tmp_path / "pkg", records=records)
    out = tmp_path / "r.json"
    result = run_cli("dev", "run-package-experiment", str(package), "-o", str(out))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "ValueError: cannot digest this document" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: 2 of 8 runs failed")
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["status"] == "complete" and doc["failed"] == 2
    rows = rows_by(doc)
    bad = rows["first_sentence", 3, "bad"]
    assert (bad["status"], bad["error"], bad["output_tokens"]) == (
        "failed", "ValueError: cannot digest this document", None)
    assert rows["first_sentence", 3, "good"]["status"] == "ok"
    assert rows["truncate", 8, "bad"]["status"] == "ok"
    assert summary_by(doc)["first_sentence", 3]["failed"] == 1


def test_missing_dataset_names_its_path(tmp_path: Path) -> None:
    package = make_package(tmp_path / "pkg", experiments={"hand.yaml": HAND_EXPERIMENT.replace("hand.jsonl",
                                                                                                "gone.jsonl")})
    result = run_cli("dev", "run-package-experiment", str(package))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "data/gone.jsonl: dataset not found" in lines[0] and "hand.yaml:2:10" in lines[0]


@pytest.mark.parametrize(
    ("experiment", "records", "expected"),
    [
        ("name: hand\ndataset: data/hand.jsonl\nbudgets: [-1]\n", None, "hand.yaml:3:11: budgets[0]"),
        (HAND_EXPERIMENT, ['{"text": 1}'], 'hand.jsonl:1: the record needs "text"'),
        (HAND_EXPERIMENT + "baselines: [no_such]\n", None, "baseline 'no_such': unknown strategy"),
        ("name: hand\ndataset: data/hand.jsonl\nbudgets: [3]\nparams: {bogus: 1}\n", None,
         "unknown parameter 'bogus' for strategy 'first_sentence'"),
        (HAND_EXPERIMENT + "strategy_id: truncate\n", None, "'truncate' is not this package's strategy"),
    ],
    ids=["schema", "record", "baseline", "params", "strategy_id"],
)
def test_bad_experiments_are_one_line_errors(tmp_path: Path, experiment: str, records: list[str] | None,
                                             expected: str) -> None:
    package = make_package(tmp_path / "pkg", experiments={"hand.yaml": experiment})
    if records is not None:
        (package / "experiments" / "data" / "hand.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
    result = run_cli("dev", "run-package-experiment", str(package))
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    package = make_package(tmp_path / "pkg")
    out = tmp_path / "r.json"
    out.write_text("keep me", encoding="utf-8")
    result = run_cli("dev", "run-package-experiment", str(package), "-o", str(out))
    assert result.returncode == 1 and "already exists" in result.stderr and "--force" in result.stderr
    assert out.read_text(encoding="utf-8") == "keep me"
    result = run_cli("dev", "run-package-experiment", str(package), "-o", str(out), "--force")
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["status"] == "complete"
    bad = run_cli("dev", "run-package-experiment", str(package), "-o", str(tmp_path / "r.txt"))
    assert bad.returncode == 2 and ".json or .csv" in bad.stderr


@pytest.mark.parametrize(("module", "args", "pip"), [
    ("matplotlib", ["--plot", "p.png"], "pip install 'compact-memory[plot]'"),
    ("rouge_score", [], "pip install 'compact-memory[rouge]'"),
])
def test_missing_extras_name_the_pip_line(tmp_path: Path, module: str, args: list[str], pip: str) -> None:
    shim = tmp_path / "shim" / module
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text(f'raise ImportError("No module named {module}")\n', encoding="utf-8")
    package = make_package(tmp_path / "pkg")
    result = run_cli("dev", "run-package-experiment", str(package), *args,
                     env={"PYTHONPATH": str(tmp_path / "shim")}, cwd=tmp_path)
    assert result.returncode == 1 and pip in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "p.png").exists()


def test_ctrl_c_keeps_partial_results(tmp_path: Path) -> None:
    records = [{"id": f"d{i}", "text": f"SLOW document {i}. Second sentence."} for i in range(40)]
    experiment = "name: slow\ndataset: data/hand.jsonl\nbudgets: [3, 100]\nbaselines: []\n"
    package = make_package(tmp_path / "pkg", records=records, experiments={"hand.yaml": experiment})
    out = tmp_path / "partial.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "compact_memory", "dev", "run-package-experiment", str(package), "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )
    try:
        deadline = time.monotonic() + 60
        while not out.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert out.exists(), "no partial results were written"
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "partial results" in stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    (exp,) = doc["experiments"]
    assert doc["status"] == "interrupted"
    assert 1 <= exp["runs_done"] == len(exp["results"]) < exp["runs_planned"] == 80


@pytest.mark.skipif(os.name != "posix", reason="needs a pseudo-terminal")
def test_progress_on_a_terminal_and_only_there(tmp_path: Path) -> None:
    code, stdout, shown = run_with_terminal_stderr("dev", "run-package-experiment", str(SAMPLE))
    assert code == 0
    assert "[0/15]" in shown and "[15/15] done" in shown and shown.endswith("\r")
    assert "release-notes: extractive @ 2000: example_input.md" in shown
    assert b"\r" not in stdout  # the table stays clean
    piped = run_cli("dev", "run-package-experiment", str(SAMPLE))
    assert piped.returncode == 0 and "[0/15]" not in piped.stderr


def test_an_output_never_replaces_a_file_of_a_directory_dataset(tmp_path: Path) -> None:
    package = make_package(tmp_path / "pkg", experiments={"dir.yaml": "name: dir\ndataset: docs\nbudgets: [3]\n"},
                           default="  - experiments/dir.yaml\n")
    docs = package / "experiments" / "docs"
    docs.mkdir()
    (docs / "a.json").write_text("The first document. It has two sentences.", encoding="utf-8")
    result = run_cli("dev", "run-package-experiment", str(package), "-o", str(docs / "a.json"), "--force")
    assert result.returncode == 1 and "is an input file" in result.stderr, result.stderr
    assert (docs / "a.json").read_text(encoding="utf-8") == "The first document. It has two sentences."


@pytest.mark.parametrize("line", [
    b'{"text": "A b.", "reference": null}',
    b'{"text": "A b.", "qa": [{"answer": "A"}]}',
    b'{"text": "A b.", "qa": [{"question": "Which?", "answer": " "}]}',
    b'{"text": "A \xff b."}',
], ids=["null-reference", "no-question", "blank-answer", "not-utf8"])
def test_validator_and_runner_agree_on_bad_records(tmp_path: Path, line: bytes) -> None:
    package = make_package(tmp_path / "pkg")
    (package / "experiments" / "data" / "hand.jsonl").write_bytes(line + b"\n")
    ran = run_cli("dev", "run-package-experiment", str(package))
    assert ran.returncode == 1 and "hand.jsonl" in ran.stderr, ran.stderr
    checked = run_cli("dev", "validate-strategy-package", str(package), "--format", "json")
    findings = [f for f in json.loads(checked.stdout)["findings"] if f["code"] == "CM504"]
    assert checked.returncode == 1 and findings and findings[0]["line"] == 1, checked.stdout


def test_the_plot_shows_quality_for_the_tokens_kept() -> None:
    """Right panel: one point per variant and budget at its compression ratio, the input size marked."""
    from compact_memory.commands.run_package_experiment import _prepare
    from compact_memory.experiments import runner
    from compact_memory.experiments.package import open_package, select_experiments
    from compact_memory.experiments.plot import build_figure
    from compact_memory.plugins.loader import load_package

    package = open_package(SAMPLE)
    cls = load_package(package)
    (experiment,) = select_experiments(package, None)
    run, tokenizer = _prepare(experiment, cls, cls.id, [])
    runner.run(run.experiment, run.docs, run.variants, tokenizer, run.rows.append)
    left, right = build_figure([run]).axes
    assert right.get_xlabel() == "compression ratio (output / input tokens)"
    budgets = run.experiment.budgets
    points = {line.get_label(): list(zip(*line.get_data(), strict=True)) for line in right.get_lines()
              if line.get_linestyle() == "None"}
    assert set(points) == {v.label for v in run.variants}
    for variant, xy in points.items():
        summary = [s for s in run.summary() if s["variant"] == variant and s["compression_ratio"] is not None]
        assert sorted(x for x, _ in xy) == sorted(s["compression_ratio"] for s in summary)
    labels = [t.get_text() for t in right.texts]
    assert sum(label in {str(b) for b in budgets} for label in labels) == sum(len(xy) for xy in points.values())
    assert any(label.startswith("input: ") and label.endswith(" tokens") for label in labels)
    assert any(list(line.get_xdata()) == [1.0, 1.0] for line in right.get_lines())
    assert left.get_xlabel() == "budget (tokens)"
