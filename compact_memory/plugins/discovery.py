"""Find every strategy candidate without running plugin code.

Errors are values here: a broken plugin becomes a candidate with ``error``
set, so one bad package never breaks the listing or another strategy.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from compact_memory.manifest import MANIFEST_NAME, read_manifest
from compact_memory.plugins import ID_PATTERN
from compact_memory.plugins.candidates import BUILTIN, ENTRY_POINT, LOCAL, Candidate
from compact_memory.plugins.settings import ENTRY_POINT_GROUP, PluginSettings

TYPE_CHECKING = False  # typing costs a few ms at startup
if TYPE_CHECKING:
    from typing import Any

_ID_LINE = re.compile(r"^strategy_id:[ \t]*[\"']?([a-z][a-z0-9_]{0,63})[\"']?[ \t]*(?:#.*)?$", re.MULTILINE)
VALIDATE_HINT = "run: compact-memory dev validate-strategy-package {path}"


class Discovery:
    def __init__(self) -> None:
        self.candidates: list[Candidate] = []
        self.notes: list[str] = []


def discover(settings: PluginSettings | None = None) -> Discovery:
    settings = settings or PluginSettings.from_env()
    found = Discovery()
    found.candidates.extend(_builtins())
    found.candidates.extend(_registered())
    _local_dirs(settings, found)
    _entry_points(found)
    return found


def _builtins() -> list[Candidate]:
    from compact_memory import __version__
    from compact_memory.strategies import BUILTINS

    return [
        Candidate(
            id=spec.id,
            source=BUILTIN,
            origin="compact_memory",
            order=i,
            display_name=spec.display_name,
            version=__version__,
            module=spec.module,
            attr=spec.class_name,
        )
        for i, spec in enumerate(BUILTINS)
    ]


def _registered() -> list[Candidate]:
    from compact_memory.plugins.registry import registered_classes

    out = []
    for i, (cls, overrides) in enumerate(registered_classes()):
        out.append(
            Candidate(
                id=cls.id,
                source="registered",
                origin=f"{cls.__module__}.{cls.__qualname__}",
                order=i,
                display_name=getattr(cls, "display_name", None) or cls.id,
                version=getattr(cls, "version", None),
                overrides_builtin=overrides,
                obj=cls,
            )
        )
    return out


def _writable_by_others(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IWOTH | stat.S_IWGRP)) and os.name != "nt"


def _local_dirs(settings: PluginSettings, found: Discovery) -> None:
    roots = list(settings.plugin_paths)
    if settings.user_dir is not None:
        roots.append(settings.user_dir)
    order = 0
    seen: set[Path] = set()
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
        root_key = root.resolve()
        if root_key in seen:
            found.notes.append(f"plugin directory {root} is listed twice; later entry skipped")
            continue
        seen.add(root_key)
        risky_root = _writable_by_others(root)
        for entry in entries:
            if entry.name.startswith(".") or not entry.is_dir():
                continue
            package = Path(entry.path)
            manifest_path = package / MANIFEST_NAME
            if not manifest_path.is_file():
                found.notes.append(f"{package} has no {MANIFEST_NAME}; skipped")
                continue
            found.candidates.append(_local_candidate(package, manifest_path, order, risky_root))
            order += 1


def _local_candidate(package: Path, manifest_path: Path, order: int, risky_root: bool) -> Candidate:
    manifest = read_manifest(manifest_path)
    data = manifest.data
    sid = data.get("strategy_id") if data else _salvage_id(manifest_path)
    candidate = Candidate(
        id=sid if isinstance(sid, str) and ID_PATTERN.match(sid) else f"?{package.name}",
        source=LOCAL,
        origin=str(package),
        order=order,
        display_name=_str(data.get("display_name")),
        version=_str(data.get("version")),
        module=_str(data.get("strategy_module")),
        attr=_str(data.get("strategy_class_name")),
        path=package,
        overrides_builtin=data.get("overrides_builtin") is True,
        warnings=list(manifest.warnings),
    )
    if manifest.errors:
        first = manifest.errors[0].replace(f"{manifest_path}: ", "")
        more = f" (+{len(manifest.errors) - 1} more)" if len(manifest.errors) > 1 else ""
        candidate.error = f"{MANIFEST_NAME}: {first}{more}; {VALIDATE_HINT.format(path=package)}"
    if risky_root or _writable_by_others(package):
        candidate.warnings.append(
            f"{package} is writable by other users: anyone who can write there can run code as you"
        )
    return candidate


def _salvage_id(manifest_path: Path) -> str | None:
    """The strategy_id line of a manifest that is not valid YAML, so using it names the error."""
    try:
        with manifest_path.open("rb") as f:
            head = f.read(65536).decode("utf-8", "replace")
    except OSError:
        return None
    match = _ID_LINE.search(head)
    return match.group(1) if match else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _entry_points(found: Discovery) -> None:
    from compact_memory.plugins.entry_points import entry_points

    rows = sorted(entry_points(ENTRY_POINT_GROUP), key=lambda ep: (ep.dist_name.lower(), ep.value))
    for order, ep in enumerate(rows):
        module, _, attr = ep.value.partition(":")
        candidate = Candidate(
            id=ep.name,
            source=ENTRY_POINT,
            origin=f"{ep.dist_name}=={ep.dist_version}",
            order=order,
            display_name=None,
            version=ep.dist_version,
            module=module.strip(),
            attr=attr.strip() or None,
        )
        if not ID_PATTERN.match(ep.name):
            candidate.error = (
                f"entry point name {ep.name!r} is not a valid strategy id "
                "(lowercase letters, digits and _, starting with a letter)"
            )
        elif not candidate.attr:
            candidate.error = f"entry point {ep.name} = {ep.value!r} names no class (use 'module:Class')"
        _read_shipped_manifest(candidate, ep.location)
        found.candidates.append(candidate)


def _read_shipped_manifest(candidate: Candidate, location: str | None) -> None:
    """A package may ship its strategy_package.yaml next to the module."""
    if location is None or not candidate.module or "." not in candidate.module:
        return
    path = Path(location, *candidate.module.split(".")[:-1], MANIFEST_NAME)
    if not path.is_file():
        return
    manifest = read_manifest(path)
    if manifest.errors:
        return
    candidate.display_name = _str(manifest.get("display_name"))
    candidate.overrides_builtin = manifest.get("overrides_builtin") is True
    candidate.warnings.extend(manifest.warnings)
