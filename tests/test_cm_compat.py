"""Strategies written for the original Compact Memory run unchanged (tests/data/cm_compat).

Each package runs as a user would run it: the CLI with a local plugin
directory, the CLI with an installed entry point (a real .dist-info on the
path), ``compress()`` in this process, and the testing kit, whose checks call
``compress`` directly and so prove the budget is kept under every built-in
tokenizer.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO, run_cli
from plugin_factory import installed_dist

import compact_memory
from compact_memory.package import read_package
from compact_memory.plugins.loader import load_package
from compact_memory.testing import available_tokenizers, check_strategy

COMPAT = REPO / "tests" / "data" / "cm_compat"
PACKAGES = sorted(p.name for p in COMPAT.iterdir() if p.is_dir())
TEXT = (REPO / "examples" / "sample_text.md").read_text(encoding="utf-8")
QUIRKS = {"quirk_version": "CM204", "quirk_authors": "CM203", "quirk_format_version": "CM204",
          "quirk_unknown_key": "CM202"}


def strategy_id(name: str) -> str:
    return str(read_package(COMPAT / name).strategy_id)


@pytest.fixture
def loaded() -> Iterator[dict[str, type]]:
    """Every package's class, imported from its directory; registrations made at import undone after."""
    import sys

    from compact_memory.compression import unregister_compression_strategy

    for module in [m for m in sys.modules if m.startswith("compact_memory_plugins.")]:
        del sys.modules[module]  # imported afresh, so modules that register themselves do it again
    classes = {name: load_package(read_package(COMPAT / name)) for name in PACKAGES}
    yield classes
    for name in PACKAGES:
        unregister_compression_strategy(strategy_id(name))


def test_the_corpus_covers_what_the_issue_lists() -> None:
    assert set(PACKAGES) == {"hf_tokenizer", "token_utils_helpers", "registers_itself", "config_pipeline",
                             "undeclared_param", *QUIRKS}


@pytest.mark.parametrize("name", PACKAGES)
def test_through_the_cli_from_a_local_plugin_directory(name: str, tmp_path: Path) -> None:
    shutil.copytree(COMPAT / name, tmp_path / "plugins" / name)
    env = {"COMPACT_MEMORY_PLUGINS_PATH": str(tmp_path / "plugins")}
    for tokenizer in ("words", "cl100k_base"):
        result = run_cli("compress", "--text", TEXT, "--budget", "40", "-s", strategy_id(name), "--json",
                         "--tokenizer", tokenizer, env=env)
        assert result.returncode == 0, result.stderr
        stats = json.loads(result.stdout)["stats"]
        assert stats["output_tokens"] <= 40 and stats["output_tokens"] > 0
        assert "runtime_budget_cut" not in result.stdout  # the strategy kept the budget itself
    if name in QUIRKS:
        assert QUIRKS[name] in result.stderr and "warning:" in result.stderr


@pytest.mark.parametrize("name", PACKAGES)
def test_through_the_cli_from_an_installed_entry_point(name: str, tmp_path: Path) -> None:
    module = f"cmc_{name}"
    site = tmp_path / "site"
    shutil.copytree(COMPAT / name, site / module)
    (site / module / "__init__.py").write_text("")
    pkg = read_package(COMPAT / name)
    installed_dist(site, f"cmc-{name}", {str(pkg.strategy_id): f"{module}.strategy:{pkg.class_name}"})
    env = {"PYTHONPATH": str(site), "COMPACT_MEMORY_PLUGINS_PATH": ""}
    listed = run_cli("dev", "list-strategies", "--json", env=env)
    row = next(r for r in json.loads(listed.stdout)["strategies"] if r["id"] == pkg.strategy_id)
    assert (row["source"], row["status"], row["display_name"]) == ("entry_point", "active", pkg.display_name)
    result = run_cli("compress", "--text", TEXT, "--budget", "30", "-s", str(pkg.strategy_id), "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert 0 < json.loads(result.stdout)["stats"]["output_tokens"] <= 30


@pytest.mark.parametrize("name", PACKAGES)
def test_through_compress_and_the_testing_kit_under_every_tokenizer(name: str, loaded: dict[str, type]) -> None:
    cls = loaded[name]
    for tokenizer in available_tokenizers():
        for budget in (0, 7, 60, 100_000):
            memory, trace = compact_memory.compress(TEXT, budget, cls, tokenizer=tokenizer)
            assert tokenizer.count(memory.text) <= budget
            assert not any(step["type"] == "runtime_budget_cut" for step in trace.steps)
    check_strategy(cls)


def test_registration_at_import_keeps_its_metadata(loaded: dict[str, type]) -> None:
    from compact_memory.compression import get_strategy_metadata

    meta = get_strategy_metadata("cm_registered")
    assert meta is not None
    assert (meta["display_name"], meta["version"], meta["source"]) == (
        "Self-registered (original style)", "0.1.0", "registered")


def test_an_undeclared_constructor_parameter_is_typed_and_checked(tmp_path: Path) -> None:
    shutil.copytree(COMPAT / "undeclared_param", tmp_path / "plugins" / "undeclared_param")
    env = {"COMPACT_MEMORY_PLUGINS_PATH": str(tmp_path / "plugins")}
    base = ["compress", "--text", TEXT, "--budget", "200", "-s", "cm_undeclared_param", "--json"]
    ok = run_cli(*base, "--param", "custom_param=1", "-v", env=env)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["trace"]["strategy_params"] == {"custom_param": 1}
    assert "taken as int 1" in ok.stderr
    typo = run_cli(*base, "--param", "custom_parm=1", env=env)
    assert typo.returncode == 2
    assert "unknown parameter 'custom_parm' for strategy 'cm_undeclared_param'" in typo.stderr
    assert "did you mean 'custom_param'?" in typo.stderr


@pytest.mark.parametrize("name", sorted(QUIRKS))
def test_manifest_quirks_load_with_a_warning_and_fail_the_validator(name: str) -> None:
    result = run_cli("dev", "validate-strategy-package", str(COMPAT / name))
    assert result.returncode == 1 and f"error {QUIRKS[name]}" in result.stdout


def test_the_original_none_strategy_and_its_class() -> None:
    from compact_memory.compression import get_compression_strategy
    from compact_memory.compression.no_compression import NoCompression

    assert get_compression_strategy("none") is NoCompression
    result = run_cli("compress", "--text", "one two three four", "--budget", "2", "-s", "none")
    assert (result.returncode, result.stdout) == (0, "one two\n")
    listed = json.loads(run_cli("dev", "list-strategies", "--json").stdout)["strategies"]
    assert next(r for r in listed if r["id"] == "none")["alias_of"] == "truncate"


def test_a_plugin_that_imports_a_part_of_the_original_not_carried_over(tmp_path: Path) -> None:
    package = tmp_path / "plugins" / "agent_user"
    shutil.copytree(COMPAT / "token_utils_helpers", package)
    source = (package / "strategy.py").read_text(encoding="utf-8")
    (package / "strategy.py").write_text("from compact_memory.memory_agent import MemoryAgent\n" + source)
    result = run_cli("compress", "--text", "a b c", "--budget", "2", "-s", "cm_token_utils",
                     env={"COMPACT_MEMORY_PLUGINS_PATH": str(tmp_path / "plugins")})
    assert result.returncode == 1
    line = result.stderr.strip()
    assert "strategy 'cm_token_utils'" in line and "compact_memory.memory_agent" in line
    assert "original Compact Memory" in line and "docs/plugins.md" in line and "bug" not in line
