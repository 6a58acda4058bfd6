"""compact_memory.testing: built-ins pass it, and each broken promise is caught and named."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from compact_memory.compression import CompressedMemory, CompressionStrategy, CompressionTrace
from compact_memory.strategies import BUILTINS
from compact_memory.testing import (
    StrategyCheckError,
    available_tokenizers,
    check_strategy,
    parametrize_strategy_checks,
    strategy_checks,
)
from compact_memory.tokenizers import get_tokenizer, head


def _builtin_ids() -> list[Any]:
    params = []
    for spec in BUILTINS:
        try:
            importlib.import_module(spec.module)
        except ModuleNotFoundError:
            reason = f"{spec.module} is not written yet"
            params.append(pytest.param(spec.id, marks=pytest.mark.skip(reason=reason), id=spec.id))
            continue
        params.append(pytest.param(spec.id, id=spec.id))
    return params


@pytest.mark.parametrize("strategy_id", _builtin_ids())
def test_every_builtin_meets_the_contract(strategy_id: str) -> None:
    check_strategy(strategy_id)


class Good(CompressionStrategy):
    id = "good_kit"

    def compress(self, text_or_chunks: Any, llm_token_budget: int, **kwargs: Any) -> Any:
        tok = get_tokenizer(kwargs.get("tokenizer"))
        text = text_or_chunks if isinstance(text_or_chunks, str) else "\n\n".join(text_or_chunks)
        return CompressedMemory(head(tok, text, llm_token_budget)), CompressionTrace(self.id)


def _variant(name: str, body: str) -> type[CompressionStrategy]:
    """A Good subclass whose compress is ``body`` (has text, tok, budget, kwargs in scope)."""
    source = textwrap.dedent(
        """
        def compress(self, text_or_chunks, llm_token_budget, **kwargs):
            tok = get_tokenizer(kwargs.get("tokenizer"))
            text = text_or_chunks if isinstance(text_or_chunks, str) else "\\n\\n".join(text_or_chunks)
            budget = llm_token_budget
        """
    ) + textwrap.indent(textwrap.dedent(body), "    ")
    scope: dict[str, Any] = {
        "get_tokenizer": get_tokenizer,
        "head": head,
        "CompressedMemory": CompressedMemory,
        "CompressionTrace": CompressionTrace,
    }
    exec(source, scope)
    return type(name, (Good,), {"compress": scope["compress"]})


BROKEN = {
    "return_types": ("return text, CompressionTrace(self.id)", "compress returned str"),
    "budget_kept[words]": ("return CompressedMemory(text), CompressionTrace(self.id)", "over the budget of 0"),
    "unchanged_when_fits": (
        "return CompressedMemory(head(tok, text.strip(), budget)), CompressionTrace(self.id)",
        "came back changed",
    ),
    "empty_input": (
        "return CompressedMemory(text or ('.' if budget else '')), CompressionTrace(self.id)",
        "output '.' is not empty",
    ),
    "chunk_list_input": (
        "text = text_or_chunks if isinstance(text_or_chunks, str) else ' '.join(text_or_chunks)\n"
        "return CompressedMemory(head(tok, text, budget)), CompressionTrace(self.id)",
        "not returned unchanged",
    ),
    "runtime_kwargs": (
        "assert 'query' not in kwargs, 'no query please'\n"
        "return CompressedMemory(head(tok, text, budget)), CompressionTrace(self.id)",
        "compress raised AssertionError: no query please",
    ),
    "deterministic": (
        "self.calls = getattr(self, 'calls', 0) + 1\n"
        "cut = budget if self.calls % 2 else max(budget - 1, 0)\n"
        "out = text if tok.count(text) <= budget else head(tok, text, cut)\n"
        "return CompressedMemory(out), CompressionTrace(self.id)",
        "a second call on the same instance gave different output",
    ),
    "trace_round_trip": (
        "return CompressedMemory(head(tok, text, budget)), CompressionTrace('some_other_name')",
        "trace.strategy_name is 'some_other_name'",
    ),
    "input_not_mutated": (
        "if not isinstance(text_or_chunks, str) and isinstance(text_or_chunks, list): text_or_chunks.append('x')\n"
        "return CompressedMemory(head(tok, text, budget)), CompressionTrace(self.id)",
        "the chunk list was changed",
    ),
    "unicode_input": (
        "out = head(tok, text, max(budget - 1, 0))\n"
        "out = out + '\\ufffd' if out and tok.count(text) > budget else out\n"
        "return CompressedMemory(out), CompressionTrace(self.id)",
        "U+FFFD",
    ),
}


def test_a_correct_strategy_passes() -> None:
    check_strategy(Good)


@pytest.mark.parametrize("check_name", sorted(BROKEN))
def test_each_broken_promise_is_named(check_name: str) -> None:
    body, expected = BROKEN[check_name]
    cls = _variant(f"Broken_{check_name.split('[')[0]}", body)
    checks = {c.name: c for c in strategy_checks(cls, tokenizers=["words"])}
    with pytest.raises(StrategyCheckError) as info:
        checks[check_name]()
    message = str(info.value)
    assert message.startswith(f"check {check_name!r} failed for Broken_")
    assert expected in message
    assert "input=" in message and "budget=" in message and "tokenizer=words" in message


def test_trace_that_loses_data_in_json_is_caught() -> None:
    cls = _variant(
        "TupleTrace", "return CompressedMemory(head(tok, text, budget)), CompressionTrace(self.id, {'sizes': (1, 2)})"
    )
    check = {c.name: c for c in strategy_checks(cls)}["trace_round_trip"]
    with pytest.raises(StrategyCheckError, match="changes in a JSON round trip"):
        check()


def test_invalid_id_and_constructor_failures_are_named() -> None:
    bad_id = type("BadId", (Good,), {"id": "Bad-Id"})
    with pytest.raises(StrategyCheckError, match=r"check 'class_attributes' failed for BadId .*must match"):
        strategy_checks(bad_id)[0]()
    needs_args = type("NeedsArgs", (Good,), {"__init__": lambda self, size: None})
    with pytest.raises(StrategyCheckError, match="cannot be created with params"):
        strategy_checks(needs_args)[0]()
    check_strategy(needs_args, params={"size": 3}, tokenizers=["words"])


def test_check_strategy_reports_every_failure_at_once() -> None:
    cls = _variant("Sloppy", "return CompressedMemory(text), CompressionTrace('x')")
    with pytest.raises(StrategyCheckError) as info:
        check_strategy(cls, tokenizers=["words"])
    message = str(info.value)
    assert message.splitlines()[0].endswith("strategy checks failed:")
    assert "'budget_kept[words]'" in message and "'trace_round_trip'" in message


def test_a_crash_names_the_check_and_keeps_the_cause() -> None:
    cls = _variant("Crashy", "raise ZeroDivisionError('boom')")
    with pytest.raises(StrategyCheckError, match=r"compress raised ZeroDivisionError: boom; input=") as info:
        strategy_checks(cls)[1]()
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_long_inputs_are_shortened_in_messages() -> None:
    cls = _variant("Long", "return CompressedMemory(text), CompressionTrace(self.id)")
    check = {c.name: c for c in strategy_checks(cls, tokenizers=["words"])}["budget_kept[words]"]
    with pytest.raises(StrategyCheckError) as info:
        check()
    assert "chars)" in str(info.value)
    assert len(str(info.value)) < 400


def test_checks_cover_each_available_tokenizer() -> None:
    names = [c.name for c in strategy_checks(Good)]
    assert [f"budget_kept[{t.name}]" for t in available_tokenizers()] == [
        n for n in names if n.startswith("budget_kept")
    ]
    assert "budget_kept[words]" in names
    assert len(names) == len(set(names))


def test_tokenizers_can_be_chosen() -> None:
    names = [c.name for c in strategy_checks(Good, tokenizers=["words"])]
    assert [n for n in names if n.startswith("budget_kept")] == ["budget_kept[words]"]


@parametrize_strategy_checks(Good)
def test_the_pytest_parametrization_runs_each_check(strategy_check: Any) -> None:
    strategy_check()


def test_the_pytest_parametrization_names_tests_after_checks(tmp_path: Path) -> None:
    (tmp_path / "test_kit_ids.py").write_text(
        textwrap.dedent(
            """
            from compact_memory.testing import parametrize_strategy_checks

            @parametrize_strategy_checks("truncate", tokenizers=["words"])
            def test_contract(strategy_check):
                strategy_check()
            """
        ),
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test_kit_ids.py::test_contract[budget_kept[words]]" in result.stdout
    assert "test_kit_ids.py::test_contract[trace_round_trip]" in result.stdout


def test_checks_are_lazy() -> None:
    calls = []

    class Counting(Good):
        id = "counting_kit"

        def __init__(self) -> None:
            calls.append(1)

    checks = strategy_checks(Counting)
    assert calls == [] and checks
    assert json.dumps([repr(c) for c in checks])


# --- samples, expected failures, experiments -----------------------------------------------------


def test_the_authors_own_samples_are_checked() -> None:
    """A strategy that breaks only on one kind of input passes our samples and fails on the author's."""
    cls = _variant("TableBlind", "out = text if '|' in text else head(tok, text, budget)\n"
                                 "return CompressedMemory(out), CompressionTrace(self.id)")
    check_strategy(cls, tokenizers=["words"])
    with pytest.raises(StrategyCheckError, match=r"'budget_kept\[words\]'.*over the budget"):
        check_strategy(cls, tokenizers=["words"], samples={"table": "| a | b |\n|---|---|\n| 1 | 2 |\n" * 20})


