"""Is the environment ready for the package: its dependencies, the compact-memory version range."""

from __future__ import annotations

import shlex
from functools import cache

from compact_memory import __version__
from compact_memory.package import StrategyPackage
from compact_memory.validation import requirements


@cache
def installed_version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def check(pkg: StrategyPackage) -> None:
    found = pkg.on()
    deps = pkg.data.get("dependencies")
    for index, text in enumerate(deps if isinstance(deps, list) else []):
        if not isinstance(text, str):
            continue
        where, path = pkg.at("dependencies", index), f"$.dependencies[{index}]"
        req = requirements.parse(text)
        if isinstance(req, str):
            found.add("CM206", f"dependency {text!r} is not a valid requirement: {req}", at=where, json_path=path,
                      hint='write a PEP 508 requirement, e.g. "numpy>=1.24"')
            continue
        if not req.marker_applies:
            continue
        version = installed_version(req.name)
        if version is None:
            pkg.missing_dependencies.append(text)
            found.add("CM601", f"dependency {text!r} is not installed", at=where, json_path=path,
                      hint=f"pip install {shlex.quote(text)}")
        elif not req.specifier.contains(version, prereleases=True):
            pkg.missing_dependencies.append(text)
            found.add("CM602", f"dependency {text!r} is installed as version {version}", at=where, json_path=path,
                      hint=f"pip install --upgrade {shlex.quote(text)}")
    declared = pkg.text("compact_memory_version")
    if declared:
        where = pkg.at("compact_memory_version")
        spec = requirements.specifier_set(declared)
        if isinstance(spec, str):
            found.add("CM206", f"compact_memory_version {declared!r} is not a version specifier: {spec}", at=where,
                      json_path="$.compact_memory_version", hint='e.g. ">=0.1,<0.2"')
        elif not spec.contains(__version__, prereleases=True):
            found.add("CM603", f"this is compact-memory {__version__}, outside compact_memory_version {declared!r}",
                      at=where, json_path="$.compact_memory_version",
                      hint=f"pip install {shlex.quote('compact-memory' + declared)}, or widen the range")
