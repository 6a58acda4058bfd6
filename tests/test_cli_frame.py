"""The CLI frame: --version, --help everywhere, exit codes, the listing table."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli
from plugin_factory import local_plugin

from compact_memory import __version__
from compact_memory.cli_parser import build_parser


def all_command_paths() -> list[list[str]]:
    import argparse

    paths: list[list[str]] = [[]]

    def walk(parser: argparse.ArgumentParser, prefix: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    paths.append([*prefix, name])
                    walk(sub, [*prefix, name])

    walk(build_parser(), [])
    return paths


def test_version() -> None:
    result = run_cli("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"compact-memory {__version__}")


@pytest.mark.parametrize("path", all_command_paths(), ids=lambda p: " ".join(p) or "top")
def test_help_on_every_command(path: list[str]) -> None:
    result = run_cli(*path, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: compact-memory" in result.stdout


def test_no_command_prints_help_and_exits_2() -> None:
    for args in ((), ("dev",)):
        result = run_cli(*args)
        assert result.returncode == 2 and "usage:" in result.stderr and result.stdout == ""


def test_usage_errors_exit_2() -> None:
    assert run_cli("no-such-command").returncode == 2
    assert run_cli("compress", "--text", "x", "--budget", "-1").returncode == 2
    assert run_cli("compress", "--text", "x", "--budget", "1.5").returncode == 2


def test_listing_table(tmp_path: Path) -> None:
    local_plugin(tmp_path / "p", "pkg", "table_id")
    local_plugin(tmp_path / "p", "over", "truncate")
    result = run_cli("dev", "list-strategies", env={"COMPACT_MEMORY_PLUGINS_PATH": str(tmp_path / "p")})
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "NAME", "VERSION", "SOURCE", "STATUS"]
    row = next(line for line in lines if line.startswith("table_id"))
    assert "Plugin table_id" in row and "1.0.0" in row and row.endswith("active")
    assert f"local: {tmp_path / 'p' / 'pkg'}" in row
    shadowed = next(line for line in lines if line.startswith("truncate") and "local:" in line)
    assert "shadowed by built-in compact_memory" in shadowed
    assert "active strategies" in result.stderr


def test_check_all_builtins_load() -> None:
    result = run_cli("dev", "list-strategies", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert all(line.rstrip().endswith("ok") for line in result.stdout.splitlines()[1:])


def test_debug_flag_shows_traceback_for_known_errors(tmp_path: Path) -> None:
    local_plugin(tmp_path / "p", "pkg", "raiser", source="raise ValueError('at import')\n")
    env = {"COMPACT_MEMORY_PLUGINS_PATH": str(tmp_path / "p")}
    plain = run_cli("compress", "--text", "x", "--budget", "3", "--strategy", "raiser", env=env)
    assert plain.returncode == 1 and "Traceback" not in plain.stderr
    debug = run_cli("--debug", "compress", "--text", "x", "--budget", "3", "--strategy", "raiser", env=env)
    assert debug.returncode == 1 and "Traceback" in debug.stderr
