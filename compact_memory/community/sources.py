"""What ``install-strategy-package SOURCE`` names: a directory, an index id, a git URL, a wheel or sdist, or a
requirement.

The rules, in order: an existing directory is a directory package; ``git+``
starts a git URL in pip's spelling (``git+https://host/repo.git@REV#subdirectory=DIR``);
a name ending in ``.whl``, ``.tar.gz`` or ``.zip`` (a path, or an http(s) URL)
is a distribution file; a word shaped like a strategy id is looked up in the
indexes; anything else that parses as a PEP 508 requirement (``name==1.2``,
``Fancy-Strategy``) goes to pip. ``--pip`` sends even an id-shaped word to pip.
Parsing never touches the network.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from compact_memory.errors import CompactMemoryError, UsageError
from compact_memory.names import is_strategy_id

DIRECTORY, INDEX, GIT, PIP = "directory", "index", "git", "pip"
DIST_SUFFIXES = (".whl", ".tar.gz", ".zip")
GIT_SCHEMES = ("https", "http", "file", "ssh")
GIT_HINT = "write it as pip does: git+https://host/repo.git@REVISION#subdirectory=path/in/repo"


@dataclass(frozen=True)
class GitRef:
    url: str  # what git clones, without git+, revision or fragment
    revision: str | None = None  # a commit, tag or branch; None: the default branch
    subdirectory: str | None = None

    def describe(self) -> str:
        at = f" at {self.revision}" if self.revision else ""
        where = f" in {self.subdirectory}" if self.subdirectory else ""
        return f"{self.url}{at}{where}"


@dataclass(frozen=True)
class Source:
    kind: str  # DIRECTORY, INDEX, GIT or PIP
    text: str  # as the user wrote it
    path: Path | None = None  # a directory, or a local distribution file
    git: GitRef | None = None
    requirement: str | None = None  # for PIP: a requirement, a file path or a URL


def classify(text: str, *, pip: bool = False) -> Source:
    """What ``text`` names (see the module's rules); a usage error when it names nothing installable."""
    if not text.strip() or text != text.strip() or any(ord(c) < 32 for c in text):
        raise UsageError(f"{text!r} is not an install source",
                         hint="pass a package directory, an index id, a git+ URL, a wheel or sdist, or a requirement")
    if pip:
        return Source(PIP, text, requirement=_requirement(text))
    if os.path.isdir(text):
        return Source(DIRECTORY, text, path=Path(text))
    if text.startswith("git+"):
        return Source(GIT, text, git=parse_git_url(text))
    if text.lower().endswith(DIST_SUFFIXES):
        if "://" in text:
            scheme = urlsplit(text).scheme
            if scheme not in ("http", "https", "file"):
                raise UsageError(f"{text}: cannot fetch {scheme}:// URLs", hint="use an http(s) URL or a local path")
            return Source(PIP, text, requirement=text)
        if not os.path.isfile(text):
            raise CompactMemoryError(f"{text}: no such file", hint="check the path of the wheel or sdist")
        return Source(PIP, text, path=Path(text), requirement=str(Path(text).absolute()))
    if os.path.lexists(text):
        raise CompactMemoryError(f"{text}: not a directory, wheel or sdist",
                                 hint="pass a strategy package directory, a .whl, or a .tar.gz or .zip sdist")
    if is_strategy_id(text):
        return Source(INDEX, text)
    if "/" in text or text.startswith(".") or os.sep in text:
        raise CompactMemoryError(f"{text}: no such directory",
                                 hint="pass a strategy package directory (the one holding strategy_package.yaml)")
    return Source(PIP, text, requirement=_requirement(text))


def _requirement(text: str) -> str:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        Requirement(text)
    except InvalidRequirement as exc:
        raise UsageError(f"{text!r} is neither a directory, an index id, a git+ URL nor a PEP 508 requirement: "
                         f"{exc}", hint="e.g. section_digest, ./my_package, fancy-strategy==1.2") from None
    return text


def parse_git_url(text: str) -> GitRef:
    """``git+URL[@REV][#subdirectory=DIR]`` as pip spells it."""
    url = text.removeprefix("git+")
    url, _, fragment = url.partition("#")
    parts = urlsplit(url)
    if parts.scheme not in GIT_SCHEMES or (parts.scheme != "file" and not parts.netloc):
        raise UsageError(f"{text}: not a git URL this command clones ({', '.join(GIT_SCHEMES)})", hint=GIT_HINT)
    revision = None
    if "@" in parts.path:
        path, _, revision = parts.path.rpartition("@")
        url = parts._replace(path=path).geturl()
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,199}", revision) or ".." in revision:
            raise UsageError(f"{text}: {revision!r} is not a revision", hint="give a commit hash, a tag or a branch")
    if url.startswith("-") or not parts.path.strip("/"):
        raise UsageError(f"{text}: no repository path", hint=GIT_HINT)
    subdirectory = None
    if fragment:
        values = parse_qs(fragment, keep_blank_values=True).get("subdirectory")
        if values:
            subdirectory = unquote(values[-1]).strip("/")
            if not subdirectory or any(part in ("", ".", "..") or part.startswith(".")
                                       for part in subdirectory.split("/")):
                raise UsageError(f"{text}: subdirectory {subdirectory!r} must be a relative path inside the "
                                 "repository", hint="e.g. #subdirectory=examples/my_package")
    return GitRef(url=url, revision=revision, subdirectory=subdirectory)
