"""Generated packages, end to end with real tools: their pytest, the validator, pip, plugins, a wheel.

Every variant of test_template.py is generated through our CLI and through
the ``cookiecutter`` CLI once for this module; each check then runs the
real program a strategy author would run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Venv, run_cli
from test_template import VARIANTS, expected_names, generate_with_cli, generate_with_cookiecutter

pytestmark = pytest.mark.slow
GENERATORS = ("cli", "cookiecutter")
CASES = [pytest.param(v, g, id=f"{v}-{g}") for v in VARIANTS for g in GENERATORS]
TEXT = "First paragraph. It has two sentences.\n\nSecond paragraph here. More text follows.\n\n" * 20


@pytest.fixture(scope="module")
def home_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("e2e-home")
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "COMPACT_MEMORY_PLUGINS_PATH": "",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, home_env: dict[str, str]) -> dict[tuple[str, str], Path]:
    out = {}
    for variant in VARIANTS:
        out[variant, "cli"] = generate_with_cli(variant, tmp_path_factory.mktemp(f"e2e-cli-{variant}"), home_env)
        out[variant, "cookiecutter"] = generate_with_cookiecutter(
            variant, tmp_path_factory.mktemp(f"e2e-cc-{variant}"), home_env
        )
    return out


@pytest.fixture(scope="module")
def venv(wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory, project_wheel: Path) -> Iterator[Venv]:
    """One fresh venv with compact-memory installed from its wheel (not the checkout)."""
    root = tmp_path_factory.mktemp("e2e-venv")
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=300)
    env = Venv(root, wheelhouse)
    env.pip_install(f"{project_wheel}[tiktoken]", "pytest")
    yield env


def _pytest(root: Path, python: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=600,
    )


@pytest.mark.parametrize(("variant", "generator"), CASES)
def test_the_generated_package_passes_its_own_tests(
    generated: dict[tuple[str, str], Path], home_env: dict[str, str], variant: str, generator: str
) -> None:
    result = _pytest(generated[variant, generator], sys.executable, home_env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "test_strategy_contract[budget_kept[words]]" in result.stdout or " passed" in result.stdout


def test_a_strategy_that_ignores_the_budget_fails_its_own_tests(
    generated: dict[tuple[str, str], Path], home_env: dict[str, str], tmp_path: Path
) -> None:
    """The generated tests call the strategy itself, so the runtime's budget cut cannot hide the bug."""
    import shutil

    root = tmp_path / "greedy"
    shutil.copytree(generated["plain", "cli"], root)
    strategy = root / "strategy.py"
    source = strategy.read_text(encoding="utf-8")
    strategy.write_text(source.replace("        if job.fits():\n            return job.unchanged()",
                                       "        return job.unchanged()"), encoding="utf-8")
    result = _pytest(root, sys.executable, home_env)
    assert result.returncode == 1
    failed = {line.split("::", 1)[1].split(" ")[0] for line in result.stdout.splitlines() if line.startswith("FAILED")}
    assert "test_default_experiments_keep_their_budgets" in failed
    assert "test_strategy_contract[budget_kept[words]]" in failed


def _validator_registered() -> bool:
    result = run_cli("dev", "validate-strategy-package", "--help")
    return result.returncode == 0


