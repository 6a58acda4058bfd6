"""A real ``pre-commit try-repo`` with this checkout as the hook repository.

GitHub is out of reach, so the hook repository is a temporary git copy of
the current files (try-repo ignores untracked files), and pip inside
pre-commit installs from the session wheelhouse only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from validate_helpers import REPO, write_package

pytestmark = pytest.mark.slow
GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]


def git(*args: str, cwd: Path) -> None:
    subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working tree as it is now (tracked and untracked, not ignored), committed in a fresh repo."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            check=True, capture_output=True, timeout=120).stdout.decode().split("\0")
    copy = tmp_path_factory.mktemp("hook-repo")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file() and not source.is_symlink():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    git("init", "-q", cwd=copy)
    git("add", "-A", cwd=copy)
    git("commit", "-q", "-m", "snapshot", cwd=copy)
    return copy


@pytest.fixture(scope="module")
def pre_commit_env(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> dict[str, str]:
    home = tmp_path_factory.mktemp("pre-commit-home")
    return {**os.environ, "PRE_COMMIT_HOME": str(home), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def try_repo(hook_repo: Path, hook_id: str, target: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    git("add", "-A", cwd=target)  # --all-files skips untracked files (and would still pass)
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), hook_id, "--all-files",
                           "--color", "never"], cwd=target, env=env, capture_output=True, text=True, timeout=900)


def test_fast_hook_passes_then_fails_with_location(hook_repo: Path, pre_commit_env: dict[str, str],
                                                   tmp_path: Path) -> None:
    target = tmp_path / "strategy-repo"
    write_package(target)
    git("init", "-q", cwd=target)
    result = try_repo(hook_repo, "validate-strategy-package", target, pre_commit_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout

    manifest = target / "strategy_package.yaml"
    manifest.write_text(manifest.read_text().replace("version:", "verison:"))
    result = try_repo(hook_repo, "validate-strategy-package", target, pre_commit_env)
    assert result.returncode == 1
    assert "strategy_package.yaml:6:1: error CM202 unknown key 'verison' (hint: did you mean 'version'?)" \
        in result.stdout
    assert "strategy_package.yaml:1:1: error CM201 missing required key 'version'" in result.stdout


def test_import_hook_runs_the_import(hook_repo: Path, pre_commit_env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "strategy-repo"
    write_package(target)
    git("init", "-q", cwd=target)
    assert try_repo(hook_repo, "validate-strategy-package-import", target, pre_commit_env).returncode == 0
    module = target / "strategy.py"
    module.write_text(module.read_text() + "\nraise RuntimeError('no model')\n")
    result = try_repo(hook_repo, "validate-strategy-package-import", target, pre_commit_env)
    assert result.returncode == 1
    assert "strategy.py:10:1: error CM701 importing strategy: RuntimeError: no model" in result.stdout
    # The fast hook does not import, so the same package passes it.
    assert try_repo(hook_repo, "validate-strategy-package", target, pre_commit_env).returncode == 0
