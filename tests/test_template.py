"""The cookiecutter template: what it generates, for tricky names, through both front doors.

Generation here is real (our CLI and the ``cookiecutter`` CLI in
subprocesses); the slow end-to-end checks (pip, venvs, the package's own
pytest, the validator) are in test_template_e2e.py and reuse the helpers
below.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tomllib
import yaml
from conftest import REPO, run_cli

from compact_memory import scaffold

TEMPLATE = REPO / "templates" / "strategy_package"
LONG_ID = ("a_very_long_strategy_identifier_that_keeps_going_and_going_to_the_limit_" * 2)[:63] + "x"  # 64 chars

VARIANTS: dict[str, dict[str, str]] = {
    "plain": {"package_name": "compact_memory_my_strategy"},
    "quotes_unicode": {
        "package_name": "compact_memory_quote_check",
        "display_name": 'Quote "check" \\ ✓',
        "author": "Zoë Ñúñez-Åström <zoe@example.com>",
        "description": "Handles \"double\" and 'single' quotes, back\\slashes like \\n and \\\\, and 日本語.",
    },
    "long": {"package_name": f"compact_memory_{LONG_ID}"},
}
OPTION = {
    "strategy_id": "--strategy-id",
    "class_name": "--class-name",
    "display_name": "--display-name",
    "author": "--author",
    "description": "--description",
}


def expected_names(variant: str) -> scaffold.PackageNames:
    answers = dict(VARIANTS[variant])
    return scaffold.derive_names(answers.pop("package_name"), **answers)


def generate_with_cli(variant: str, out: Path, env: dict[str, str] | None = None) -> Path:
    """``compact-memory dev create-strategy-package`` into ``out/<package_name>``."""
    answers = dict(VARIANTS[variant])
    name = answers.pop("package_name")
    args = ["dev", "create-strategy-package", "--name", name, "--path", str(out / name)]
    for key, value in answers.items():
        args += [OPTION[key], value]
    result = run_cli(*args, env=env)
    assert result.returncode == 0, result.stderr
    return out / name


def cookiecutter_cli(
    *args: str, env: dict[str, str] | None = None, input: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cookiecutter", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        input=input,
        cwd=cwd,
        timeout=300,
    )


def generate_with_cookiecutter(
    variant: str, out: Path, env: dict[str, str] | None = None, template: Path = TEMPLATE
) -> Path:
    """``cookiecutter --no-input TEMPLATE key=value...`` into ``out/<package_name>``."""
    answers = VARIANTS[variant]
    result = cookiecutter_cli(
        "--no-input", "-o", str(out), str(template), *[f"{k}={v}" for k, v in answers.items()], env=env
    )
    assert result.returncode == 0, result.stderr
    return out / answers["package_name"]


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """Every variant through both front doors, generated once for this module."""
    home = tmp_path_factory.mktemp("gen-home")
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local/share")}
    out: dict[tuple[str, str], Path] = {}
    for variant in VARIANTS:
        out[variant, "cli"] = generate_with_cli(variant, tmp_path_factory.mktemp(f"cli-{variant}"), env)
        out[variant, "cookiecutter"] = generate_with_cookiecutter(
            variant, tmp_path_factory.mktemp(f"cc-{variant}"), env
        )
    return out


CASES = [pytest.param(v, g, id=f"{v}-{g}") for v in VARIANTS for g in ("cli", "cookiecutter")]


def test_cookiecutter_json_declares_every_value_we_pass() -> None:
    # cookiecutter silently drops extra_context keys that cookiecutter.json lacks.
    declared = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))
    assert set(expected_names("plain").context()) <= set(declared)


@pytest.mark.parametrize("variant", VARIANTS)
def test_both_front_doors_generate_identical_files(generated: dict[tuple[str, str], Path], variant: str) -> None:
    cli, cookie = tree(generated[variant, "cli"]), tree(generated[variant, "cookiecutter"])
    assert sorted(cli) == sorted(cookie)
    assert [name for name in cli if cli[name] != cookie[name]] == []


@pytest.mark.parametrize(("variant", "generator"), CASES)
def test_the_known_layout_and_no_template_syntax_left(
    generated: dict[tuple[str, str], Path], variant: str, generator: str
) -> None:
    root = generated[variant, generator]
    files = tree(root)
    for required in (
        "strategy.py",
        "strategy_package.yaml",
        "README.md",
        "requirements.txt",
        "__init__.py",
        "experiments/example.yaml",
        "pyproject.toml",
        "tests/test_strategy.py",
        "tests/conftest.py",
        ".pre-commit-config.yaml",
        ".github/workflows/validate.yml",
        ".gitignore",
        ".cruft.json",
    ):
        assert required in files, required
    for name, data in files.items():
        text = data.decode("utf-8")
        assert "cookiecutter" not in text or name == ".cruft.json", name  # cruft's format keeps the answers there
        assert "{%" not in text and "{#" not in text, name
        assert not re.search(r"(?<!\$)\{\{", text), name  # ${{ }} is GitHub's syntax
    assert "${{ matrix.python-version }}" in files[".github/workflows/validate.yml"].decode()


@pytest.mark.parametrize("variant", VARIANTS)
def test_values_survive_quoting_in_every_format(generated: dict[tuple[str, str], Path], variant: str) -> None:
    names = expected_names(variant)
    root = generated[variant, "cli"]
    manifest_text = (root / "strategy_package.yaml").read_text(encoding="utf-8")
    assert manifest_text.startswith("# yaml-language-server: $schema=https://")
    manifest = yaml.safe_load(manifest_text)
    assert manifest["strategy_id"] == names.strategy_id
    assert manifest["strategy_class_name"] == names.class_name
    assert manifest["display_name"] == names.display_name
    assert manifest["authors"] == [names.author]
    assert manifest["description"] == names.description
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["name"] == names.distribution_name
    assert project["project"]["description"] == names.description
    assert project["project"]["authors"] == [{"name": names.author}]
    entry_points = project["project"]["entry-points"]["compact_memory.strategies"]
    assert entry_points == {names.strategy_id: f"{names.package_name}.strategy:{names.class_name}"}
    assert project["tool"]["setuptools"]["package-dir"] == {names.package_name: "."}
    scope: dict[str, Any] = {}
    source = (root / "strategy.py").read_text(encoding="utf-8")
    code = compile(source, "strategy.py", "exec")
    exec(code, scope)
    cls = scope[names.class_name]
    assert (cls.id, cls.display_name, cls.version) == (names.strategy_id, names.display_name, names.version)


@pytest.mark.parametrize("variant", VARIANTS)
def test_manifest_matches_our_schema(generated: dict[tuple[str, str], Path], variant: str) -> None:
    import jsonschema

    schema = json.loads((REPO / "schemas" / "strategy_package.schema.json").read_text(encoding="utf-8"))
    manifest = yaml.safe_load((generated[variant, "cli"] / "strategy_package.yaml").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(manifest)
    for experiment in manifest["default_experiments"]:
        assert (generated[variant, "cli"] / experiment).is_file()


def test_schema_url_names_our_schema(generated: dict[tuple[str, str], Path]) -> None:
    first = (generated["plain", "cli"] / "strategy_package.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first.endswith("/schemas/strategy_package.schema.json")
    assert "/compact-memory/compact-memory/" in first


def test_pre_commit_accepts_every_config(generated: dict[tuple[str, str], Path]) -> None:
    configs = [str(root / ".pre-commit-config.yaml") for root in generated.values()]
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", *configs], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for config in configs:
        repo = yaml.safe_load(Path(config).read_text(encoding="utf-8"))["repos"][0]
        assert repo["repo"] == "https://github.com/compact-memory/compact-memory" and repo["rev"] == "v0.1.0"
        assert {h["id"] for h in repo["hooks"]} == {"validate-strategy-package", "validate-strategy-package-import"}


def test_every_workflow_passes_the_github_workflow_schema(generated: dict[tuple[str, str], Path]) -> None:
    pytest.importorskip("check_jsonschema", reason="check-jsonschema is not installed (pip install check-jsonschema)")
    workflows = [root / ".github" / "workflows" / "validate.yml" for root in generated.values()]
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, workflows)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for workflow in workflows:
        uses = re.findall(r"uses: (\S+)", workflow.read_text(encoding="utf-8"))
        assert "compact-memory/compact-memory@v0.1.0" in uses
        pinned = [u for u in uses if u.startswith("actions/")]
        assert pinned and all(re.fullmatch(r"actions/[\w-]+@[0-9a-f]{40}", u) for u in pinned)


def test_prompts_take_answers_from_the_user(tmp_path: Path) -> None:
    # Without --no-input: the first answer is typed, the rest are the derived defaults.
    result = cookiecutter_cli("-o", str(tmp_path), str(TEMPLATE), input="compact_memory_prompted\n" + "\n" * 7)
    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load(
        (tmp_path / "compact_memory_prompted" / "strategy_package.yaml").read_text(encoding="utf-8")
    )
    assert (manifest["strategy_id"], manifest["strategy_class_name"]) == ("prompted", "PromptedStrategy")


INVALID = [
    ({"package_name": "1bad"}, "package_name '1bad' is not a valid Python package name"),
    ({"package_name": "class"}, "package_name 'class' is not a valid Python package name"),
    ({"package_name": "my-package"}, "package_name 'my-package' is not a valid Python package name"),
    ({"package_name": "json"}, "would shadow the module 'json'"),
    ({"strategy_id": "Bad-Id"}, "strategy_id 'Bad-Id' is invalid"),
    ({"strategy_id": "x" * 65}, "strategy_id 'xxxxxxxx"),
    ({"class_name": "class"}, "class_name 'class' is not a Python identifier or is a keyword"),
    ({"class_name": "Not Valid"}, "class_name 'Not Valid' is not a Python identifier"),
    ({"class_name": "CompressionStrategy"}, "would shadow compact-memory's own CompressionStrategy"),
    ({"author": " "}, "author must not be empty"),
    ({"version": "one"}, "version 'one' is not a release version"),
]


@pytest.mark.parametrize(
    ("answers", "message"),
    INVALID,
    ids=[next(iter(a.items()))[0] + "=" + repr(next(iter(a.values())))[:12] for a, _ in INVALID],
)
def test_the_hook_rejects_bad_answers_and_leaves_nothing(tmp_path: Path, answers: dict[str, str], message: str) -> None:
    out = tmp_path / "out"
    result = cookiecutter_cli("--no-input", "-o", str(out), str(TEMPLATE), *[f"{k}={v}" for k, v in answers.items()])
    assert result.returncode != 0
    assert message in result.stderr
    assert "nothing was generated" in result.stderr
    assert not out.exists() or list(out.iterdir()) == []


AGREEMENT = [
    "compact_memory_my_strategy",
    "compact-memory-fancy-recall",
    "keywords",
    "1bad",
    "class",
    "json",
    "tests",
    "compact_memory_",
    "compact_memory_BadCase",
    "my package",
    "compact_memory_" + "y" * 65,
    "compact_memory_prune",
    "_private",
]


@pytest.mark.parametrize("name", AGREEMENT)
def test_plain_cookiecutter_and_the_cli_refuse_the_same_names_in_the_same_words(tmp_path: Path, name: str) -> None:
    """One rule set (the template's local_extensions.py) behind both front doors, run for real."""
    cli = run_cli("dev", "create-strategy-package", "--name", name, "--path", str(tmp_path / "cli"))
    out = tmp_path / "cc"
    plain = cookiecutter_cli("--no-input", "-o", str(out), str(TEMPLATE), f"package_name={name}")
    assert (cli.returncode == 0) == (plain.returncode == 0), (cli.stderr, plain.stderr)
    if cli.returncode == 0:
        return
    hook_lines = [line for line in plain.stderr.splitlines() if line.startswith("error: ") and "nothing" not in line]
    assert hook_lines, plain.stderr
    for line in hook_lines:
        assert line.removeprefix("error: ") in cli.stderr, (line, cli.stderr)
    assert not (tmp_path / "cli").exists() and (not out.exists() or list(out.iterdir()) == [])

