"""``compact-memory dev create-strategy-package``: names, refusals, all-or-nothing writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import run_cli

from compact_memory import scaffold
from compact_memory.commands.create_strategy_package import create_package
from compact_memory.errors import CompactMemoryError


@pytest.mark.parametrize(
    ("name", "strategy_id", "class_name", "display_name"),
    [
        ("compact_memory_my_strategy", "my_strategy", "MyStrategy", "My Strategy"),
        ("compact_memory_fancy_recall", "fancy_recall", "FancyRecallStrategy", "Fancy Recall"),
        ("keywords", "keywords", "KeywordsStrategy", "Keywords"),
        ("compact_memory_bm25_v2", "bm25_v2", "Bm25V2Strategy", "Bm25 V2"),
        ("compact_memory_Loud", "loud", "LoudStrategy", "Loud"),
    ],
)
def test_names_are_derived_from_the_package_name(
    name: str, strategy_id: str, class_name: str, display_name: str
) -> None:
    names = scaffold.derive_names(name)
    assert (names.strategy_id, names.class_name, names.display_name) == (strategy_id, class_name, display_name)
    assert scaffold.problems(names) == []
    assert names.author and names.description and names.version == "0.1.0"


def test_defaults_and_next_steps(tmp_path: Path, hermetic_env: Path) -> None:
    result = run_cli("dev", "create-strategy-package", "--name", "compact_memory_my_strategy", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # messages go to stderr
    assert "Next steps:" in result.stderr and "pytest" in result.stderr
    assert "validate-strategy-package" in result.stderr and "--strategy my_strategy" in result.stderr
    root = tmp_path / "compact_memory_my_strategy"
    manifest = yaml.safe_load((root / "strategy_package.yaml").read_text(encoding="utf-8"))
    assert (manifest["strategy_id"], manifest["strategy_class_name"]) == ("my_strategy", "MyStrategy")
    assert manifest["authors"] and all(a.strip() for a in manifest["authors"])
    assert "class MyStrategy(CompressionStrategy):" in (root / "strategy.py").read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["compact_memory_my_strategy"]  # no staging left
    # Cookiecutter's replay and clone directories never land in the user's home.
    assert list(hermetic_env.rglob("*")) == []


def test_every_override_is_used(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "pkg"
    result = run_cli(
        "dev",
        "create-strategy-package",
        "--name",
        "compact_memory_base",
        "--path",
        str(target),
        "--strategy-id",
        "custom_id",
        "--class-name",
        "Custom",
        "--display-name",
        "Custom display",
        "--author",
        "Ada Lovelace <ada@example.com>",
        "--description",
        "Custom description.",
    )
    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load((target / "strategy_package.yaml").read_text(encoding="utf-8"))
    assert manifest["strategy_id"] == "custom_id"
    assert manifest["strategy_class_name"] == "Custom"
    assert manifest["display_name"] == "Custom display"
    assert manifest["authors"] == ["Ada Lovelace <ada@example.com>"]
    assert manifest["description"] == "Custom description."
    assert 'custom_id = "compact_memory_base.strategy:Custom"' in (target / "pyproject.toml").read_text(
        encoding="utf-8"
    )


def test_an_empty_target_directory_is_used(tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    result = run_cli("dev", "create-strategy-package", "--name", "compact_memory_x", "--path", str(target))
    assert result.returncode == 0, result.stderr
    assert (target / "strategy_package.yaml").is_file()


def test_a_non_empty_directory_is_refused_and_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("mine", encoding="utf-8")
    result = run_cli("dev", "create-strategy-package", "--name", "compact_memory_x", "--path", str(target))
    assert result.returncode == 1
    assert "already exists and is not an empty directory" in result.stderr
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["busy"]


def test_a_file_in_the_way_is_refused(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    result = run_cli("dev", "create-strategy-package", "--name", "compact_memory_x", "--path", str(tmp_path / "taken"))
    assert result.returncode == 1 and "already exists" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "1bad"], "package_name '1bad' is not a valid Python package name"),
        (["--name", "import"], "package_name 'import' is not a valid Python package name"),
        (["--name", "json"], "would shadow the module 'json'"),
        (["--name", "compact_memory_ok", "--strategy-id", "Not-OK"], "strategy_id 'Not-OK' is invalid"),
        (
            ["--name", "compact_memory_ok", "--class-name", "class"],
            "class_name 'class' is not a Python identifier or is a keyword",
        ),
        (["--name", "compact_memory_ok", "--class-name", "9Lives"], "class_name '9Lives' is not a Python identifier"),
        (["--name", "compact_memory_ok", "--author", ""], "author must not be empty"),
        (["--name", "compact_memory_ok", "--description", "line\nbreak"], "description must be one line"),
        (["--name", "compact_memory_ok", "--display-name", "{{ x }}"], "must not contain template syntax"),
        (["--name", "compact_memory_" + "z" * 65], "at most 64 characters"),
        (["--name", "My-Strategy"], "did you mean 'My_Strategy'?"),
        (["--name", "compact_memory_ok", "--strategy-id", "prune"], "the id of a built-in strategy"),
    ],
)
def test_invalid_names_fail_before_anything_is_written(tmp_path: Path, args: list[str], message: str) -> None:
    target = tmp_path / "new" / "pkg"
    result = run_cli("dev", "create-strategy-package", *args, "--path", str(target))
    assert result.returncode == 2
    assert message in result.stderr and "nothing was written" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_failure_while_generating_leaves_nothing_behind(tmp_path: Path) -> None:
    # Names the CLI would refuse, passed straight in: the template's own hook fails mid-generation.
    bad = scaffold.PackageNames("compact_memory_ok", "ok", "class", "Ok", "A", "D")
    target = tmp_path / "a" / "b" / "pkg"
    with pytest.raises(CompactMemoryError, match="the template rejected the names"):
        create_package(bad, target)
    assert list(tmp_path.iterdir()) == []


def test_the_template_is_found_through_data_path() -> None:
    from compact_memory.resources import data_path

    template = data_path("templates", "strategy_package")
    assert (template / "cookiecutter.json").is_file()
    assert set(json.loads((template / "cookiecutter.json").read_text(encoding="utf-8"))) >= set(
        scaffold.derive_names("compact_memory_x").context()
    )


def test_building_the_cli_does_not_import_cookiecutter() -> None:
    probe = (
        "import sys\nfrom compact_memory.cli_parser import build_parser\nbuild_parser()\n"
        "print('cookiecutter' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env={**os.environ}
    )
    assert result.stdout.strip() == "False", result.stderr


def test_help_lists_the_command() -> None:
    result = run_cli("dev", "create-strategy-package", "--help")
    assert result.returncode == 0
    for option in ("--name", "--path", "--strategy-id", "--class-name", "--display-name", "--author", "--description"):
        assert option in result.stdout
