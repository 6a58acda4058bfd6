"""Find every strategy candidate without running plugin code.

Errors are values here: a broken plugin becomes a candidate with ``error``
set, so one bad package never breaks the listing or another strategy.
Local packages and the manifests that entry-point distributions ship are
read with :func:`compact_memory.package.read_package`, like everywhere else.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from compact_memory.manifest_cache import ManifestCache
from compact_memory.names import ID_RULE, is_strategy_id
from compact_memory.package import MANIFEST_NAME, VALIDATE_HINT, StrategyPackage, read_package
from compact_memory.plugins.candidates import BUILTIN, ENTRY_POINT, LOCAL, REGISTERED, Candidate
from compact_memory.plugins.settings import ENTRY_POINT_GROUP, PluginSettings

TYPE_CHECKING = False  # typing costs a few ms at startup
if TYPE_CHECKING:
    from compact_memory.plugins.registration import Registration


class Discovery:
    def __init__(self) -> None:
        self.candidates: list[Candidate] = []
        self.notes: list[str] = []


def discover(settings: PluginSettings, registered: list[Registration]) -> Discovery:
    """Built-ins, the ``registered`` classes, local plugin directories and entry points, in that order."""
    found = Discovery()
    found.candidates.extend(_builtins())
    found.candidates.extend(_registered(registered))
    manifests = ManifestCache()
    _local_dirs(settings, found, manifests)
    _entry_points(found, manifests)
    manifests.save()
    return found


def _builtins() -> list[Candidate]:
    from compact_memory import __version__
    from compact_memory.strategies import ALIASES, BUILTINS

    found = [
        Candidate(id=spec.id, source=BUILTIN, origin="compact_memory", order=i, display_name=spec.display_name,
                  version=__version__, module=spec.module, attr=spec.class_name)
        for i, spec in enumerate(BUILTINS)
    ]
    by_id = {c.id: c for c in found}
    for alias, target in ALIASES.items():
        spec = by_id[target]
        found.append(Candidate(id=alias, source=BUILTIN, origin="compact_memory", order=len(found),
                               display_name=spec.display_name, version=__version__, module=spec.module,
                               attr=spec.attr, alias_of=target))
    return found


def _registered(registered: list[Registration]) -> list[Candidate]:
    return [
        Candidate(id=r.cls.id, source=REGISTERED, origin=f"{r.cls.__module__}.{r.cls.__qualname__}", order=i,
                  display_name=r.display_name or getattr(r.cls, "display_name", None) or r.cls.id,
                  version=r.version or getattr(r.cls, "version", None), overrides_builtin=r.overrides_builtin,
                  obj=r.cls)
        for i, r in enumerate(registered)
    ]


def _local_dirs(settings: PluginSettings, found: Discovery, manifests: ManifestCache) -> None:
    roots = list(settings.plugin_paths)
    if settings.user_dir is not None:
        roots.append(settings.user_dir)
    order = 0
    seen: set[str] = set()
    for root in roots:
        try:
            entries = sorted(os.scandir(root), key=lambda e: e.name)
        except FileNotFoundError:
            found.notes.append(f"plugin directory {root} does not exist; skipped")
            continue
        except NotADirectoryError:
            found.notes.append(f"plugin path {root} is not a directory; skipped")
            continue
        except OSError as exc:
            found.notes.append(f"plugin directory {root} cannot be read ({exc.strerror}); skipped")
            continue
        root_key = os.path.realpath(root)
        if root_key in seen:
            found.notes.append(f"plugin directory {root} is listed twice; later entry skipped")
            continue
        seen.add(root_key)
        risky_root = _risk(root)
        for entry in entries:
            if entry.name.startswith(".") or not _is_dir(entry):
                continue
            package = Path(entry.path)
            try:
                os.stat(package / MANIFEST_NAME)
            except FileNotFoundError:
                found.notes.append(f"{package} has no {MANIFEST_NAME}; skipped")
                continue
            except OSError:
                pass  # unreadable: reported below as this package's error
            found.candidates.append(_local_candidate(manifests.read(package, read_package), order, risky_root))
            order += 1


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _local_candidate(pkg: StrategyPackage, order: int, risky_root: str | None) -> Candidate:
    path = pkg.root
    sid = pkg.strategy_id if pkg.doc is not None else _salvage_id(pkg.manifest)
    candidate = _from_package(pkg, sid if is_strategy_id(sid) else f"?{path.name}", LOCAL, str(path), order)
    candidate.path = path
    problem = pkg.problem()
    if problem:
        candidate.error = f"{problem}; {VALIDATE_HINT.format(path=path)}"
    for reason in filter(None, (risky_root, _risk(path), _risk(path / MANIFEST_NAME), _module_risk(pkg))):
        candidate.warnings.append(f"{reason}: anyone who can write there can run code as you")
    return candidate


def _salvage_id(manifest: Path) -> str | None:
    """The strategy_id line of a manifest that could not be read as YAML, so using that id names the error."""
    import re

    from compact_memory.io import read_regular_file
    from compact_memory.names import id_pattern

    try:
        head = read_regular_file(manifest, 10_000_000)[:65536].decode("utf-8", "replace")
    except OSError:
        return None
    body = id_pattern().pattern.removeprefix("^").removesuffix("$")
    match = re.search(rf"^strategy_id:[ \t]*[\"']?({body})[\"']?[ \t]*(?:#.*)?$", head, re.MULTILINE)
    return match.group(1) if match else None


def _from_package(pkg: StrategyPackage, sid: str, source: str, origin: str, order: int) -> Candidate:
    return Candidate(id=sid, source=source, origin=origin, order=order, display_name=pkg.display_name,
                     version=pkg.version, module=pkg.module, attr=pkg.class_name,
                     overrides_builtin=pkg.overrides_builtin, package=pkg,
                     warnings=[f"{f.location}: {f.code} {f.message}" for f in pkg.warnings])


def _risk(path: Path) -> str | None:
    """Why ``path`` lets others run code as us: writable by group/others, or owned by someone else."""
    if os.name == "nt":
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    if st.st_mode & (stat.S_IWOTH | stat.S_IWGRP) and not (stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX):
        return f"{path} is writable by other users"
    if st.st_uid not in (os.getuid(), 0):
        return f"{path} belongs to another user (uid {st.st_uid})"
    return None


def _module_risk(pkg: StrategyPackage) -> str | None:
    if pkg.module is None:
        return None
    base = pkg.root.joinpath(*pkg.module.split("."))
    for file in (base / "__init__.py", base.parent / (base.name + ".py")):
        risk = _risk(file)
        if risk:
            return risk
    return None


def _entry_points(found: Discovery, manifests: ManifestCache) -> None:
    from compact_memory.plugins.entry_points import entry_points, module_file

    rows = sorted(entry_points(ENTRY_POINT_GROUP), key=lambda ep: (ep.dist_name.lower(), ep.value))
    for order, ep in enumerate(rows):
        module, _, attr = ep.value.partition(":")
        module = module.strip()
        candidate = Candidate(id=ep.name, source=ENTRY_POINT, origin=f"{ep.dist_name}=={ep.dist_version}",
                              order=order, version=ep.dist_version, module=module, attr=attr.strip() or None)
        if not is_strategy_id(ep.name):
            candidate.error = f"entry point name {ep.name!r} is not a valid strategy id ({ID_RULE})"
        elif not candidate.attr:
            candidate.error = f"entry point {ep.name} = {ep.value!r} names no class (use 'module:Class')"
        if "." in module:
            _read_shipped_manifest(candidate, module_file(module, ep.location), manifests)
        found.candidates.append(candidate)


def shipped_manifest_dir(module: str, file: str | None) -> Path | None:
    """The directory holding the manifest that ships with ``module`` (whose file is ``file``), if any:
    the package that holds the module, then its parents up to the top-level package."""
    if file is None:
        return None
    parts = module.split(".")
    levels = len(parts) if Path(file).name == "__init__.py" else len(parts) - 1
    directory = Path(file).parent
    for _ in range(levels):
        if (directory / MANIFEST_NAME).is_file():
            return directory
        directory = directory.parent
    return None


def _read_shipped_manifest(candidate: Candidate, file: str | None, manifests: ManifestCache) -> None:
    """A distribution may ship its strategy_package.yaml in the package that holds the strategy module.

    Found from the module's file without importing anything, so it works for
    regular and editable installs alike.
    """
    assert candidate.module is not None
    directory = shipped_manifest_dir(candidate.module, file)
    if directory is None:
        return
    pkg = manifests.read(directory, read_package)
    if pkg.errors:
        candidate.warnings.append(f"{pkg.manifest}: ignored: {pkg.problem()}")
        return
    candidate.package = pkg
    candidate.display_name = pkg.display_name
    candidate.overrides_builtin = pkg.overrides_builtin
    candidate.warnings.extend(f"{f.location}: {f.code} {f.message}" for f in pkg.warnings)
    if pkg.strategy_id != candidate.id:
        candidate.warnings.append(f"{pkg.manifest}: strategy_id {pkg.strategy_id!r} differs from the entry point "
                                  f"name {candidate.id!r}; run compact-memory dev validate-strategy-package")
