"""A generated package's link to its template (``.cruft.json``), and the template this compact-memory ships.

``.cruft.json`` is cruft's own file: the template's post-generation hook
writes it, ``cruft check/update/diff`` read it. What its ``template`` and
``commit`` mean is decided in one place, next to the template
(``templates/strategy_package/strategy_template_origin.py``); this module loads that
file rather than repeating its rules.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from compact_memory.errors import CompactMemoryError

CRUFT_FILE = ".cruft.json"
MAX_CRUFT_FILE_BYTES = 1_000_000
TEMPLATE = ("templates", "strategy_package")
DIGEST_KEY = "__template_digest"
RESTORE_HINT = "restore it with `git checkout -- .cruft.json`, or remove it and link the package again (cruft link)"
# Text from a package's files reaches the terminal only through shown().
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@dataclass(frozen=True)
class Link:
    """What a package's ``.cruft.json`` says."""

    template: str
    commit: str
    checkout: str | None
    directory: str | None
    answers: dict[str, Any]

    @property
    def digest(self) -> str | None:
        value = self.answers.get(DIGEST_KEY)
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Template:
    """The template of the running compact-memory and where it comes from (None where unknown)."""

    path: Path
    digest: str
    template: str | None
    directory: str | None
    commit: str | None
    checkout: str | None
    dirty: bool
    source: str | None  # "git" (a checkout: template is its path) or "wheel"

    @property
    def ref(self) -> str | None:
        """What to pass to cruft's --checkout: the release tag when known, else the commit."""
        return self.checkout or self.commit


@lru_cache(maxsize=1)
def rules() -> ModuleType:
    """templates/strategy_package/strategy_template_origin.py, loaded without writing bytecode next to it."""
    from compact_memory.resources import data_path

    path = data_path(*TEMPLATE, "strategy_template_origin.py")
    module = ModuleType("compact_memory_template_origin")
    module.__file__ = str(path)
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module.__dict__)
    return module


def git(cwd: Path | str, *args: str) -> str | None:
    """``git ARGS`` in ``cwd`` the template's way: stdout, or None when it fails."""
    result: str | None = rules().git(cwd, *args)
    return result


def running_template() -> Template:
    from compact_memory.resources import data_path

    path = data_path(*TEMPLATE)
    module = rules()
    found: dict[str, Any] = module.origin(path) or {}
    return Template(
        path=path,
        digest=module.digest(path),
        template=found.get("template"),
        directory=found.get("directory"),
        commit=found.get("commit"),
        checkout=found.get("checkout"),
        dirty=bool(found.get("dirty")),
        source=found.get("source"),
    )


def read_link(root: Path) -> Link | None:
    """The package's ``.cruft.json``; None when it has none. A broken file is an error."""
    path = root / CRUFT_FILE
    if not path.exists() and not path.is_symlink():
        return None
    if path.is_symlink() or not path.is_file():
        raise CompactMemoryError(f"{path} is not a regular file", hint=RESTORE_HINT)
    try:
        if path.stat().st_size > MAX_CRUFT_FILE_BYTES:
            raise CompactMemoryError(f"{path} is larger than 1 MB, which no .cruft.json is", hint=RESTORE_HINT)
        raw = path.read_bytes()
    except OSError as exc:
        raise CompactMemoryError(f"cannot read {path}: {exc.strerror or exc}", hint="check its permissions") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CompactMemoryError(f"{path} is not UTF-8 text (byte {exc.start})", hint=RESTORE_HINT) from None
    except json.JSONDecodeError as exc:
        raise CompactMemoryError(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", hint=RESTORE_HINT
        ) from None
    problem = _shape_problem(data)
    if problem:
        raise CompactMemoryError(f"{path} is not a cruft file: {problem}", hint=RESTORE_HINT)
    return Link(
        template=data["template"],
        commit=data["commit"],
        checkout=data.get("checkout"),
        directory=data.get("directory"),
        answers=data["context"]["cookiecutter"],
    )


