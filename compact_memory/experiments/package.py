"""The experiments a strategy package lists, and how the results name the package."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from compact_memory.errors import InputError, PluginError
from compact_memory.experiments.spec import Experiment, load_file, load_inline, show
from compact_memory.package import MANIFEST_NAME, VALIDATE_HINT, StrategyPackage, read_package


def describe(package: StrategyPackage) -> dict[str, Any]:
    """The package as the results document names it."""
    return {"path": show(package.root), "strategy_id": package.strategy_id, "display_name": package.display_name,
            "version": package.version}


def open_package(path: Path) -> StrategyPackage:
    """The package at ``path`` (its directory or its manifest), read as the runtime reads it."""
    if not path.exists():
        raise InputError(f"{path}: no such directory", hint="give the directory that holds strategy_package.yaml")
    root = path.parent if path.is_file() and path.name == MANIFEST_NAME else path
    if not (root / MANIFEST_NAME).is_file():
        raise InputError(f"{show(root)}: no {MANIFEST_NAME} here",
                         hint="give a strategy package directory, e.g. one made by dev create-strategy-package")
    package = read_package(root, display=show(root))
    if package.errors:
        raise PluginError(f"{show(root)}: {package.problem()}", hint=VALIDATE_HINT.format(path=show(root)))
    return package


def select_experiments(package: StrategyPackage, name: str | None) -> list[Experiment]:
    """The manifest's default_experiments, or the one experiment ``name`` (a name or a file path)."""
    entries = package.data.get("default_experiments") or []
    if not isinstance(entries, list):
        raise InputError(f"{show(package.root / MANIFEST_NAME)}: default_experiments must be a list",
                         hint=VALIDATE_HINT.format(path=show(package.root)))
    if name is None:
        if not entries:
            found = sorted(p.relative_to(package.root).as_posix()
                           for p in (package.root / "experiments").glob("*.yaml"))
            hint = f"pass --experiment {found[0]}" if found else "add an experiment file, see docs/experiments.md"
            raise InputError(f"{show(package.root / MANIFEST_NAME)}: no default_experiments listed",
                             hint=f"list experiment files under default_experiments, or {hint}")
        return [_load_entry(package, i, entry) for i, entry in enumerate(entries)]
    named = [exp for i, entry in enumerate(entries) if (exp := _try_entry(package, i, entry, name)) is not None]
    if named:
        return named[:1]
    for candidate in (package.root / name, Path(name), package.root / "experiments" / f"{name}.yaml"):
        if candidate.is_file():
            return [load_file(candidate)]
    names = [str(e.get("name")) if isinstance(e, dict) else str(e) for e in entries]
    raise InputError(f"{show(package.root)}: no experiment named {name!r}",
                     hint=f"give a name or a file; default experiments: {', '.join(names) or 'none'}")


def _try_entry(package: StrategyPackage, index: int, entry: Any, name: str) -> Experiment | None:
    if isinstance(entry, str) and Path(entry).as_posix() == Path(name).as_posix():
        return _load_entry(package, index, entry)
    if isinstance(entry, dict) and entry.get("name") == name:
        return _load_entry(package, index, entry)
    if isinstance(entry, str) and (package.root / entry).is_file():
        try:
            experiment = _load_entry(package, index, entry)
        except InputError:
            return None  # a broken experiment that is not the one asked for
        return experiment if experiment.name == name else None
    return None


def _load_entry(package: StrategyPackage, index: int, entry: Any) -> Experiment:
    if isinstance(entry, dict):
        return load_inline(package.root / MANIFEST_NAME, index)
    if not isinstance(entry, str) or not entry:
        raise InputError(f"{show(package.root / MANIFEST_NAME)}: default_experiments[{index}] must be a path "
                         "or an experiment mapping", hint=VALIDATE_HINT.format(path=show(package.root)))
    path = package.root / entry
    if not path.is_file():
        raise InputError(f"{show(path)}: experiment file not found (default_experiments[{index}] of "
                         f"{show(package.root / MANIFEST_NAME)})")
    return load_file(path)
