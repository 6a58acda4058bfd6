"""Check out a package from a git repository with the real ``git``, pinned and verified, into a temporary directory.

Only https, http, ssh and file transports are allowed (git's ``ext::`` and
other helpers could run commands); git never prompts, and the clone runs no
hooks of the repository (a clone holds none). The revision is resolved to a
commit; when a commit is pinned (by an index entry, or a full hash on the
command line) the checked-out HEAD must be exactly that commit, or nothing is
used. Nothing of the checkout is imported here: it is validated statically
and copied by the directory install.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from compact_memory.community.sources import GIT_SCHEMES, GitRef
from compact_memory.errors import CompactMemoryError

TIMEOUT = 600.0
FULL_HASH = re.compile(r"[0-9a-f]{40}")


def checkout(ref: GitRef, dest: Path, *, pinned: str | None = None, timeout: float = TIMEOUT) -> str:
    """Clone ``ref.url`` into ``dest`` (which must not exist) and check out the revision; return the commit."""
    if shutil.which("git") is None:
        raise CompactMemoryError("git is not installed, so a git URL cannot be installed",
                                 hint="install git, or clone the repository yourself and install its directory")
    revision = pinned or ref.revision
    _git(["clone", "--quiet", "--no-checkout", "--", ref.url, str(dest)], ref, timeout,
         failed=f"cannot clone {ref.url}")
    if revision is not None:
        commit = _resolve(dest, revision, ref, timeout)
        _git(["-C", str(dest), "checkout", "--quiet", "--detach", commit], ref, timeout,
             failed=f"cannot check out {revision} of {ref.url}")
    else:
        _git(["-C", str(dest), "checkout", "--quiet"], ref, timeout, failed=f"cannot check out {ref.url}")
    head = _git(["-C", str(dest), "rev-parse", "--verify", "HEAD^{commit}"], ref, timeout,
                failed=f"cannot read the checked-out commit of {ref.url}").strip()
    expected = pinned or (ref.revision if ref.revision and FULL_HASH.fullmatch(ref.revision) else None)
    if expected is not None and head != expected:
        raise CompactMemoryError(f"{ref.url}: the checkout is at commit {head}, not the pinned {expected}; "
                                 "nothing was copied", hint="the repository may have been rewritten; tell the "
                                 "index's maintainers, and do not install it until the pin is checked")
    return head


def package_dir(checkout_dir: Path, ref: GitRef, commit: str) -> Path:
    """The package directory inside the checkout: the root or ``ref.subdirectory``, never outside it."""
    from compact_memory.package import MANIFEST_NAME, inside

    where = checkout_dir / ref.subdirectory if ref.subdirectory else checkout_dir
    if not inside(where, checkout_dir) or not (where / MANIFEST_NAME).is_file() or (where / MANIFEST_NAME).is_symlink():
        place = f"in {ref.subdirectory}" if ref.subdirectory else "at the repository root"
        raise CompactMemoryError(f"{ref.url} at {commit[:12]} has no {MANIFEST_NAME} {place}; nothing was copied",
                                 hint="name the package directory with #subdirectory=path/in/repo")
    return where


def _resolve(dest: Path, revision: str, ref: GitRef, timeout: float) -> str:
    """The commit that ``revision`` (commit, tag or branch) names in the clone; fetched by hash when needed."""
    for name in (revision, f"origin/{revision}"):
        found = _try(["-C", str(dest), "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}"], timeout)
        if found:
            return found.strip()
    if FULL_HASH.fullmatch(revision):  # a commit no branch or tag reaches; servers may still hand it out
        if _try(["-C", str(dest), "fetch", "--quiet", "origin", revision], timeout) is not None:
            found = _try(["-C", str(dest), "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], timeout)
            if found:
                return found.strip()
    raise CompactMemoryError(f"revision {revision} does not exist in {ref.url}; nothing was copied",
                             hint="check the commit hash, tag or branch (git ls-remote URL lists them)")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="true", SSH_ASKPASS="true", GCM_INTERACTIVE="never",
               GIT_PROTOCOL_FROM_USER="0", GIT_ALLOW_PROTOCOL=":".join(GIT_SCHEMES), LC_ALL="C")
    return env


def _command(args: list[str]) -> list[str]:
    allowed = [part for scheme in GIT_SCHEMES for part in ("-c", f"protocol.{scheme}.allow=always")]
    return ["git", "-c", "protocol.allow=never", *allowed, "-c", "core.hooksPath=/dev/null",
            "-c", "submodule.recurse=false", *args]


def _git(args: list[str], ref: GitRef, timeout: float, *, failed: str) -> str:
    done = _run(args, timeout)
    if done is None:
        raise CompactMemoryError(f"{failed}: git did not finish within {timeout:.0f} s; nothing was copied",
                                 hint="check the URL and your connection")
    if done.returncode != 0:
        raise CompactMemoryError(f"{failed}: {_reason(done.stderr)}; nothing was copied", hint=_hint(done.stderr))
    return done.stdout


def _try(args: list[str], timeout: float) -> str | None:
    done = _run(args, timeout)
    return done.stdout if done is not None and done.returncode == 0 else None


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess[str] | None:
    """git with ``args``, quietly, never prompting; None when it ran out of time."""
    try:
        return subprocess.run(_command(args), capture_output=True, text=True, errors="replace", env=_env(),
                              timeout=timeout, stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        return None


def _reason(stderr: str) -> str:
    """git's own last word, on one line."""
    from compact_memory.diagnostics.render import printable

    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    text = (fatal or lines or ["git failed without a message"])[0]
    return printable(text.removeprefix("fatal: ").removeprefix("error: ").rstrip("."), newlines=False)


def _hint(stderr: str) -> str:
    if "not appear to be a git repository" in stderr or "not found" in stderr.lower():
        return "check that the URL names a git repository"
    if "Could not resolve host" in stderr or "unable to access" in stderr:
        return "check the URL and your network connection"
    return "run the same git command yourself to see more"
