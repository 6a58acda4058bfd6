"""Where this template comes from, in cruft's terms, and a digest of its files.

A generated package records its origin in ``.cruft.json`` (cruft's format),
so ``cruft check``, ``cruft update`` and ``cruft diff`` work on it. This
module is the one place that says what that origin is. It needs only the
standard library (and Jinja, which comes with cookiecutter), because it is
loaded three ways:

- by cookiecutter and cruft, as a local Jinja extension named in
  cookiecutter.json's ``_extensions``: templates get ``template_dir`` and
  ``template_digest()``, and ``tojson`` keeps cookiecutter.json's key order
  (so .cruft.json lists the answers in the order cruft writes them);
- by ``hooks/post_gen_project.py``, which writes ``.cruft.json``;
- by ``compact-memory dev update-strategy-package`` and the wheel build
  (``hatch_build.py``), for the template that ships with compact-memory.

What ``template``, ``directory``, ``commit`` and ``checkout`` mean:

- The template directory is tracked in a git work tree (a checkout of
  compact-memory, or the clone cookiecutter made of a repository URL):
  ``template`` is the work tree's path (for a clone cookiecutter made, the
  URL it cloned), ``directory`` the template's path inside it, ``commit``
  the work tree's HEAD and ``checkout`` the ``--checkout`` given to
  cookiecutter, if any.
- Otherwise it was installed from a wheel: ``template_origin.json``, written
  into the wheel at build time, gives compact-memory's repository URL, the
  directory, the commit the wheel was built from and, when that commit was
  tagged, the tag as ``checkout``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

try:
    from jinja2.ext import Extension
except ImportError:  # compact-memory's update command loads this file without rendering anything
    Extension = object  # type: ignore[assignment,misc]

HERE = Path(__file__).resolve().parent
ORIGIN_FILE = "template_origin.json"  # in wheels only, written by hatch_build.py
# Never part of the digest: caches, and the build's record of the commit.
_IGNORED_DIRS = frozenset({"__pycache__", ".git", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
# cookiecutter clones these (its is_repo_url rule, and abbreviations such as gh:owner/repo).
_REPO_URL = re.compile(r"^(((git|hg)\+)?(git|ssh|file|https?):(//)?|\w+@[\w.]+|[a-z]{2,}:)")
# cookiecutter's own keys that describe one run on one machine; cruft leaves them out.
_RUN_KEYS = ("_output_dir", "_repo_dir", "_checkout")
GIT_TIMEOUT = 60


def digest(template_dir: Path | str = HERE) -> str:
    """sha256 over every file of the template (paths and bytes), the same in a checkout and a wheel.

    cookiecutter.json stores it as ``__template_digest``, so .cruft.json
    says exactly which template a package came from; cruft recomputes it on
    every update. The rule must not change: a package's digest is compared
    with the running compact-memory's.
    """
    root = Path(template_dir)
    files = sorted((path.relative_to(root).as_posix(), path) for path in _files(root))
    total = hashlib.sha256()
    for name, path in files:
        data = path.read_bytes()
        total.update(f"{name}\0{len(data)}\0".encode())
        total.update(data)
    return "sha256:" + total.hexdigest()


def _files(root: Path) -> Iterator[Path]:
    for parent, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _IGNORED_DIRS]
        for name in names:
            path = Path(parent, name)
            if name.endswith((".pyc", ".pyo")) or (name == ORIGIN_FILE and path.parent == root):
                continue
            yield path


def run_git(cwd: Path | str, *args: str) -> tuple[int, str, str]:
    """``git ARGS`` in ``cwd``, never prompting: (exit status, stdout, stderr); 127 when git cannot run."""
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}
    env["GIT_TERMINAL_PROMPT"] = "0"
    try:
        result = subprocess.run(
            ["git", *args], cwd=str(cwd), capture_output=True, text=True, env=env, timeout=GIT_TIMEOUT
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return 127, "", str(exc)
    return result.returncode, result.stdout, result.stderr


def git(cwd: Path | str, *args: str) -> str | None:
    """``git ARGS`` in ``cwd``: its stdout stripped, or None when it fails or git is missing."""
    status, out, _ = run_git(cwd, *args)
    return out.strip() if status == 0 else None


def is_repo_url(text: str) -> bool:
    """Whether cookiecutter (and cruft) would clone ``text`` rather than read it as a local path."""
    return bool(_REPO_URL.match(text))


def origin(
    template_dir: Path | str = HERE, *, given: str | None = None, checkout: str | None = None
) -> dict[str, Any] | None:
    """``{"template", "directory", "commit", "checkout", "dirty", "source"}``, or None when unknown.

    ``given`` is the template as cookiecutter was given it (``_template``)
    and ``checkout`` its ``--checkout``. ``dirty`` is true when the files
    differ from ``commit`` (uncommitted changes in a checkout, or a wheel
    built from such a tree); ``source`` is ``"git"`` or ``"wheel"``.
    """
    root = Path(template_dir)
    found = _from_git(root, given, checkout)
    return found if found is not None else _from_wheel(root)


def _from_git(root: Path, given: str | None, checkout: str | None) -> dict[str, Any] | None:
    top = git(root, "rev-parse", "--show-toplevel")
    # Tracked, so not a copy that merely lies inside some work tree (a venv in a checkout).
    if not top or git(root, "ls-files", "--error-unmatch", "--", "cookiecutter.json") is None:
        return None
    commit = git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if not commit:
        return None
    prefix = git(root, "rev-parse", "--show-prefix") or ""
    template = str(Path(top))
    if given and is_repo_url(given):
        template = git(top, "remote", "get-url", "origin") or given
    return {
        "template": template,
        "directory": prefix.rstrip("/") or None,
        "commit": commit,
        "checkout": checkout,
        "dirty": bool(git(root, "status", "--porcelain", "--untracked-files=all", "--", ".")),
        "source": "git",
    }


def _from_wheel(root: Path) -> dict[str, Any] | None:
    path = root / ORIGIN_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, ValueError):
        return None
    if not (
        isinstance(data, dict)
        and isinstance(data.get("template"), str)
        and isinstance(data.get("commit"), str)
        and _COMMIT.match(data["commit"])
        and isinstance(data.get("directory"), (str, type(None)))
        and isinstance(data.get("checkout"), (str, type(None)))
    ):
        return None
    return {
        "template": data["template"],
        "directory": data["directory"],
        "commit": data["commit"],
        "checkout": data["checkout"],
        "dirty": bool(data.get("dirty")),
        "source": "wheel",
    }


def cruft_state(context: dict[str, Any], found: dict[str, Any], skip: list[str]) -> dict[str, Any]:
    """What ``cruft create`` would write for these answers, key for key."""
    answers = {key: value for key, value in context.items() if key not in _RUN_KEYS}
    answers["_template"] = found["template"]
    answers["_commit"] = found["commit"]
    state: dict[str, Any] = {
        "template": found["template"],
        "commit": found["commit"],
        "checkout": found["checkout"],
        "context": {"cookiecutter": answers},
        "directory": found["directory"],
    }
    if skip:
        state["skip"] = list(skip)
    return state


def dumps(state: dict[str, Any]) -> str:
    """cruft's own layout of .cruft.json (cruft/_commands/utils/cruft.py: json_dumps)."""
    return json.dumps(state, ensure_ascii=False, indent=2, separators=(",", ": ")) + "\n"


class TemplateOrigin(Extension):
    """The Jinja side: ``template_dir``, ``template_digest()`` and ``tojson`` in insertion order."""

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        environment.globals["template_dir"] = str(HERE)
        environment.globals["template_digest"] = digest
        environment.policies["json.dumps_kwargs"] = {"sort_keys": False}
