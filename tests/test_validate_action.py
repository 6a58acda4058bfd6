"""action.yml against GitHub's schema, and its script with temporary GITHUB_OUTPUT and summary files."""

from __future__ import annotations

import io
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest
import yaml
from validate_helpers import REPO, write_package

from compact_memory.validation import github_action

ACTION = REPO / "action.yml"


def test_action_is_valid_for_github() -> None:
    pytest.importorskip("check_jsonschema")
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-actions", str(ACTION)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_action_contract() -> None:
    action = yaml.safe_load(ACTION.read_text())
    assert action["runs"]["using"] == "composite"
    assert {k: v.get("default") for k, v in action["inputs"].items()} == {
        "path": ".", "strict": "true", "import-check": "auto", "python-version": "3.11"}
    assert set(action["outputs"]) == {"errors", "warnings", "result"}
    for step in action["runs"]["steps"]:
        if "run" in step:
            # Inputs reach scripts only through env, never spliced into the script.
            assert "${{" not in step["run"], step["run"]
        if "uses" in step:
            ref = step["uses"].split("@", 1)[1]
            assert len(ref) == 40 and all(c in "0123456789abcdef" for c in ref), step["uses"]
    runs = " ".join(s.get("run", "") for s in action["runs"]["steps"])
    assert "github_action validate" in runs and "github_action install" in runs
    assert '"$ACTION_PATH"' in runs


def run_validate(tmp_path: Path, env: dict[str, str]) -> tuple[int, str, dict[str, str], str]:
    output, summary = tmp_path / "output", tmp_path / "summary.md"
    output.write_text("")
    summary.write_text("")
    out = io.StringIO()
    with redirect_stdout(out):
        code = github_action.main(["validate"], {**env, "GITHUB_OUTPUT": str(output),
                                                 "GITHUB_STEP_SUMMARY": str(summary)})
    pairs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return code, out.getvalue(), pairs, summary.read_text()


def test_validate_passing_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_package(tmp_path / "pkg")
    monkeypatch.chdir(tmp_path)
    code, stdout, outputs, summary = run_validate(tmp_path, {"INPUT_PATH": "pkg", "INPUT_STRICT": "true",
                                                             "INPUT_IMPORT_CHECK": "auto"})
    assert code == 0
    assert outputs == {"errors": "0", "warnings": "0", "result": "pass"}
    assert "passed" in stdout and "passed" in summary and "| Code |" not in summary


def test_validate_failing_package_escapes_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A directory name with ':' ',' '%' and a key with '|' and '<' reach annotations and the table.
    write_package(tmp_path / "a:b,c%d", manifest_extra='"we|ird<key>": 1\n', readme=False)
    monkeypatch.chdir(tmp_path)
    code, stdout, outputs, summary = run_validate(tmp_path, {"INPUT_PATH": "'a:b,c%d'", "INPUT_STRICT": "false",
                                                             "INPUT_IMPORT_CHECK": "skip"})
    assert code == 1
    assert outputs == {"errors": "1", "warnings": "1", "result": "fail"}
    lines = stdout.splitlines()
    assert lines[0].startswith("::warning file=a%3Ab%2Cc%25d/strategy_package.yaml,title=CM303::")
    assert lines[1].startswith("::error file=a%3Ab%2Cc%25d/strategy_package.yaml,line=9,col=1,title=CM202::"
                               "unknown key 'we|ird<key>'")
    assert r"we\|ird&lt;key&gt;" in summary
    assert "| ⚠️ | `CM303` |" in summary


def test_strict_input_makes_warnings_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_package(tmp_path / "pkg", readme=False)
    monkeypatch.chdir(tmp_path)
    assert run_validate(tmp_path, {"INPUT_PATH": "pkg", "INPUT_STRICT": "false"})[2]["result"] == "pass"
    code, _, outputs, _ = run_validate(tmp_path, {"INPUT_PATH": "pkg", "INPUT_STRICT": "true"})
    assert code == 1 and outputs == {"errors": "1", "warnings": "0", "result": "fail"}


def test_multiline_output_uses_a_delimiter(tmp_path: Path) -> None:
    target = tmp_path / "out"
    github_action.set_output(str(target), "one", "a=b")
    github_action.set_output(str(target), "many", "x\ny%")
    lines = target.read_text().splitlines()
    assert lines[0] == "one=a=b"
    assert lines[1].startswith("many<<ghadelimiter_") and lines[2:4] == ["x", "y%"]
    assert lines[4] == lines[1].split("<<", 1)[1]


def test_bad_import_check_input(tmp_path: Path) -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        assert github_action.main(["validate"], {"INPUT_IMPORT_CHECK": "always"}) == 2
    assert out.getvalue().startswith("::error title=compact-memory action::import-check must be")
    assert github_action.main(["other"], {}) == 2


def test_install_plan(tmp_path: Path) -> None:
    with_project = write_package(tmp_path / "a")
    (with_project / "pyproject.toml").write_text("[project]\nname = 'a'\n")
    with_requirements = write_package(tmp_path / "b", strategy_id="b")
    (with_requirements / "requirements.txt").write_text("numpy\n")
    write_package(tmp_path / "c", strategy_id="c")
    plan = github_action.install_commands(["a", "b", "c", "nowhere"], "auto", tmp_path)
    assert [cmd[3:] for cmd in plan] == [
        ["install", "--disable-pip-version-check", str(with_project)],
        ["install", "--disable-pip-version-check", "-r", str(with_requirements / "requirements.txt")],
    ]
    assert github_action.install_commands(["a"], "skip", tmp_path) == []


def _step(name: str) -> dict[str, str]:
    steps = yaml.safe_load(ACTION.read_text())["runs"]["steps"]
    return next(s for s in steps if "run" in s and name in s["run"])


def run_step(name: str, repo: Path, inputs: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """One of action.yml's run steps, as the runner runs it: bash, inputs in the environment, in the repository."""
    import os

    step = _step(name)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "GITHUB_OUTPUT": str(tmp_path / "output"), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
           **{f"INPUT_{k.upper().replace('-', '_')}": v for k, v in inputs.items()}}
    return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=600)


def test_the_checked_repository_cannot_run_code_or_write_workflow_commands(tmp_path: Path) -> None:
    """A repository with a planted yaml.py and a package directory whose name starts a workflow command."""
    repo = tmp_path / "repo"
    evil_name = "pkg\n::warning file=x::injected"
    write_package(repo / evil_name)
    (repo / evil_name / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\n\n[project]\nname = "x"\nversion = "0.1.0"\n')
    marker = tmp_path / "ran"
    (repo / "yaml.py").write_text(f"open({str(marker)!r}, 'w').close()\nraise SystemExit('planted')\n")
    (tmp_path / "output").write_text("")
    inputs = {"path": f"'{evil_name}'", "import-check": "skip", "strict": "false"}
    installed = run_step("github_action install", repo, inputs, tmp_path)
    validated = run_step("github_action validate", repo, inputs, tmp_path)
    assert not marker.exists(), "code from the checked repository ran"
    for result in (installed, validated):
        assert "Traceback" not in result.stderr
        for line in result.stdout.splitlines():
            assert not line.startswith("::warning file=x::"), line
    assert "::error " in validated.stdout or "::warning " in validated.stdout  # the real findings, escaped
    assert "pkg%0A%3A%3Awarning file=x%3A%3Ainjected" in validated.stdout
