"""Tests of {{ cookiecutter.class_name }}: the compact-memory contract, your experiments, then its own behaviour.

Every test calls the strategy itself, not ``compact_memory.compress`` (which
would cut an output that is over the budget and hide the bug).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from compact_memory.testing import check_experiments, parametrize_strategy_checks
from compact_memory.tokenizers import get_tokenizer

from {{ cookiecutter.package_name }}.strategy import {{ cookiecutter.class_name }}

ROOT = Path(__file__).resolve().parent.parent
# Your own inputs, checked like the kit's: add the kinds of text your strategy is for.
SAMPLES = {"example": (ROOT / "experiments" / "example_input.md").read_text(encoding="utf-8")}
# A check you know this strategy fails, with the reason (reported as xfail, an error once it passes):
# EXPECTED_FAILURES = {"deterministic": "samples at random"}
EXPECTED_FAILURES: dict[str, str] = {}


@parametrize_strategy_checks({{ cookiecutter.class_name }}, samples=SAMPLES, expected_failures=EXPECTED_FAILURES)
def test_strategy_contract(strategy_check):
    strategy_check()


def test_default_experiments_keep_their_budgets():
    # Every document of every experiment in strategy_package.yaml, at each of its budgets.
    assert check_experiments({{ cookiecutter.class_name }}, ROOT) > 0


def test_keeps_the_lead_sentence_of_each_paragraph():
    text = "Alpha one. Alpha two.\n\nBeta one. Beta two.\n\nGamma one. Gamma two."
    memory, _ = {{ cookiecutter.class_name }}().compress(text, 9, tokenizer=get_tokenizer("words"))
    assert memory.text == "Alpha one.\n\nBeta one.\n\nGamma one."


def test_manifest_matches_the_class():
    manifest = yaml.safe_load((ROOT / "strategy_package.yaml").read_text(encoding="utf-8"))
    assert manifest["strategy_id"] == {{ cookiecutter.class_name }}.id
    assert manifest["strategy_class_name"] == {{ cookiecutter.class_name }}.__name__
    assert manifest["version"] == {{ cookiecutter.class_name }}.version
