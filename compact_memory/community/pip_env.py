"""Change the running interpreter's environment with pip, and only as planned: install, verify, roll back, remove.

Every pip run carries a constraint that pins the installed compact-memory, so
a plugin can never replace the runtime that checked it. ``plan`` asks pip what
it would do (``--dry-run --report``) before anything changes; ``install``
compares the environment before and after, so a failed check (or Ctrl-C)
removes exactly what this install added. A distribution installed by this
command carries :data:`RECORD_NAME` in its ``.dist-info`` directory (pip
removes it with the distribution): that is how uninstall knows it may remove
it, and what ``search`` shows as its source.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compact_memory.community.pip_source import run_pip
from compact_memory.errors import CompactMemoryError

RECORD_NAME = "compact_memory_install.json"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Change:
    name: str
    version: str
    before: str | None  # the installed version it replaces, if any

    def describe(self) -> str:
        return f"{self.name} {self.version}" + (f" (replacing {self.before})" if self.before else "")


def snapshot() -> dict[str, tuple[str, str]]:
    """canonical name -> (name, version) of every distribution the running interpreter sees."""
    import importlib
    import importlib.metadata

    importlib.invalidate_caches()
    found: dict[str, tuple[str, str]] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found.setdefault(canonical(name), (name, dist.version))
    return found


def constraints(work: Path) -> Path:
    from compact_memory import __version__

    path = work / "constraints.txt"
    path.write_text(f"compact-memory=={__version__}\n", encoding="utf-8")
    return path


def plan(file: Path, work: Path) -> list[Change]:
    """What ``pip install file`` would install or replace, without changing anything."""
    report = work / "plan.json"
    run_pip(["install", "--dry-run", "--quiet", "--report", str(report), "-c", str(constraints(work)), str(file)],
            cwd=work, what=f"pip cannot install {file.name}")
    data = json.loads(report.read_text(encoding="utf-8"))
    installed = snapshot()
    changes = []
    for item in data.get("install", []):
        meta = item.get("metadata", {})
        name, version = str(meta.get("name", "?")), str(meta.get("version", "?"))
        before = installed.get(canonical(name))
        changes.append(Change(name, version, before[1] if before else None))
    return changes


@contextmanager
def rolled_back_on_failure(work: Path) -> Iterator[None]:
    """Undo what pip added when the body fails or is interrupted: new distributions go, replaced ones come back."""
    before = snapshot()
    try:
        yield
    except BaseException:
        _restore(before, work)
        raise


def _restore(before: dict[str, tuple[str, str]], work: Path) -> None:
    from compact_memory import console

    after = snapshot()
    added = [after[key][0] for key in after if key not in before]
    replaced = [f"{before[key][0]}=={before[key][1]}" for key in after
                if key in before and after[key][1] != before[key][1]]
    try:
        if added:
            run_pip(["uninstall", "--yes", "--quiet", *added], cwd=work, what="cannot remove what was installed")
        if replaced:
            run_pip(["install", "--quiet", "--no-deps", *replaced], cwd=work, what="cannot put back replaced versions")
    except (CompactMemoryError, OSError) as exc:
        console.warn(f"the environment may not be as it was: {exc}; check with: python -m pip list")


def install(file: Path, work: Path) -> None:
    run_pip(["install", "--quiet", "-c", str(constraints(work)), str(file)], cwd=work,
            what=f"pip cannot install {file.name}")


def dist_info(name: str) -> Path | None:
    """The ``.dist-info`` directory of the installed distribution ``name``."""
    import importlib.metadata

    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in dist.files or ():
        if file.parent.name.endswith(".dist-info") and file.name == "METADATA":
            return Path(str(dist.locate_file(file))).parent
    return None


def write_record(name: str, record: dict[str, Any]) -> None:
    """Write :data:`RECORD_NAME` into ``name``'s .dist-info and list it in RECORD, so pip removes it too."""
    import base64
    import hashlib

    where = dist_info(name)
    if where is None:
        raise CompactMemoryError(f"{name} is not installed after pip installed it")
    data = (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    tmp = where / f".{RECORD_NAME}.{os.getpid()}"
    tmp.write_bytes(data)
    os.replace(tmp, where / RECORD_NAME)
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    line = f"{where.name}/{RECORD_NAME},sha256={digest},{len(data)}\n"
    listed = (where / "RECORD").read_text(encoding="utf-8")
    if f"{where.name}/{RECORD_NAME}," not in listed:
        with (where / "RECORD").open("a", encoding="utf-8") as handle:
            handle.write(("" if listed.endswith("\n") or not listed else "\n") + line)


def read_record(name: str) -> dict[str, Any] | None:
    """What this command recorded when it installed ``name``; None when something else installed it."""
    from compact_memory.io import read_regular_file

    where = dist_info(name)
    if where is None:
        return None
    try:
        data = json.loads(read_regular_file(where / RECORD_NAME, 1_000_000))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def required_by(name: str) -> list[str]:
    """Installed distributions that require ``name``."""
    import importlib.metadata

    from packaging.requirements import InvalidRequirement, Requirement

    wanted = canonical(name)
    users = set()
    for dist in importlib.metadata.distributions():
        for line in dist.requires or ():
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue
            if canonical(requirement.name) == wanted and (requirement.marker is None or
                                                           requirement.marker.evaluate({"extra": ""})):
                users.add(f"{dist.metadata['Name']} {dist.version}")
    return sorted(users)


def uninstall(name: str, work: Path) -> None:
    users = required_by(name)
    if users:
        raise CompactMemoryError(f"{name} is required by {', '.join(users)}; nothing removed",
                                 hint="uninstall those first, or keep it")
    run_pip(["uninstall", "--yes", "--quiet", name], cwd=work, what=f"pip cannot uninstall {name}")
