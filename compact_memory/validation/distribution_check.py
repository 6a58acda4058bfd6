"""What ``pip install`` would make of the package: pyproject.toml (or setup.cfg) against the manifest.

A package that also builds a distribution keeps the same facts in several
files. pip reads only pyproject.toml (or setup.cfg): its entry point names
the strategy, its version is the one installed and its dependencies are the
ones installed. Each disagreement is a finding at the line that says it:

- CM901 the file cannot be read as TOML/INI; CM902 pip has no metadata to build from;
- CM903 no ``compact_memory.strategies`` entry point; CM904 its name is not
  the strategy_id; CM905 its target is not strategy_module:strategy_class_name
  as the installed package imports it;
- CM906 versions disagree (CM907, a note, when the version is dynamic);
- CM908 a dependency of the manifest or requirements.txt that pip will not
  install; CM909 one that pip installs but the manifest does not list;
- CM910 a compact-memory requirement that excludes the running version.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from compact_memory import __version__
from compact_memory.package import StrategyPackage
from compact_memory.plugins import ENTRY_POINT_GROUP
from compact_memory.validation import requirements

MAX_BYTES = 1_000_000
SELF = "compact-memory"


class Distribution:
    """The metadata pip would build from: where each fact is written, so findings can point at it."""

    def __init__(self, file: Path, text: str) -> None:
        self.file = file
        self.text = text
        self.name: str | None = None
        self.version: str | None = None
        self.dynamic: list[str] = []
        self.dependencies: list[str] = []
        self.entry_points: dict[str, str] = {}
        self.package_dir: dict[str, str] = {}
        self.packages: list[str] = []

    def line_of(self, table: str, key: str | None = None) -> tuple[int, int] | None:
        """Where ``key`` of ``[table]`` (or the table's header) is written."""
        return _line_of(self.text, table, key)


def check(pkg: StrategyPackage) -> None:
    dist = _read(pkg)
    if dist is None:
        return
    found = pkg.on(dist.file.name)
    if dist.name is None:
        found.add("CM902", f"{dist.file.name} has no [project] table with a name, so pip cannot build the package",
                  at=(1, 1), hint="add [project] with name, version, dependencies and the entry point")
        return
    _check_entry_point(pkg, dist)
    _check_version(pkg, dist)
    _check_dependencies(pkg, dist)


def _read(pkg: StrategyPackage) -> Distribution | None:
    """The metadata pip would use: pyproject.toml's [project], else setup.cfg's; None when nothing is built."""
    pyproject, setup_cfg = pkg.root / "pyproject.toml", pkg.root / "setup.cfg"
    dist = None
    if pyproject.is_file():
        text = _read_text(pkg, pyproject)
        dist = None if text is None else _from_pyproject(pkg, pyproject, text)
        if dist is None or dist.name is not None:
            return dist
    if setup_cfg.is_file():
        text = _read_text(pkg, setup_cfg)
        from_cfg = None if text is None else _from_setup_cfg(pkg, setup_cfg, text)
        if from_cfg is not None and from_cfg.name is not None:
            return from_cfg
    if dist is not None and _line_of(dist.text, "build-system", None) is not None:
        return dist  # pip would try to build it, and find no metadata
    return None  # configuration for tools only (ruff, pytest, flake8): nothing is built from it


def _read_text(pkg: StrategyPackage, path: Path) -> str | None:
    from compact_memory.io import read_regular_file

    try:
        return read_regular_file(path, MAX_BYTES).decode("utf-8")
    except OSError as exc:
        pkg.on(path.name).add("CM901", f"cannot read {path.name}: {exc.strerror or exc}")
    except UnicodeDecodeError as exc:
        pkg.on(path.name).add("CM901", f"{path.name} is not UTF-8 text (byte {exc.start})")
    return None


def _from_pyproject(pkg: StrategyPackage, path: Path, text: str) -> Distribution | None:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        at = (int(match[1]), int(match[2])) if match else None
        pkg.on(path.name).add("CM901", f"not valid TOML: {str(exc).split(' (at line')[0]}", at=at,
                              hint="fix the TOML at that line (quotes, brackets, a repeated key)")
        return None
    dist = Distribution(path, text)
    project = data.get("project")
    if not isinstance(project, dict):
        return dist
    dist.name = _text(project.get("name"))
    dist.version = _text(project.get("version"))
    dist.dynamic = [d for d in project.get("dynamic", []) if isinstance(d, str)]
    dist.dependencies = [d for d in project.get("dependencies", []) if isinstance(d, str)]
    points = _table(data, "project", "entry-points", ENTRY_POINT_GROUP)
    dist.entry_points = {str(k): str(v) for k, v in points.items()}
    setuptools = _table(data, "tool", "setuptools")
    if isinstance(setuptools.get("package-dir"), dict):
        dist.package_dir = {str(k): str(v) for k, v in setuptools["package-dir"].items()}
    for packages in (setuptools.get("packages"), _table(data, "tool", "hatch", "build", "targets", "wheel").get(
            "packages")):
        if isinstance(packages, list):
            dist.packages += [str(p) for p in packages]
    return dist


def _table(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    """``data[k1][k2]...`` when every level is a table, else empty."""
    for key in keys:
        value = data.get(key)
        data = value if isinstance(value, dict) else {}
    return data


def _from_setup_cfg(pkg: StrategyPackage, path: Path, text: str) -> Distribution | None:
    import configparser  # setup.cfg is rare: not imported for every run

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        line = getattr(exc, "lineno", None)
        pkg.on(path.name).add("CM901", f"not a valid setup.cfg: {str(exc).splitlines()[0]}",
                              at=(line, 1) if line else None)
        return None
    dist = Distribution(path, text)
    dist.name = parser.get("metadata", "name", fallback=None)
    dist.version = parser.get("metadata", "version", fallback=None)
    if dist.version and dist.version.startswith(("attr:", "file:")):
        dist.dynamic, dist.version = ["version"], None
    dist.dependencies = [line.strip() for line in parser.get("options", "install_requires", fallback="").splitlines()
                         if line.strip()]
    for line in parser.get("options.entry_points", ENTRY_POINT_GROUP, fallback="").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            dist.entry_points[key.strip()] = value.strip()
    return dist


def _check_entry_point(pkg: StrategyPackage, dist: Distribution) -> None:
    found = pkg.on(dist.file.name)
    sid, module, cls = pkg.strategy_id, pkg.module, pkg.class_name
    table = f"project.entry-points.\"{ENTRY_POINT_GROUP}\"" if dist.file.name == "pyproject.toml" else \
        "options.entry_points"
    if not dist.entry_points:
        hint = (f'add [project.entry-points."{ENTRY_POINT_GROUP}"] with {sid} = "PACKAGE.{module}:{cls}"'
                if dist.file.name == "pyproject.toml" else f"add {ENTRY_POINT_GROUP} = {sid} = PACKAGE.{module}:{cls}")
        other = pkg.root / "setup.cfg"
        if dist.file.name == "pyproject.toml" and other.is_file() and ENTRY_POINT_GROUP in (
                _read_text(pkg, other) or ""):
            hint = "pip reads entry points from pyproject.toml's [project] once it has one: move it from setup.cfg"
        found.add("CM903", f"no {ENTRY_POINT_GROUP} entry point: after pip install, compact-memory will not find "
                  "the strategy", at=dist.line_of("project") or (1, 1), hint=hint)
        return
    expected = _expected_target(pkg, dist)
    for name, value in dist.entry_points.items():
        at = dist.line_of(table, name)
        if sid is not None and name != sid:
            found.add("CM904", f"the entry point is named {name!r} but strategy_id is {sid!r}", at=at,
                      hint=f"name it {sid} = \"{value}\": the entry-point name is the strategy id")
        target = re.sub(r"\s+", "", value.split("[")[0])
        if expected is not None and target != expected:
            found.add("CM905", f"the entry point loads {target!r} but the manifest's class is {expected!r}", at=at,
                      hint=f'write {name} = "{expected}"')
        elif expected is None and cls is not None and not target.endswith(f".{module}:{cls}"):
            found.add("CM905", f"the entry point loads {target!r}, which is not {module}:{cls} of the manifest", at=at,
                      hint=f'point it at "PACKAGE.{module}:{cls}"')


def _expected_target(pkg: StrategyPackage, dist: Distribution) -> str | None:
    """``package.module:Class`` as the installed distribution imports the manifest's class, when it can be told."""
    if pkg.module is None or pkg.class_name is None:
        return None
    here = pkg.root.resolve()
    root = here if dist.file.parent == pkg.root else dist.file.parent.resolve()

    def is_here(relative: str) -> bool:  # "." needs no look at the file system
        return root == here if os.path.normpath(relative) == "." else (root / relative).resolve() == here

    for name, directory in dist.package_dir.items():
        if name and is_here(directory):
            return f"{name}.{pkg.module}:{pkg.class_name}"
    for entry in dist.packages:
        if is_here(entry):
            return f"{Path(entry).name}.{pkg.module}:{pkg.class_name}"
    if here != root and here.is_relative_to(root):
        parts = here.relative_to(root).parts
        parts = parts[1:] if parts[0] == "src" else parts
        base = dist.package_dir.get("", "")
        if base and Path(base).parts == here.relative_to(root).parts[: len(Path(base).parts)]:
            parts = here.relative_to(root / base).parts
        return ".".join([*parts, pkg.module]) + f":{pkg.class_name}"
    return None


def _check_version(pkg: StrategyPackage, dist: Distribution) -> None:
    found = pkg.on(dist.file.name)
    declared = pkg.text("version")
    table = "project" if dist.file.name == "pyproject.toml" else "metadata"
    if dist.version is None:
        if "version" in dist.dynamic:
            found.add("CM907", "the version is dynamic (set at build time), so it is not compared with the "
                      f"manifest's {declared!r}", at=dist.line_of(table, "dynamic") or dist.line_of(table, "version"),
                      hint="make sure the built version equals the manifest's version")
        return
    if declared is not None and dist.version != declared:
        found.add("CM906", f"{dist.file.name} says version {dist.version!r} but strategy_package.yaml says "
                  f"{declared!r}", at=dist.line_of(table, "version"),
                  hint="give both the same version (pip installs the first, listings show the second)")


def _check_dependencies(pkg: StrategyPackage, dist: Distribution) -> None:
    installed: dict[str, requirements.Requirement] = {}
    table = "project" if dist.file.name == "pyproject.toml" else "options"
    key = "dependencies" if table == "project" else "install_requires"
    for text in dist.dependencies:
        req = requirements.parse(text)
        if isinstance(req, str):
            pkg.on(dist.file.name).add("CM206", f"{key} entry {text!r} is not a valid requirement: {req}",
                                       at=dist.line_of(table, key))
            continue
        installed[req.name] = req
        if req.name == SELF and not req.specifier.contains(__version__, prereleases=True):
            pkg.on(dist.file.name).add(
                "CM910", f"{dist.file.name} requires {text!r}, which excludes this compact-memory {__version__}",
                at=dist.line_of(table, key), hint="widen the requirement, or install a compact-memory it allows")
    wanted = _declared_elsewhere(pkg)
    for name, (text, file, at) in wanted.items():
        if name not in installed:
            pkg.on(file).add("CM908", f"{text!r} is needed but {dist.file.name} does not list it, so pip install "
                             "will not install it", at=at, hint=f'add "{text}" to {key} in {dist.file.name}')
    for name, req in installed.items():
        if name != SELF and name not in wanted:
            pkg.on(dist.file.name).add("CM909", f"{req.text!r} is installed by pip but not listed in the "
                                       "manifest's dependencies", at=dist.line_of(table, key),
                                       hint=f'add "{req.text}" to dependencies in strategy_package.yaml')


def _declared_elsewhere(pkg: StrategyPackage) -> dict[str, tuple[str, str, tuple[int, int] | None]]:
    """Requirements from the manifest and requirements.txt: name -> (text, file, position)."""
    found: dict[str, tuple[str, str, tuple[int, int] | None]] = {}
    deps = pkg.data.get("dependencies")
    for index, text in enumerate(deps if isinstance(deps, list) else []):
        req = requirements.parse(text) if isinstance(text, str) else None
        if isinstance(req, requirements.Requirement) and req.name != SELF:
            found.setdefault(req.name, (text, "strategy_package.yaml", pkg.at("dependencies", index)))
    path = pkg.root / "requirements.txt"
    if path.is_file():
        from compact_memory.io import read_regular_file

        try:
            text = read_regular_file(path, MAX_BYTES).decode("utf-8", errors="replace")
        except OSError:
            text = ""
        for line, entry in requirements.read_requirements_file(text):
            req = requirements.parse(entry)
            if isinstance(req, requirements.Requirement) and req.name != SELF:
                found.setdefault(req.name, (entry, "requirements.txt", (line, 1)))
    return found


def _line_of(text: str, table: str, key: str | None) -> tuple[int, int] | None:
    """Line and column of ``key = ...`` in ``[table]`` (or of the header when ``key`` is None)."""
    wanted = "[" + table.replace(" ", "") + "]"
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        bare = line.split("#", 1)[0].strip()
        if bare.startswith("["):
            inside = bare.replace(" ", "") == wanted
            if inside and key is None:
                return (number, 1)
            continue
        if inside and key is not None and bare.split("=", 1)[0].rstrip() in (key, f'"{key}"', f"'{key}'"):
            return (number, len(line) - len(line.lstrip()) + 1)
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
