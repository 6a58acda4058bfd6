"""Install a strategy package from any source, the same verified way: resolve, fetch, pin, validate, show, ask, act.

Directory packages, git checkouts and index entries with a ``git`` pin end in
the directory install of :mod:`compact_memory.plugins.install`; wheels, sdists,
requirements and index entries with a ``pip`` pin go through pip (see
:mod:`.pip_env`). Before anything changes the package has been validated
statically and the plan printed: the source, the commit or file hash, and
what will be copied or installed. In a terminal the user confirms it;
``--yes`` skips the question and ``--dry-run`` stops after the plan.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from compact_memory.community.install_steps import SECURITY_NOTE, Request, Resolved, confirm, validate
from compact_memory.community.sources import DIRECTORY, GIT, INDEX, GitRef, classify
from compact_memory.errors import CompactMemoryError

__all__ = ["Request", "Resolved", "resolve", "run"]


def resolve(request: Request) -> Resolved:
    source = classify(request.source, pip=request.pip)
    if source.kind == DIRECTORY:
        return Resolved(source)
    if source.kind == GIT:
        return Resolved(source, git=source.git)
    if source.kind != INDEX:
        return Resolved(source, requirement=source.requirement)
    from compact_memory.community.indexes import find, indexes_in_effect

    loaded = indexes_in_effect(request.indexes, refresh=request.refresh)
    from compact_memory.diagnostics.render import text_line

    for finding in (f for index in loaded for f in index.findings):
        print(text_line(finding), file=sys.stderr)
    try:
        entry = find(source.text, loaded)
    except CompactMemoryError as exc:  # the user may have meant a directory that is not there
        raise CompactMemoryError(f"{exc.message}, and no directory {source.text!r} here either",
                                 hint=exc.hint) from None
    shown = {"index": entry.index, "id": entry.id, "version": entry.version}
    pin = entry.pin
    if entry.method == GIT:
        ref = GitRef(url=pin["url"], revision=pin["commit"], subdirectory=pin.get("subdirectory"))
        return Resolved(source, git=ref, pinned_commit=pin["commit"], entry=shown)
    return Resolved(source, requirement=pin["requirement"], hashes=list(pin.get("hashes") or []), entry=shown)


def run(request: Request) -> dict[str, Any]:
    """Do the install; the JSON document of the result (``result`` is what happened)."""
    from compact_memory.plugins.install import plugin_root

    plugin_root(request.to, create=False)  # a bad --to fails before any work
    resolved = resolve(request)
    if resolved.kind == "pip" and request.to is not None:
        from compact_memory.errors import UsageError

        raise UsageError(f"--to applies to directory and git packages; {request.source} installs with pip into "
                         "this Python's environment", hint="leave out --to")
    print(SECURITY_NOTE, file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="compact-memory-install-") as tmp:
        work = Path(tmp)
        if resolved.kind == "pip":
            from compact_memory.community.pip_install import install_with_pip

            return install_with_pip(request, resolved, work)
        return _install_directory(request, resolved, work)


def _install_directory(request: Request, resolved: Resolved, work: Path) -> dict[str, Any]:
    from compact_memory.package import MANIFEST_NAME
    from compact_memory.plugins.install import install, plugin_root
    from compact_memory.plugins.install_files import package_files

    origin: dict[str, Any] | None = None
    if resolved.git is not None:
        from compact_memory.community import git_source

        ref = resolved.git
        commit = git_source.checkout(ref, work / "checkout", pinned=resolved.pinned_commit)
        package = git_source.package_dir(work / "checkout", ref, commit)
        origin = {"git": ref.url, "commit": commit, "subdirectory": ref.subdirectory, "revision": ref.revision,
                  "index_entry": resolved.entry}
        where = f"git {ref.url} at commit {commit}" + (f" in {ref.subdirectory}" if ref.subdirectory else "")
    else:
        assert resolved.source.path is not None
        package = resolved.source.path
        if not (package / MANIFEST_NAME).is_file():
            raise CompactMemoryError(f"{resolved.source.text}: no {MANIFEST_NAME} in this directory",
                                     hint="pass a strategy package directory (the one holding strategy_package.yaml)")
        where = f"directory {package.absolute()}"
    data, warnings = validate(package, resolved.source.text)
    root = plugin_root(request.to, create=not request.dry_run)
    files = package_files(package)
    sid, version = data["strategy_id"], data["version"]
    module = data.get("strategy_module", "?").replace(".", "/")
    lines = [f"plan: install {sid} {version} from {where}",
             f"  copy {len(files)} file{'s' if len(files) != 1 else ''} into {root / sid}: "
             + ", ".join(files[:8]) + (f" and {len(files) - 8} more" if len(files) > 8 else ""),
             f"  runs: {root / sid / module}.py ({data.get('strategy_class_name')}) whenever --strategy {sid} "
             "is used"]
    doc = {"strategy_id": sid, "version": version, "source": where, "origin": origin,
           "findings": [f.to_json() for f in warnings]}
    if not confirm(lines, request):
        return {"result": "planned", **doc, "files": files}
    outcome = install(package.absolute(), root, strategy_id=sid, version=version, upgrade=request.upgrade,
                      force=request.force, origin=origin)
    return {"result": outcome.action, **outcome.to_json(), **doc, "display_name": data.get("display_name")}
