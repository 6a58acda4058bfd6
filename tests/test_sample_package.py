"""examples/sample_strategy_package: generated from the template, a useful strategy, tested and installable."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from conftest import REPO, run_cli

from compact_memory.commands.create_strategy_package import create_package
from compact_memory.scaffold import PackageNames
from compact_memory.testing import check_strategy

SAMPLE = REPO / "examples" / "sample_strategy_package"
NOTES = (SAMPLE / "experiments" / "example_input.md").read_text(encoding="utf-8")
# Files the author changed after generating the sample; everything else must match the template.
AUTHORED = {
    "strategy.py",
    "README.md",
    "tests/test_strategy.py",
    "experiments/example.yaml",
    "experiments/example_input.md",
}


def _manifest() -> dict[str, str]:
    return yaml.safe_load((SAMPLE / "strategy_package.yaml").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _sample_module() -> ModuleType:
    name = "compact_memory_section_digest_under_test"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, SAMPLE / "__init__.py", submodule_search_locations=[str(SAMPLE)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _files(root: Path) -> dict[str, bytes]:
    skip = {"__pycache__", "build", ".pytest_cache", ".ruff_cache", ".mypy_cache"}
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not skip & set(p.relative_to(root).parts) and ".egg-info" not in str(p)
    }


def test_the_sample_is_the_template_plus_a_strategy(tmp_path: Path) -> None:
    manifest = _manifest()
    names = PackageNames(
        package_name="compact_memory_section_digest",
        strategy_id=manifest["strategy_id"],
        class_name=manifest["strategy_class_name"],
        display_name=manifest["display_name"],
        author=manifest["authors"][0],
        description=manifest["description"],
        version=manifest["version"],
    )
    fresh = _files(create_package(names, tmp_path / "fresh"))
    # The sample lives in the template's own repository and follows it through this test, not through cruft.
    assert fresh.pop(".cruft.json")
    sample = _files(SAMPLE)
    assert sorted(sample) == sorted(fresh)
    assert sorted(name for name in sample if sample[name] != fresh[name] and name not in AUTHORED) == []


def test_the_strategy_meets_the_contract() -> None:
    cls = _sample_module().SectionDigestStrategy
    check_strategy(cls)
    check_strategy(cls, params={"keep_headings": False, "dedupe": False})


def test_it_keeps_every_section_where_truncation_loses_most() -> None:
    from compact_memory import compress

    cls = _sample_module().SectionDigestStrategy
    headings = [line for line in NOTES.splitlines() if line.startswith("#")]
    digest, _ = compress(NOTES, 120, cls)
    truncated, _ = compress(NOTES, 120, "truncate")
    assert all(h in digest.text for h in headings)
    assert sum(h in truncated.text for h in headings) < len(headings)


def test_its_own_tests_pass(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=SAMPLE,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_it_works_as_a_local_plugin_with_its_experiment() -> None:
    env = {"COMPACT_MEMORY_PLUGINS_PATH": str(SAMPLE.parent), "PYTHONDONTWRITEBYTECODE": "1"}
    experiment = yaml.safe_load((SAMPLE / "experiments" / "example.yaml").read_text(encoding="utf-8"))
    for budget in experiment["budgets"]:
        result = run_cli(
            "compress",
            "--file",
            str(SAMPLE / "experiments" / experiment["input"]),
            "--budget",
            str(budget),
            "--strategy",
            "section_digest",
            "--query",
            experiment["query"],
            "--json",
            env=env,
        )
        assert result.returncode == 0, result.stderr
        trace = json.loads(result.stdout)["trace"]
        assert trace["strategy_name"] == "section_digest"
        assert trace["output_summary"]["tokens"] <= budget


def test_the_validator_passes_it_strictly() -> None:
    if run_cli("dev", "validate-strategy-package", "--help").returncode != 0:
        pytest.skip("`compact-memory dev validate-strategy-package` is not registered yet (issue 4)")
    result = run_cli(
        "dev",
        "validate-strategy-package",
        str(SAMPLE),
        "--strict",
        "--import-check",
        "require",
        env={"PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_pip_install_exposes_it_as_an_entry_point(make_venv, project_wheel: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / "sample"
    shutil.copytree(SAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    venv = make_venv("sample-venv")
    venv.pip_install(str(project_wheel), str(copy))
    listing = venv.run("compact-memory", "dev", "list-strategies", "--json")
    row = next(r for r in json.loads(listing.stdout)["strategies"] if r["id"] == "section_digest")
    assert (row["source"], row["status"], row["display_name"]) == ("entry_point", "active", "Section digest")
    result = venv.run(
        "compact-memory",
        "compress",
        "--file",
        str(SAMPLE / "experiments" / "example_input.md"),
        "--budget",
        "120",
        "--strategy",
        "section_digest",
    )
    assert result.returncode == 0, result.stderr
    assert "## Known issues" in result.stdout
