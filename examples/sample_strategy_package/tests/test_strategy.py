"""Tests of SectionDigestStrategy: the compact-memory contract, then its own behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from compact_memory import compress
from compact_memory.testing import parametrize_strategy_checks
from compact_memory.tokenizers import get_tokenizer

from compact_memory_section_digest.strategy import SectionDigestStrategy

ROOT = Path(__file__).resolve().parent.parent
NOTES = (ROOT / "experiments" / "example_input.md").read_text(encoding="utf-8")


@parametrize_strategy_checks(SectionDigestStrategy)
def test_strategy_contract(strategy_check):
    strategy_check()


@parametrize_strategy_checks(
    SectionDigestStrategy, params={"keep_headings": False, "dedupe": False}
)
def test_strategy_contract_without_headings_or_dedupe(strategy_check):
    strategy_check()


def test_every_section_is_represented_when_the_budget_allows():
    memory, _ = compress(NOTES, 120, SectionDigestStrategy)
    for heading in (
        "# Release notes",
        "## Highlights",
        "## Upgrade",
        "## Removed",
        "## Known issues",
    ):
        assert heading in memory.text


def test_sentences_keep_document_order():
    memory, _ = compress(NOTES, 120, SectionDigestStrategy)
    positions = [
        NOTES.index(line.strip()[:30]) for line in memory.text.splitlines() if line.strip()
    ]
    assert positions == sorted(positions)


def test_query_pulls_in_relevant_sentences():
    plain, _ = compress(NOTES, 60, SectionDigestStrategy)
    asked, _ = compress(
        NOTES, 60, SectionDigestStrategy, query="back up the data directory before the migration"
    )
    assert "Back up the data directory" in asked.text
    assert asked.text != plain.text


def test_repeated_sentences_are_dropped():
    text = (
        "# Notes\n\nThe key is max_len. The key is max_len. Use budget instead of it now.\n\n"
        + "filler words " * 20
    )
    deduped, trace = compress(text, 25, SectionDigestStrategy)
    assert deduped.text.count("The key is max_len.") <= 1
    assert trace.steps[0]["details"]["duplicates_dropped"] == 1


def test_headings_can_be_left_out():
    memory, trace = compress(NOTES, 80, SectionDigestStrategy, params={"keep_headings": False})
    assert "#" not in memory.text
    assert trace.strategy_params == {"keep_headings": False, "dedupe": True}


def test_code_blocks_stay_whole():
    text = (
        "# Install\n\nRun this:\n\n```bash\npip install x\npip install y\n```\n\n"
        + "More prose here. " * 30
    )
    memory, _ = compress(text, 40, SectionDigestStrategy)
    if "```" in memory.text:
        assert "```bash\npip install x\npip install y\n```" in memory.text


def test_abbreviations_do_not_split_sentences():
    text = "Dr. Lee measured it in 2025. The result was clear.\n\n" + "Other text. " * 40
    memory, _ = compress(text, 12, SectionDigestStrategy)
    assert memory.text.startswith("Dr. Lee measured it in 2025.")


def test_manifest_matches_the_class():
    manifest = yaml.safe_load((ROOT / "strategy_package.yaml").read_text(encoding="utf-8"))
    assert manifest["strategy_id"] == SectionDigestStrategy.id
    assert manifest["strategy_class_name"] == SectionDigestStrategy.__name__
    assert manifest["version"] == SectionDigestStrategy.version


@pytest.mark.parametrize(
    "relative",
    yaml.safe_load((ROOT / "strategy_package.yaml").read_text(encoding="utf-8"))[
        "default_experiments"
    ],
)
def test_default_experiments_keep_their_budgets(relative):
    path = ROOT / relative
    experiment = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert experiment["strategy_id"] == SectionDigestStrategy.id
    text = (path.parent / experiment["input"]).read_text(encoding="utf-8")
    tokenizer = get_tokenizer(experiment.get("tokenizer"))
    for budget in experiment["budgets"]:
        memory, trace = compress(
            text, budget, SectionDigestStrategy, tokenizer=tokenizer, query=experiment.get("query")
        )
        assert tokenizer.count(memory.text) <= budget
        assert trace.strategy_name == SectionDigestStrategy.id
