"""Data-driven: every package under tests/data/packages, through the exact entry of each hook.

A new folder under valid/ or invalid/ (with expected.yaml) is a new test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from validate_helpers import CORPUS, HOOKS, INVALID, REPO, VALID, parse_text, run_hook

FAST, IMPORT = "validate-strategy-package", "validate-strategy-package-import"


@cache
def hook_run(hook_id: str) -> tuple[int, dict[str, list[dict[str, Any]]], str]:
    """One run of the hook over every corpus file, as pre-commit passes them; findings by package."""
    files = sorted(str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file())
    result = run_hook(hook_id, files, CORPUS)
    assert "Traceback" not in result.stderr + result.stdout
    by_package: dict[str, list[dict[str, Any]]] = {}
    for finding in parse_text(result.stdout):
        kind, name, rest = finding["file"].split("/", 2)
        finding["file"] = rest
        by_package.setdefault(f"{kind}/{name}", []).append(finding)
    return result.returncode, by_package, result.stdout


def expected(name: str) -> dict[str, list[tuple[str, str, int | None]]]:
    data = yaml.safe_load((CORPUS / "invalid" / name / "expected.yaml").read_text())
    return {key: [tuple(item) for item in data.get(key) or []] for key in ("static", "import")}


def observed(hook_id: str, package: str) -> Counter[tuple[str, str, int | None]]:
    findings = hook_run(hook_id)[1].get(package, [])
    return Counter((f["code"], f["file"], f["line"]) for f in findings if f["severity"] != "info")


@pytest.mark.parametrize("hook_id", [FAST, IMPORT])
@pytest.mark.parametrize("name", VALID)
def test_valid_package_passes_each_hook(hook_id: str, name: str) -> None:
    findings = hook_run(hook_id)[1].get(f"valid/{name}", [])
    assert findings == []
    # Alone, a valid package exits 0.
    files = [str(p.relative_to(CORPUS)) for p in (CORPUS / "valid" / name).rglob("*") if p.is_file()]
    result = run_hook(hook_id, files, CORPUS)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", INVALID)
def test_invalid_package_fast_hook(name: str) -> None:
    assert observed(FAST, f"invalid/{name}") == Counter(expected(name)["static"])


@pytest.mark.parametrize("name", INVALID)
def test_invalid_package_import_hook(name: str) -> None:
    want = expected(name)
    assert observed(IMPORT, f"invalid/{name}") == Counter(want["static"] + want["import"])


@pytest.mark.parametrize("hook_id", [FAST, IMPORT])
def test_hook_fails_on_the_corpus_with_locations(hook_id: str) -> None:
    code, _, stdout = hook_run(hook_id)
    assert code == 1
    assert "invalid/unknown_key/strategy_package.yaml:2:1: error CM202 unknown key 'strategy_idd'" in stdout
    assert "(hint: did you mean 'strategy_id'?)" in stdout


def test_every_invalid_package_has_errors_or_warnings() -> None:
    for name in INVALID:
        want = expected(name)
        assert want["static"] or want["import"], name


def test_hooks_file_is_a_valid_pre_commit_manifest() -> None:
    result = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest", ".pre-commit-hooks.yaml"],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(HOOKS) == {FAST, IMPORT}
    assert "--import-check skip" in HOOKS[FAST]["entry"]
    assert "--import-check require" in HOOKS[IMPORT]["entry"]
    for hook in HOOKS.values():
        assert hook["require_serial"] is True
        assert hook["language"] == "python"
        assert hook["minimum_pre_commit_version"]


# --- differential: our schema verdict equals check-jsonschema's, with our schema file ----------------


# check-jsonschema expands YAML aliases before validating: the alias bomb takes it minutes (it
# still says "invalid"). Ours stops at 100,000 values in milliseconds; hostile tests cover it.
# It also reads UTF-16 YAML, where manifests must be UTF-8 (CM103): a rule of ours, not of the schema.
EXPANDS_ALIASES = {"invalid/alias_bomb/strategy_package.yaml", "invalid/utf16_manifest/strategy_package.yaml"}


def _documents() -> list[tuple[str, Path]]:
    manifests = [("strategy_package", p) for p in sorted(CORPUS.glob("*/*/strategy_package.yaml"))
                 if str(p.relative_to(CORPUS)) not in EXPANDS_ALIASES]
    experiments = [("experiment", p) for p in sorted(CORPUS.glob("*/*/experiments/*.yaml"))]
    return manifests + experiments


def _our_verdicts() -> dict[Path, bool]:
    from compact_memory.diagnostics import schema_check
    from compact_memory.diagnostics.findings import Findings
    from compact_memory.diagnostics.yaml_marks import read_yaml

    verdicts = {}
    for schema, path in _documents():
        found = Findings(str(path))
        doc = read_yaml(path, found)
        if doc is not None:
            schema_check.check(doc.data, doc, schema, found)
        verdicts[path] = not any(f.code.startswith(("CM1", "CM2")) for f in found.items)
    return verdicts


def _their_verdicts() -> dict[Path, bool]:
    verdicts = {}
    for schema in ("strategy_package", "experiment"):
        paths = [p for s, p in _documents() if s == schema]
        result = subprocess.run(
            [sys.executable, "-m", "check_jsonschema", "--schemafile", str(REPO / "schemas" / f"{schema}.schema.json"),
             "-o", "json", *map(str, paths)], capture_output=True, text=True, timeout=300)
        report = json.loads(result.stdout)
        failed = {Path(e["filename"]) for e in report["errors"] + report["parse_errors"]}
        verdicts.update({p: p not in failed for p in paths})
    return verdicts


def test_schema_verdicts_equal_check_jsonschema() -> None:
    pytest.importorskip("check_jsonschema")
    ours, theirs = _our_verdicts(), _their_verdicts()
    assert len(ours) >= len(VALID) + len(INVALID)
    assert {str(p.relative_to(CORPUS)): v for p, v in ours.items()} == {
        str(p.relative_to(CORPUS)): v for p, v in theirs.items()}
    assert True in ours.values() and False in ours.values()
