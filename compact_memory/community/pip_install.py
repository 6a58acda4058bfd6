"""Install a strategy package that pip delivers (a wheel, an sdist, a requirement or a pinned index entry).

The steps, each of which can refuse with nothing changed: fetch the one file
(:func:`.pip_source.download`, hashes enforced), check its SHA-256, unpack it
and validate its strategy package statically, ask pip for the plan under the
compact-memory constraint, confirm; then install, check that the installed
distribution exposes the strategy with a valid manifest, and write the record.
When the check fails, or on Ctrl-C, what pip added is removed again.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compact_memory.community import pip_env, pip_source
from compact_memory.errors import CompactMemoryError

if TYPE_CHECKING:
    from compact_memory.community.install_steps import Request, Resolved

UNCHANGED, INSTALLED, UPGRADED = "unchanged", "installed", "upgraded"


def install_with_pip(request: Request, resolved: Resolved, work: Path) -> dict[str, Any]:
    from compact_memory.community.install_steps import SOURCE_TREE_CODES, confirm, validate

    requirement = resolved.requirement
    assert requirement is not None
    shown = resolved.source.text
    if resolved.source.path is not None:
        file = work / resolved.source.path.name
        shutil.copyfile(resolved.source.path, file)  # what is checked is what is installed
    else:
        file = pip_source.download(requirement, resolved.hashes, work)
    digest = pip_source.check_hash(file, resolved.hashes, shown)
    artifact = pip_source.unpack(file, digest, work)
    data, warnings = validate(artifact.package_dir, f"{shown} ({file.name})",
                              ignore=SOURCE_TREE_CODES if artifact.is_wheel else frozenset())
    sid, version = data["strategy_id"], data["version"]
    installed = pip_env.snapshot().get(pip_env.canonical(artifact.name))
    doc: dict[str, Any] = {
        "strategy_id": sid, "version": artifact.version, "distribution": artifact.name,
        "display_name": data.get("display_name"),
        "source": f"pip {requirement}", "sha256": digest, "file": file.name, "index_entry": resolved.entry,
        "findings": [f.to_json() for f in warnings],
    }
    if installed is not None and not request.force and not _wanted(installed[1], artifact.version, request):
        return {"result": UNCHANGED, **doc, "previous_version": installed[1], "changes": []}
    changes = pip_env.plan(file, work)
    lines = [f"plan: install {sid} {version} from {artifact.name} {artifact.version} ({file.name}, "
             f"sha256 {digest})" + (f", pinned by {resolved.entry['index']}" if resolved.entry else ""),
             *(f"  pip installs {change.describe()}" for change in changes)]
    if not artifact.is_wheel:
        lines.append("  note: pip builds an sdist with its own build code; prefer a wheel")
    lines.append(f"  runs: {artifact.entry_point or sid} whenever --strategy {sid} is used")
    doc["changes"] = [{"name": c.name, "version": c.version, "replaces": c.before} for c in changes]
    if not confirm(lines, request):
        return {"result": "planned", **doc}
    with pip_env.rolled_back_on_failure(work):
        pip_env.install(file, work)
        _check_installed(artifact.name, sid)
        pip_env.write_record(artifact.name, {
            "format_version": 1, "strategy_id": sid, "distribution": artifact.name, "version": artifact.version,
            "source": shown, "requirement": requirement, "file": file.name, "sha256": digest,
            "index_entry": resolved.entry,
        })
    action = UPGRADED if installed is not None else INSTALLED
    return {"result": action, **doc, "previous_version": installed[1] if installed else None}


def _wanted(installed: str, offered: str, request: Request) -> bool:
    from packaging.version import InvalidVersion, Version

    if not request.upgrade:
        if installed != offered:
            raise CompactMemoryError(f"{installed} is installed, not {offered}; nothing changed",
                                     hint="pass --upgrade to move to a newer version, or --force to replace it")
        return False
    try:
        return Version(offered) > Version(installed)
    except InvalidVersion:
        return offered != installed


def _check_installed(name: str, strategy_id: str) -> None:
    """The distribution now installed exposes ``strategy_id`` with a manifest that reads cleanly."""
    import importlib

    from compact_memory.package import read_package
    from compact_memory.plugins import ENTRY_POINT_GROUP
    from compact_memory.plugins.discovery import shipped_manifest_dir
    from compact_memory.plugins.entry_points import entry_points, module_file

    importlib.invalidate_caches()
    mine = [ep for ep in entry_points(ENTRY_POINT_GROUP)
            if pip_env.canonical(ep.dist_name) == pip_env.canonical(name) and ep.name == strategy_id]
    if not mine:
        raise CompactMemoryError(f"after pip installed {name}, it exposes no {ENTRY_POINT_GROUP} entry point "
                                 f"{strategy_id!r}; it was removed again", hint="tell its maintainers")
    module = mine[0].value.partition(":")[0].strip()
    directory = shipped_manifest_dir(module, module_file(module, mine[0].location))
    pkg = read_package(directory) if directory is not None else None
    if pkg is None or pkg.errors or pkg.strategy_id != strategy_id:
        problem = "has no manifest" if pkg is None else pkg.problem() or f"names {pkg.strategy_id!r}"
        raise CompactMemoryError(f"after pip installed {name}, its strategy {strategy_id} {problem}; it was "
                                 "removed again", hint="tell its maintainers")


def distribution_of(strategy_id: str) -> str | None:
    """The installed distribution whose entry point provides ``strategy_id``, if any."""
    from compact_memory.plugins import ENTRY_POINT_GROUP
    from compact_memory.plugins.entry_points import entry_points

    names = sorted({ep.dist_name for ep in entry_points(ENTRY_POINT_GROUP) if ep.name == strategy_id})
    return names[0] if names else None


def uninstall_with_pip(strategy_id: str, name: str) -> dict[str, Any]:
    """Remove the distribution ``name`` that install-strategy-package installed for ``strategy_id``."""
    import tempfile

    record = pip_env.read_record(name)
    if record is None or record.get("strategy_id") != strategy_id:
        raise CompactMemoryError(f"{strategy_id!r} comes from the distribution {name}, which "
                                 "install-strategy-package did not install; nothing removed",
                                 hint=f"remove it with: python -m pip uninstall {name}")
    version = pip_env.snapshot().get(pip_env.canonical(name), (name, "?"))[1]
    with tempfile.TemporaryDirectory(prefix="compact-memory-uninstall-") as tmp:
        pip_env.uninstall(name, Path(tmp))
    return {"result": "uninstalled", "action": "uninstalled", "strategy_id": strategy_id, "version": version,
            "distribution": name, "path": None, "files": [], "kept": []}
