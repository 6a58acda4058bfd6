"""The repository's own pre-commit hooks for the community index, run by real ``pre-commit run``.

The hooks are ``repo: local`` with ``language: system``: they run the
compact-memory of this environment, offline, in a temporary git copy of the
files they read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow
GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
FILES = (".pre-commit-config.yaml", "community/strategies.yaml", "docs/community_strategies.md")
NEW_ENTRY = """\
  - id: alpha
    display_name: "Alpha"
    description: "Keeps the first sentence of every paragraph."
    authors: ["Ada"]
    version: "0.1.0"
    install:
      pip: {requirement: "compact-memory-alpha==0.1.0"}
"""


def git(*args: str, cwd: Path) -> None:
    subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=120)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    for name in FILES:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, copy / name)
    git("init", "-q", cwd=copy)
    git("add", "-A", cwd=copy)
    git("commit", "-q", "-m", "snapshot", cwd=copy)
    return copy


def pre_commit(repo: Path, tmp_path: Path, *files: str) -> subprocess.CompletedProcess[str]:
    git("add", "-A", cwd=repo)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--color", "never", "--files", *files],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=300)


def test_hooks_pass_on_the_committed_index(repo: Path, tmp_path: Path) -> None:
    result = pre_commit(repo, tmp_path, "community/strategies.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("Passed") == 2


def test_a_bad_entry_fails_with_its_location(repo: Path, tmp_path: Path) -> None:
    index = repo / "community" / "strategies.yaml"
    text = index.read_text(encoding="utf-8")
    index.write_text(text.replace('    version: "0.1.0"', "    version: 0.1"), encoding="utf-8")
    line = next(i for i, row in enumerate(index.read_text(encoding="utf-8").splitlines(), 1)
                if row.startswith("    version:"))
    result = pre_commit(repo, tmp_path, "community/strategies.yaml")
    assert result.returncode == 1
    assert f"community/strategies.yaml:{line}:14: error CM204 strategies[0].version must be text" in result.stdout


def test_a_new_entry_regenerates_the_page(repo: Path, tmp_path: Path) -> None:
    index = repo / "community" / "strategies.yaml"
    index.write_text(index.read_text(encoding="utf-8") + NEW_ENTRY, encoding="utf-8")
    result = pre_commit(repo, tmp_path, "community/strategies.yaml")
    assert result.returncode == 1  # pre-commit fails a hook that changed files
    assert "files were modified by this hook" in result.stdout
    assert "- Source: pip compact-memory-alpha==0.1.0" in (repo / "docs" / "community_strategies.md").read_text(
        encoding="utf-8")
    assert pre_commit(repo, tmp_path, "community/strategies.yaml").returncode == 0