def _shape_problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return f"expected a JSON object, found {type(data).__name__}"
    for key in ("template", "commit"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            return f'"{key}" must be a non-empty string'
        if data[key].startswith("-"):
            return f'"{key}" must not start with "-"'  # it ends up on git's and cruft's command lines
    for key in ("checkout", "directory"):
        if not isinstance(data.get(key), (str, type(None))):
            return f'"{key}" must be a string or null'
    context = data.get("context")
    if not isinstance(context, dict) or not isinstance(context.get("cookiecutter"), dict):
        return '"context" must be an object holding the "cookiecutter" answers'
    skip = data.get("skip", [])
    if not isinstance(skip, list) or not all(isinstance(item, str) for item in skip):
        return '"skip" must be a list of paths'
    return None


def compare(link: Link, template: Template) -> str:
    """``current``, ``behind``, ``ahead`` or ``differs``: the package's template against ``template``.

    In a checkout, git tells whether the template directory changed between
    the two commits (other commits to the repository do not count) and which
    commit is older. From a wheel, the digests of the two templates decide.
    """
    if template.source == "git" and template.template and template.commit:
        top, commit = template.template, template.commit
        if link.commit == commit:
            return "current"
        if git(top, "cat-file", "-e", f"{link.commit}^{{commit}}") is not None:
            if git(top, "diff", "--quiet", link.commit, commit, "--", template.directory or ".") is not None:
                return "current"
            if git(top, "merge-base", "--is-ancestor", link.commit, commit) is not None:
                return "behind"
            if git(top, "merge-base", "--is-ancestor", commit, link.commit) is not None:
                return "ahead"
            return "differs"
    if link.digest is not None:
        return "current" if link.digest == template.digest else "differs"
    return "current" if link.commit == template.commit else "differs"


def link_command(root: Path, template: Template) -> list[str]:
    """The ``cruft link`` command for a package generated before packages recorded their template."""
    answers = package_answers(root)
    command = ["cruft", "link", template.template or repository_url(), "--directory",
               template.directory or "/".join(TEMPLATE)]
    ref = _pinned_release(root)
    if ref is None or (template.source == "git" and template.template
                       and git(template.template, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") is None):
        ref = template.ref  # a checkout without that release's tag: its own commit
    if ref:
        command += ["--checkout", ref]
    return [*command, "--project-dir", str(root), "--no-input", "--extra-context",
            json.dumps(answers, ensure_ascii=False)]


def package_answers(root: Path) -> dict[str, str]:
    """The template's answers, read back from a generated package (its manifest and pyproject.toml)."""
    from compact_memory.package import MANIFEST_NAME, read_package

    if not (root / MANIFEST_NAME).is_file():
        raise CompactMemoryError(f"{shown(str(root))} is not a strategy package: it has no {MANIFEST_NAME}",
                                 hint="pass the directory of a package generated by create-strategy-package")
    package = read_package(root, display=shown(str(root)))
    if package.errors:
        raise CompactMemoryError(f"{shown(str(root))}: {package.problem()}",
                                 hint="fix the manifest first (dev validate-strategy-package)")
    authors = package.data.get("authors")
    answers = {
        "package_name": _package_name(root),
        "strategy_id": package.strategy_id,
        "class_name": package.class_name,
        "display_name": package.display_name,
        "author": authors[0] if isinstance(authors, list) and authors else None,
        "description": package.text("description"),
        "version": package.version,
    }
    return {key: value for key, value in answers.items() if isinstance(value, str)}


def _package_name(root: Path) -> str:
    """The key of ``[tool.setuptools] package-dir`` (the template maps the package to "."), else the directory."""
    try:
        import tomllib

        from compact_memory.io import read_regular_file

        project = tomllib.loads(read_regular_file(root / "pyproject.toml", 1_000_000).decode("utf-8"))
        names = [name for name, where in project["tool"]["setuptools"]["package-dir"].items() if where == "."]
    except (ImportError, OSError, ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        names = []
    return names[0] if len(names) == 1 and isinstance(names[0], str) else root.resolve().name


def _pinned_release(root: Path) -> str | None:
    """The compact-memory revision the package's pre-commit config pins: the release it was generated with."""
    import yaml

    try:
        config = yaml.safe_load((root / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
        for repo in config["repos"]:
            if str(repo.get("repo", "")).rstrip("/").endswith("/compact-memory/compact-memory"):
                rev = repo.get("rev")
                return rev if isinstance(rev, str) and rev and not rev.startswith("-") else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, yaml.YAMLError):
        return None
    return None


def repository_url() -> str:
    """compact-memory's repository, from its metadata (``[project.urls] Repository``)."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        for entry in metadata("compact-memory").get_all("Project-URL") or []:
            label, _, url = str(entry).partition(",")
            if label.strip().lower() == "repository":
                return url.strip()
    except PackageNotFoundError:
        pass
    raise CompactMemoryError("compact-memory's metadata names no repository", hint="reinstall compact-memory")
