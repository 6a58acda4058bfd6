"""Real git repositories for the template-update tests: a clone of this repository, and generated packages.

The clone stands in for compact-memory's repository as a template source
(its path is what .cruft.json then names). It holds the working tree's files
as they are now, committed on top of HEAD, so the tests exercise the code
under test rather than the last commit. Git ignores untracked files when it
clones, so every change a test makes to the template is committed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from conftest import REPO

TEMPLATE_DIR = Path("templates", "strategy_package")
PACKAGE_DIR = TEMPLATE_DIR / "{{cookiecutter.package_name}}"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", "-c", "init.defaultBranch=main", *args], cwd=cwd, capture_output=True,
                            text=True, env={**os.environ, **GIT_ENV}, timeout=120)
    assert result.returncode == 0, f"git {' '.join(args)} failed in {cwd}:\n{result.stderr}"
    return result.stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def clone_of_this_repository(dest: Path) -> Path:
    """``git clone`` of this repository plus the working tree's current files, committed."""
    if subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=REPO, capture_output=True,
                      timeout=60).returncode == 0:
        git(dest.parent, "clone", "-q", str(REPO), str(dest))
        files = git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
        for name in filter(None, files):
            source, target = REPO / name, dest / name
            if source.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
            elif target.exists():
                target.unlink()  # deleted in the working tree
    else:  # a source distribution: the files, in a new repository
        shutil.copytree(REPO, dest, ignore=shutil.ignore_patterns(".venv", "__pycache__", "*.egg-info", ".*_cache"))
        git(dest, "init", "-q")
    commit_all(dest, "The working tree under test")
    return dest


def change_template(clone: Path, relative: str, old: str, new: str, message: str) -> str:
    """Replace ``old`` with ``new`` in a file of the template's package directory, commit; the new HEAD."""
    path = clone / PACKAGE_DIR / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return commit_all(clone, message)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file's bytes, and git's record of the tree, to show nothing changed."""
    files = {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
             if p.is_file() and ".git" not in p.relative_to(root).parts}
    if (root / ".git").is_dir():
        files["<git status>"] = git(root, "status", "--porcelain", "--untracked-files=all").encode()
        files["<git HEAD>"] = git(root, "rev-parse", "HEAD").encode()
    return files
