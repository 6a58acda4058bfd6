"""Running ``cruft update`` on a package: what must hold first, the command line, and what it left behind.

cruft does the merging (a three-way ``git apply``); this module only makes
sure the package is a clean git tree and the template source answers before
cruft starts, so a refusal leaves the package as it was, and afterwards
finds what cruft reports only in passing: files left with conflicts.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from compact_memory.errors import CompactMemoryError
from compact_memory.template_link import Link, Template, git, rules, shown

INSTALL_HINT = "pip install 'compact-memory[update]' (or pipx install cruft)"
_SHOW_AT_MOST = 5


@dataclass(frozen=True)
class UpdateOptions:
    """cruft update's options that pass through unchanged."""

    skip_apply_ask: bool = False
    skip_update: bool = False
    allow_untracked_files: bool = False
    checkout: str | None = None
    template_path: str | None = None


@dataclass(frozen=True)
class Plan:
    args: list[str]  # after the program: ["update", "--project-dir", ...]
    source: str  # what cruft will clone: the package's template, or --template-path
    refs: list[str]  # commits and refs that source must hold


def find_cruft() -> list[str] | None:
    """How to run cruft: from this Python when it can import it, else a ``cruft`` on PATH."""
    import importlib.util
    import shutil

    if importlib.util.find_spec("cruft") is not None:
        return [sys.executable, "-m", "cruft"]
    found = shutil.which("cruft")
    return [found] if found else None


def plan(root: Path, link: Link, template: Template, options: UpdateOptions) -> Plan:
    """The update towards ``--checkout``, else the template of the running compact-memory.

    From a checkout, that template is the checkout itself (``--template-path``
    when the package names another source); from a wheel, it is the commit
    or tag the wheel was built from, fetched from the package's own source.
    """
    args = ["update", "--project-dir", str(root)]
    template_path = options.template_path
    if template_path is None and template.source == "git" and not _same_place(template.template, link.template):
        template_path = template.template
    ref = options.checkout if options.checkout or options.template_path else template.ref
    if template_path:
        args += ["--template-path", template_path]
    if ref:
        args += ["--checkout", ref]
    for flag, wanted in (("--skip-apply-ask", options.skip_apply_ask), ("--skip-update", options.skip_update),
                         ("--allow-untracked-files", options.allow_untracked_files)):
        if wanted:
            args.append(flag)
    refs = [link.commit] + ([ref] if ref else [])
    return Plan(args=args, source=template_path or link.template, refs=refs)


def _same_place(ours: str | None, theirs: str) -> bool:
    if ours is None or rules().is_repo_url(theirs):
        return ours == theirs
    return Path(ours).resolve() == Path(theirs).expanduser().resolve()


def check_package(root: Path, allow_untracked: bool) -> None:
    """The package is in a git work tree with nothing uncommitted, so the update can be reviewed and undone."""
    if git(root, "rev-parse", "--is-inside-work-tree") != "true":
        raise CompactMemoryError(
            f"{shown(str(root))} is not in a git repository, so an update could not be reviewed or undone",
            hint='run git init && git add -A && git commit -m "Generated from the compact-memory template" first',
        )
    untracked = [] if not allow_untracked else ["--untracked-files=no"]
    code, status, _ = rules().run_git(root, "status", "--porcelain", *untracked)
    if code != 0:
        raise CompactMemoryError(f"git status failed in {shown(str(root))}", hint="run git status there to see why")
    dirty = [line[3:] for line in status.splitlines() if line.strip()]
    if dirty:
        more = f" and {len(dirty) - _SHOW_AT_MOST} more" if len(dirty) > _SHOW_AT_MOST else ""
        raise CompactMemoryError(
            f"{shown(str(root))} has uncommitted changes ({shown(', '.join(dirty[:_SHOW_AT_MOST]))}{more}); "
            "nothing was updated",
            hint="commit or stash them first, so the update's changes stand apart"
            + ("" if allow_untracked else "; --allow-untracked-files ignores untracked files"),
        )


def check_source(plan: Plan, root: Path) -> None:
    """The template source can be reached and holds the commits the update needs."""
    source = plan.source
    if not rules().is_repo_url(source):
        local = Path(source).expanduser()
        if not local.is_dir():
            raise CompactMemoryError(
                f"the template source {shown(source)} cannot be reached: no such directory; nothing was updated",
                hint="pass --template-path with a clone of the template repository",
            )
        for ref in plan.refs:
            if git(local, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") is None:
                raise CompactMemoryError(
                    f"the template source {shown(source)} has no commit {shown(ref)}; nothing was updated",
                    hint="fetch it there (git fetch --tags), or pass --checkout with a commit it has",
                )
        return
    status, _, err = rules().run_git(root, "ls-remote", "--exit-code", source, "HEAD")
    if status != 0:
        reason = next((line for line in reversed(err.splitlines()) if line.strip()), f"git exit status {status}")
        raise CompactMemoryError(
            f"the template source {shown(source)} cannot be reached: {shown(reason.strip())}; nothing was updated",
            hint="check the network, or pass --template-path with a local clone of it",
        )


def run(program: list[str], plan: Plan) -> tuple[int, str]:
    """Run cruft with the terminal for its questions; its output goes to our stderr. (exit status, its stderr)."""
    result = subprocess.run([*program, *plan.args], stdout=sys.stderr.fileno(), stderr=subprocess.PIPE,
                            text=True, errors="replace", check=False)
    return result.returncode, result.stderr


def untracked(root: Path) -> set[str]:
    return set((git(root, "ls-files", "--others", "--exclude-standard") or "").splitlines())


def changed(root: Path) -> list[str]:
    """Files that differ from the last commit (staged or not), and new files."""
    tracked = (git(root, "diff", "--name-only", "--relative", "HEAD") or "").splitlines()
    return sorted(set(tracked) | untracked(root))


def conflicts(root: Path, untracked_before: set[str]) -> list[str]:
    """Files a three-way merge left with conflict markers, and new ``.rej`` files of hunks that did not apply."""
    unmerged = (git(root, "diff", "--name-only", "--diff-filter=U", "--relative") or "").splitlines()
    rejected = [name for name in untracked(root) - untracked_before if name.endswith(".rej")]
    return sorted(set(unmerged) | set(rejected))