def test_an_expected_failure_is_reported_with_its_reason_and_goes_stale_loudly() -> None:
    cls = _variant("Sloppy2", "return CompressedMemory(head(tok, text, budget)), CompressionTrace('other')")
    report = check_strategy(cls, tokenizers=["words"], expected_failures={"trace_round_trip": "names itself 'other'"})
    assert report.expected_failures == {"trace_round_trip": "names itself 'other'"}
    assert "trace_round_trip: failed as expected (names itself 'other')" in str(report)
    with pytest.raises(StrategyCheckError, match=r"was expected to fail .* but passed"):
        check_strategy(Good, tokenizers=["words"], expected_failures={"deterministic": "it is random"})
    with pytest.raises(ValueError, match="did you mean 'deterministic'"):
        strategy_checks(Good, expected_failures={"determinism": "typo"})


def test_pytest_shows_expected_failures_as_xfail(tmp_path: Path) -> None:
    (tmp_path / "test_xfail.py").write_text(textwrap.dedent("""
        from compact_memory.compression import CompressedMemory, CompressionStrategy, CompressionTrace
        from compact_memory.testing import parametrize_strategy_checks
        from compact_memory.tokenizers import get_tokenizer, head

        class Other(CompressionStrategy):
            id = "other_name"

            def compress(self, text_or_chunks, llm_token_budget, **kwargs):
                job = self.begin(text_or_chunks, llm_token_budget, kwargs)
                return CompressedMemory(head(job.tokenizer, job.text, job.budget)), CompressionTrace("x")

        @parametrize_strategy_checks(Other, tokenizers=["words"],
                                     expected_failures={"trace_round_trip": "the trace keeps an old name"})
        def test_contract(strategy_check):
            strategy_check()
        """), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "pytest", "-rxX", "-p", "no:cacheprovider", str(tmp_path)],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stdout
    assert "1 xfailed" in result.stdout and "the trace keeps an old name" in result.stdout


