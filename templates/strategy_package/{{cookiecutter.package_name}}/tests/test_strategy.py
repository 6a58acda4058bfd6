"""Tests of {{ cookiecutter.class_name }}: the compact-memory contract, then its own behaviour."""

from __future__ import annotations

from pathlib import Path

import yaml
from compact_memory import compress
from compact_memory.testing import parametrize_strategy_checks
from compact_memory.tokenizers import get_tokenizer

from {{ cookiecutter.package_name }}.strategy import {{ cookiecutter.class_name }}

ROOT = Path(__file__).resolve().parent.parent


@parametrize_strategy_checks({{ cookiecutter.class_name }})
def test_strategy_contract(strategy_check):
    strategy_check()


def test_keeps_the_lead_sentence_of_each_paragraph():
    text = "Alpha one. Alpha two.\n\nBeta one. Beta two.\n\nGamma one. Gamma two."
    memory, _ = compress(text, 9, {{ cookiecutter.class_name }})
    assert memory.text == "Alpha one.\n\nBeta one.\n\nGamma one."


def test_manifest_matches_the_class():
    manifest = yaml.safe_load((ROOT / "strategy_package.yaml").read_text(encoding="utf-8"))
    assert manifest["strategy_id"] == {{ cookiecutter.class_name }}.id
    assert manifest["strategy_class_name"] == {{ cookiecutter.class_name }}.__name__
    assert manifest["version"] == {{ cookiecutter.class_name }}.version


def test_default_experiments_keep_their_budgets():
    manifest = yaml.safe_load((ROOT / "strategy_package.yaml").read_text(encoding="utf-8"))
    for relative in manifest.get("default_experiments", []):
        path = ROOT / relative
        experiment = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert experiment["strategy_id"] == {{ cookiecutter.class_name }}.id
        text = (path.parent / experiment["input"]).read_text(encoding="utf-8")
        tokenizer = get_tokenizer(experiment.get("tokenizer"))
        for budget in experiment["budgets"]:
            memory, trace = compress(
                text, budget, {{ cookiecutter.class_name }}, tokenizer=tokenizer, query=experiment.get("query")
            )
            assert tokenizer.count(memory.text) <= budget
            assert trace.strategy_name == {{ cookiecutter.class_name }}.id
