"""One broken plugin never breaks the listing, the CLI or any other strategy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli
from plugin_factory import STRATEGY_SOURCE, local_plugin

GOOD = STRATEGY_SOURCE.format(class_name="PluginStrategy", class_id="broken", display_name="x", marker="")

BROKEN = {
    "raises": ("raise RuntimeError('boom at import')\n", None, "RuntimeError: boom at import"),
    "syntax": ("def oops(:\n    pass\n", None, "syntax error at strategy.py:1"),
    "exits": ("import sys\nsys.exit(3)\n", None, "called sys.exit(3) while being imported"),
    "not_strategy": ("class PluginStrategy:\n    id = 'broken'\n", None, "not a CompressionStrategy subclass"),
    "missing_class": ("X = 1\n", None, "defines no 'PluginStrategy'"),
    "bad_yaml": (GOOD, "strategy_id: broken\nauthors: [unclosed\n  - :\n", "(CM104)"),
    "unreadable_yaml": (GOOD, "strategy_id: [unclosed\n  - :\n", "could not be read"),
    "yaml_list": (GOOD, "- just\n- a list\n", "must be a mapping"),
    "missing_keys": (GOOD, "package_format_version: '1.0'\nstrategy_id: broken\n", "missing required key"),
    # libyaml's C composer can crash the interpreter on input this deep
    "deep_yaml": (GOOD, "strategy_id: broken\nx: " + "[" * 100_000 + "]" * 100_000 + "\n", "nested too deeply"),
}


def make_env(tmp_path: Path, kind: str) -> dict[str, str]:
    source, manifest, _ = BROKEN[kind]
    local_plugin(tmp_path / "p", "broken_pkg", "broken", source=source, manifest=manifest)
    local_plugin(tmp_path / "p", "good_pkg", "good_one", marker="GOOD ")
    return {"COMPACT_MEMORY_PLUGINS_PATH": str(tmp_path / "p")}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_broken_plugin_is_isolated(tmp_path: Path, kind: str) -> None:
    env = make_env(tmp_path, kind)
    expected = BROKEN[kind][2]

    listed = run_cli("dev", "list-strategies", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    strategies = json.loads(listed.stdout)["strategies"]
    rows = {r["origin"].rsplit("/", 1)[-1]: r for r in strategies if r["source"] == "local"}
    assert rows["good_pkg"]["status"] == "active"

    table = run_cli("dev", "list-strategies", env=env)
    assert table.returncode == 0 and "good_one" in table.stdout

    for strategy in ("good_one", "truncate"):
        ok = run_cli("compress", "--text", "alpha beta", "--budget", "5", "--strategy", strategy, env=env)
        assert ok.returncode == 0, ok.stderr

    used = run_cli("compress", "--text", "alpha beta", "--budget", "5", "--strategy", "broken", env=env)
    assert used.returncode == 1
    assert "Traceback" not in used.stderr
    lines = used.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), used.stderr
    assert expected in lines[0]
    assert "validate-strategy-package" in lines[0]

    checked = run_cli("dev", "list-strategies", "--check", "--json", env=env)
    assert checked.returncode == 1
    strategies = json.loads(checked.stdout)["strategies"]
    by_dir = {r["origin"].rsplit("/", 1)[-1]: r for r in strategies if r["source"] == "local"}
    assert by_dir["good_pkg"]["load"] == {"ok": True, "error": None}
    assert by_dir["broken_pkg"]["load"]["ok"] is False


def test_manifest_errors_show_in_listing(tmp_path: Path) -> None:
    env = make_env(tmp_path, "bad_yaml")
    result = run_cli("dev", "list-strategies", env=env)
    line = next(ln for ln in result.stdout.splitlines() if "broken_pkg" in ln)
    assert "error: strategy_package.yaml:" in line and "(CM104)" in line
    assert "1 broken" in result.stderr


def test_plugin_printing_at_import_keeps_json_clean(tmp_path: Path) -> None:
    source = "print('hello from plugin import')\n" + GOOD.replace('"broken"', '"chatty"')
    local_plugin(tmp_path / "p", "chatty", "chatty", source=source)
    env = {"COMPACT_MEMORY_PLUGINS_PATH": str(tmp_path / "p")}
    for args in (("dev", "list-strategies", "--json"), ("dev", "list-strategies", "--json", "--check"),
                 ("compress", "--text", "alpha beta", "--budget", "5", "--strategy", "chatty", "--json")):
        result = run_cli(*args, env=env)
        assert result.returncode == 0, result.stderr
        json.loads(result.stdout)  # nothing but JSON on stdout
        if args[0] == "compress":
            assert "hello from plugin import" in result.stderr


def test_check_survives_hanging_and_crashing_imports(tmp_path: Path) -> None:
    local_plugin(tmp_path / "p", "hangs", "hangs", source="while True:\n    pass\n")
    local_plugin(tmp_path / "p", "dies", "dies", source="import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    local_plugin(tmp_path / "p", "fine", "fine")
    env = {"COMPACT_MEMORY_PLUGINS_PATH": str(tmp_path / "p")}
    result = run_cli("dev", "list-strategies", "--check", "--timeout", "3", "--json", env=env)
    assert result.returncode == 1
    load = {r["id"]: r["load"] for r in json.loads(result.stdout)["strategies"] if r["source"] == "local"}
    assert load["fine"]["ok"] is True
    assert "did not finish within 3 s" in load["hangs"]["error"]
    assert "exit code -9" in load["dies"]["error"]