EXPERIMENT_FORMS = {
    "file_with_input": ("experiments/a.yaml", "name: a\ninput: doc.md\nbudgets: [5, 12]\n"),
    "dataset_without_strategy_id": ("experiments/b.yaml", "name: b\ndataset: docs/\nbudgets: [3]\n"),
    "jsonl_with_strategy_id": ("experiments/c.yaml",
                               "name: c\nstrategy_id: kit_pkg\ndataset: records.jsonl\nbudgets: [4]\n"),
}


def _experiment_package(root: Path, cls_body: str) -> Path:
    pkg = root / "pkg"
    (pkg / "experiments" / "docs").mkdir(parents=True)
    (pkg / "experiments" / "doc.md").write_text("One two three four five six seven eight nine ten. " * 5)
    (pkg / "experiments" / "docs" / "x.txt").write_text("alpha beta gamma delta epsilon zeta eta theta")
    (pkg / "experiments" / "records.jsonl").write_text('{"text": "first record text with words"}\n'
                                                         '{"text": "second record with more words in it"}\n')
    entries = [rel for rel, _ in EXPERIMENT_FORMS.values()]
    for rel, text in EXPERIMENT_FORMS.values():
        (pkg / rel).write_text(text, encoding="utf-8")
    inline = "  - name: inline\n    input: experiments/doc.md\n    budgets: [7]\n    query: seven\n"
    (pkg / "strategy_package.yaml").write_text(
        'package_format_version: "1.0"\nstrategy_id: kit_pkg\nstrategy_class_name: KitPkg\nstrategy_module: s\n'
        'display_name: Kit\nversion: "1"\nauthors: [A]\ndescription: D\ndefault_experiments:\n'
        + "".join(f"  - {e}\n" for e in entries) + inline, encoding="utf-8")
    (pkg / "s.py").write_text(textwrap.dedent(f"""
        from compact_memory.compression import CompressedMemory, CompressionStrategy, CompressionTrace
        from compact_memory.tokenizers import head

        class KitPkg(CompressionStrategy):
            id = "kit_pkg"

            def compress(self, text_or_chunks, llm_token_budget, **kwargs):
                job = self.begin(text_or_chunks, llm_token_budget, kwargs)
                tok, text, budget = job.tokenizer, job.text, job.budget
        {textwrap.indent(cls_body, '        ')}
        """), encoding="utf-8")
    return pkg


def test_check_experiments_reads_every_form_and_calls_the_strategy_directly(tmp_path: Path) -> None:
    from compact_memory.package import read_package
    from compact_memory.plugins.loader import load_package
    from compact_memory.testing import check_experiments

    good = _experiment_package(tmp_path / "good", "return job.result(head(tok, text, budget))")
    runs = check_experiments(load_package(read_package(good)), good)
    assert runs == 2 + 1 + 2 + 1  # file (2 budgets), directory (1 doc), JSONL (2 records), inline
    # A strategy that ignores the budget fails its own experiments (the runtime would have cut it).
    greedy = _experiment_package(tmp_path / "greedy", "return job.result(text)")
    with pytest.raises(StrategyCheckError, match=r"experiment 'a'.*document 'doc.md'.*over the budget"):
        check_experiments(load_package(read_package(greedy)), greedy)
