"""The schemas: valid against the metaschema, helpful in editors, the one source for all readers."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml
from validate_helpers import REPO

from compact_memory.diagnostics.schema_check import validator_for

SCHEMAS = ["strategy_package", "experiment"]


def load(name: str) -> dict:
    return json.loads((REPO / "schemas" / f"{name}.schema.json").read_text())


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_is_valid_against_the_2020_12_metaschema(name: str) -> None:
    schema = load(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_check_jsonschema_agrees_the_schemas_are_valid() -> None:
    pytest.importorskip("check_jsonschema")
    files = [str(REPO / "schemas" / f"{n}.schema.json") for n in SCHEMAS]
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--check-metaschema", *files],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", SCHEMAS)
def test_every_property_has_a_title_and_description_for_editors(name: str) -> None:
    schema = load(name)
    assert schema["title"] and schema["description"]
    for key, prop in schema["properties"].items():
        assert prop.get("title") and prop.get("description"), key


def test_manifest_properties_and_requirements() -> None:
    schema = load("strategy_package")
    assert schema["required"] == ["package_format_version", "strategy_id", "strategy_class_name", "strategy_module",
                                  "display_name", "version", "authors", "description"]
    assert set(schema["properties"]) >= {"dependencies", "default_experiments", "compact_memory_version",
                                         "overrides_builtin", "license", "homepage", "tags"}
    assert schema["additionalProperties"] is False


def test_the_strategy_id_rule_is_written_once() -> None:
    """The id pattern lives in the manifest schema's $defs; the other schemas and the code refer to it."""
    from compact_memory.names import id_pattern

    texts = {p.name: p.read_text(encoding="utf-8") for p in (REPO / "schemas").glob("*.json")}
    assert sum(text.count(id_pattern().pattern) for text in texts.values()) == 1
    assert load("strategy_package")["$defs"]["strategy_id"]["pattern"] == id_pattern().pattern
    for name in ("experiment", "community_index"):
        assert "strategy_package.schema.json#/$defs/strategy_id" in texts[f"{name}.schema.json"]
    rules = REPO / "templates" / "strategy_package" / "local_extensions.py"
    sources = [*(REPO / "compact_memory").rglob("*.py"), rules]
    assert [p for p in sources if "[a-z0-9_]{0,63}" in p.read_text(encoding="utf-8")] == []


def test_shipped_experiments_are_valid() -> None:
    validator = validator_for(load("experiment"))
    for path in (REPO / "examples").rglob("experiments/*.yaml"):
        assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == [], path


def test_experiment_schema_shapes() -> None:
    validator = validator_for(load("experiment"))
    good = [
        {"name": "a", "input": "doc.md", "budgets": [0, 10]},
        {"name": "b", "dataset": "docs/", "budgets": [5], "params": {"k": 1}, "param_grid": {"k": [1, 2]},
         "metrics": ["rouge", "latency"], "baselines": ["truncate"], "tokenizer": "cl100k_base"},
        {"name": "c", "dataset": ["a.md", "b.jsonl"], "budgets": [1]},
        {"name": "d", "dataset": {"path": "r.jsonl", "format": "jsonl", "limit": 5}, "budgets": [1]},
    ]
    bad = [
        {"name": "a", "budgets": [1]},  # no data
        {"name": "a", "input": "x", "dataset": "y", "budgets": [1]},  # both
        {"name": "a", "input": "x", "budgets": []},
        {"name": "a", "input": "x", "budgets": [1.5]},
        {"name": "a", "input": "x", "budgets": [1], "metrics": ["bleu"]},
        {"name": "a", "input": "x", "budgets": [1], "param_grid": {"k": 3}},
        {"name": "a b", "input": "x", "budgets": [1]},
    ]
    assert [list(validator.iter_errors(e)) for e in good] == [[]] * len(good)
    assert all(list(validator.iter_errors(e)) for e in bad)


@pytest.mark.slow
def test_wheel_ships_both_schemas(project_wheel: Path) -> None:
    with zipfile.ZipFile(project_wheel) as wheel:
        names = set(wheel.namelist())
    for name in SCHEMAS:
        assert f"compact_memory/_data/schemas/{name}.schema.json" in names