@pytest.mark.parametrize(("variant", "generator"), CASES)
def test_the_validator_passes_it_strictly_with_the_import_check(
    generated: dict[tuple[str, str], Path], home_env: dict[str, str], variant: str, generator: str
) -> None:
    if not _validator_registered():
        pytest.skip("`compact-memory dev validate-strategy-package` is not registered yet (issue 4)")
    root = generated[variant, generator]
    result = run_cli(
        "dev", "validate-strategy-package", str(root), "--strict", "--import-check", "require", env=home_env
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("variant", VARIANTS)
def test_it_works_as_a_local_plugin_directory(
    generated: dict[tuple[str, str], Path], home_env: dict[str, str], variant: str
) -> None:
    names = expected_names(variant)
    root = generated[variant, "cookiecutter"]
    env = {**home_env, "COMPACT_MEMORY_PLUGINS_PATH": str(root.parent)}
    listing = run_cli("dev", "list-strategies", "--json", env=env)
    assert listing.returncode == 0, listing.stderr
    rows = [r for r in json.loads(listing.stdout)["strategies"] if r["id"] == names.strategy_id]
    assert [(r["source"], r["status"], r["display_name"]) for r in rows] == [("local", "active", names.display_name)]
    result = run_cli("compress", "--text", TEXT, "--budget", "12", "--strategy", names.strategy_id, "--json", env=env)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["trace"]["strategy_name"] == names.strategy_id
    assert doc["trace"]["output_summary"]["tokens"] <= 12
    assert doc["text"].startswith("First paragraph.")


def test_pip_install_exposes_the_entry_point(
    generated: dict[tuple[str, str], Path], venv: Venv, home_env: dict[str, str]
) -> None:
    # Non-editable installs, built offline from the wheelhouse (setuptools comes from there).
    venv.pip_install(*[str(generated[v, "cli"]) for v in VARIANTS])
    listing = venv.run("compact-memory", "dev", "list-strategies", "--json", env=home_env)
    assert listing.returncode == 0, listing.stderr
    rows = {r["id"]: r for r in json.loads(listing.stdout)["strategies"]}
    for variant in VARIANTS:
        names = expected_names(variant)
        row = rows[names.strategy_id]
        assert (row["source"], row["status"]) == ("entry_point", "active")
        assert row["origin"] == f"{names.distribution_name}==0.1.0"
        assert row["display_name"] == names.display_name  # read from the shipped manifest, no import
        result = venv.run(
            "compact-memory",
            "compress",
            "--text",
            TEXT,
            "--budget",
            "20",
            "--strategy",
            names.strategy_id,
            "--tokenizer",
            "cl100k_base",
            "--json",
            env=home_env,
        )
        assert result.returncode == 0, result.stderr
        doc = json.loads(result.stdout)
        assert doc["trace"]["strategy_name"] == names.strategy_id
        assert 0 < doc["trace"]["output_summary"]["tokens"] <= 20
    # Loadability in a subprocess (other ids' state is not this test's business).
    check = venv.run("compact-memory", "dev", "list-strategies", "--check", "--json", env=home_env)
    loads = {r["id"]: r["load"] for r in json.loads(check.stdout)["strategies"]}
    for variant in VARIANTS:
        assert loads[expected_names(variant).strategy_id]["ok"], loads


def test_generation_from_an_installed_wheel(venv: Venv, home_env: dict[str, str], tmp_path: Path) -> None:
    where = venv.run(
        "python",
        "-c",
        "from compact_memory.resources import data_path;print(data_path('templates', 'strategy_package'))",
        env=home_env,
        cwd=tmp_path,
    )
    template = Path(where.stdout.strip())
    assert template.is_relative_to(venv.root), where.stdout + where.stderr  # the wheel's copy, not the checkout
    result = venv.run(
        "compact-memory",
        "dev",
        "create-strategy-package",
        "--name",
        "compact_memory_from_wheel",
        "--author",
        "Wheel Tester",
        env=home_env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    root = tmp_path / "compact_memory_from_wheel"
    for dotfile in (".pre-commit-config.yaml", ".github/workflows/validate.yml", ".gitignore"):
        assert (root / dotfile).is_file(), dotfile  # dotfiles survive the wheel build
    tests = _pytest(root, str(venv.python), home_env)
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    # The cookiecutter CLI works on the installed template too.
    cookie = venv.run(
        "cookiecutter",
        "--no-input",
        "-o",
        str(tmp_path / "cc"),
        str(template),
        "package_name=compact_memory_cc_wheel",
        env=home_env,
        cwd=tmp_path,
    )
    assert cookie.returncode == 0, cookie.stderr
    venv.pip_install(str(root))
    compressed = venv.run(
        "compact-memory", "compress", "--text", TEXT, "--budget", "9", "--strategy", "from_wheel", env=home_env
    )
    assert compressed.returncode == 0, compressed.stderr
    assert compressed.stdout.strip() == "First paragraph.\n\nSecond paragraph here."
