"""Entry points of installed distributions, read straight from their metadata directories.

``importlib.metadata`` imports the ``email`` package to parse every
distribution's METADATA, which costs about as much as the rest of
``list-strategies``. Listing needs only ``entry_points.txt`` and the Name and
Version headers, so this module reads those with the same rules as
``importlib.metadata.entry_points()``: every ``*.dist-info`` and
``*.egg-info`` directory on ``sys.path``, in path order, the first
distribution of each normalized name winning. Where those rules may not
hold (a zip file on ``sys.path``, a meta path finder of its own that
provides distributions) it asks ``importlib.metadata`` instead.
"""

from __future__ import annotations

import os
import re
import sys


class EntryPoint:
    __slots__ = ("dist_name", "dist_version", "location", "name", "value")

    def __init__(self, name: str, value: str, dist_name: str, dist_version: str, location: str | None) -> None:
        self.name = name
        self.value = value
        self.dist_name = dist_name
        self.dist_version = dist_version
        self.location = location  # the directory that holds the distribution's files, if known


def entry_points(group: str, path: list[str] | None = None) -> list[EntryPoint]:
    """The entry points of ``group``, in no particular order."""
    path = sys.path if path is None else path
    if not _plain(path):
        return _from_importlib(group)
    found: list[EntryPoint] = []
    seen: set[str] = set()
    for entry in path:
        directory = entry or "."
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in names:
            stem, ext = os.path.splitext(name)
            if ext.lower() not in (".dist-info", ".egg-info"):
                continue
            key = _normalize(stem.partition("-")[0])
            if key in seen:
                continue
            seen.add(key)  # a single-file egg-info claims its name too, as in importlib.metadata
            meta_dir = os.path.join(directory, name)
            if os.path.isdir(meta_dir):  # a single-file egg-info declares no entry points
                found.extend(_read(meta_dir, ext.lower(), group, directory))
    return found


def _plain(path: list[str]) -> bool:
    """Whether every distribution comes from a directory on ``path`` that this module can read."""
    from importlib.machinery import PathFinder

    for finder in sys.meta_path:
        if hasattr(finder, "find_distributions") and finder is not PathFinder:
            return False
    return all(not os.path.isfile(entry or ".") for entry in path)


_MAX_METADATA_BYTES = 10_000_000


def _read_text(path: str) -> str | None:
    """A metadata file's text; None when it is missing, not a regular file (a FIFO), huge or not UTF-8."""
    from compact_memory.io import read_regular_file

    try:
        return read_regular_file(path, _MAX_METADATA_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None


def _read(meta_dir: str, ext: str, group: str, location: str) -> list[EntryPoint]:
    text = _read_text(os.path.join(meta_dir, "entry_points.txt"))
    if text is None:
        return []
    points = section(text, group)
    if not points:
        return []
    name, version = name_and_version(os.path.join(meta_dir, "METADATA" if ext == ".dist-info" else "PKG-INFO"))
    return [EntryPoint(key, value, name, version, location) for key, value in points]


def section(text: str, group: str) -> list[tuple[str, str]]:
    """``name = value`` lines of section ``[group]``, as importlib.metadata reads them."""
    points: list[tuple[str, str]] = []
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
        elif current == group:
            key, _, value = line.partition("=")
            points.append((key.strip(), value.strip()))
    return points


def name_and_version(metadata: str) -> tuple[str, str]:
    """The Name and Version headers (the header block ends at the first empty line)."""
    headers: dict[str, str] = {}
    for line in (_read_text(metadata) or "").splitlines():
        if not line.strip():
            break
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version") and key not in headers:
            headers[key] = value.strip()
    return headers.get("Name", "?"), headers.get("Version", "?")


def module_file(module: str, location: str | None, path: list[str] | None = None) -> str | None:
    """The file that ``import module`` would load, found without importing anything.

    Looked for next to the distribution's metadata first (a regular install),
    then on ``sys.path`` (editable installs that add a directory with a .pth
    file, as hatchling and setuptools' compat mode do), then in the mapping
    of setuptools' editable finders (``__editable___*_finder.py``).
    """
    parts = module.split(".")
    roots = ([location] if location else []) + [entry or "." for entry in (sys.path if path is None else path)]
    for root in dict.fromkeys(roots):
        found = _in_directory(root, parts)
        if found:
            return found
    for root in dict.fromkeys(r for r in roots if os.path.isdir(r)):
        mapped = _editable_mapping(root).get(parts[0])
        if mapped:
            found = _in_directory(os.path.dirname(mapped.rstrip("/\\")), [os.path.basename(mapped.rstrip("/\\")),
                                                                        *parts[1:]])
            if found:
                return found
    return None


def _in_directory(root: str, parts: list[str]) -> str | None:
    """``root/a/b/c.py`` or ``root/a/b/c/__init__.py`` for ``a.b.c`` (a package directory wins)."""
    base = os.path.join(root, *parts)
    for candidate in (os.path.join(base, "__init__.py"), base + ".py"):
        if os.path.isfile(candidate):
            return candidate
    return None


_MAPPING_FILES: dict[str, dict[str, str]] = {}


def _editable_mapping(directory: str) -> dict[str, str]:
    """Top-level name -> directory, from setuptools' ``__editable___*_finder.py`` files in ``directory``."""
    if directory not in _MAPPING_FILES:
        mapping: dict[str, str] = {}
        try:
            names = [n for n in os.listdir(directory) if n.startswith("__editable__") and n.endswith("_finder.py")]
        except OSError:
            names = []
        for name in sorted(names):
            mapping.update(_mapping_literal(_read_text(os.path.join(directory, name)) or ""))
        _MAPPING_FILES[directory] = mapping
    return _MAPPING_FILES[directory]


def _mapping_literal(source: str) -> dict[str, str]:
    """The ``MAPPING = {...}`` literal of a finder module, read with ast (the module is never run)."""
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    for node in tree.body:
        target: ast.expr
        if isinstance(node, ast.AnnAssign):
            target, expr = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, expr = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == "MAPPING" and expr is not None:
            try:
                value = ast.literal_eval(expr)
            except (ValueError, TypeError, SyntaxError, RecursionError):
                return {}
            if isinstance(value, dict):
                return {str(k): str(v) for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}
    return {}


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _from_importlib(group: str) -> list[EntryPoint]:
    from importlib.metadata import entry_points as stdlib_entry_points

    found = []
    for ep in stdlib_entry_points(group=group):
        dist = getattr(ep, "dist", None)
        try:
            location = str(dist.locate_file("")) if dist is not None else None
        except Exception:  # a distribution without files on disk
            location = None
        name = str(dist.metadata["Name"]) if dist is not None else "?"
        version = str(dist.version) if dist is not None else "?"
        found.append(EntryPoint(ep.name, ep.value, name, version, location))
    return found
