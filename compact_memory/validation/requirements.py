"""PEP 508 requirements and PEP 440 versions, through ``packaging`` when it is importable."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


class Requirement(NamedTuple):
    name: str  # canonical: lowercase, runs of -_. as one -
    key: str  # compares two spellings of the same requirement
    text: str
    marker_applies: bool
    specifier: Any  # a packaging SpecifierSet, or None without packaging


def _packaging() -> Any:
    try:
        import packaging.requirements as requirements
    except ImportError:  # pip vendors it; compact-memory does not require it
        try:
            import pip._vendor.packaging.requirements as requirements  # type: ignore[no-redef]
        except ImportError:
            return None
    return requirements


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse(text: str) -> Requirement | str:
    """The requirement, or a message saying why ``text`` is not one."""
    module = _packaging()
    if module is None:
        match = _NAME.match(text)
        if not match:
            return "it does not start with a package name"
        name = canonical(match.group(1))
        return Requirement(name, name + re.sub(r"\s+", "", text[match.end():]), text, True, None)
    try:
        req = module.Requirement(text)
    except module.InvalidRequirement as exc:
        return str(exc).splitlines()[0]
    name = canonical(req.name)
    extras = ",".join(sorted(req.extras))
    specs = ",".join(sorted(str(s) for s in req.specifier))
    key = f"{name}[{extras}]{specs};{req.marker or ''}{req.url or ''}"
    applies = True
    if req.marker is not None:
        try:
            applies = bool(req.marker.evaluate())
        except Exception:  # an undefined marker variable: check it anyway
            applies = True
    return Requirement(name, key, text, applies, req.specifier)


def specifier_set(text: str) -> Any:
    """A SpecifierSet, None without packaging, or a message when ``text`` is invalid."""
    module = _packaging()
    if module is None:
        return None
    specifiers = module.__name__.rsplit(".", 1)[0] + ".specifiers"
    import importlib

    spec_module = importlib.import_module(specifiers)
    try:
        return spec_module.SpecifierSet(text)
    except spec_module.InvalidSpecifier as exc:
        return str(exc).splitlines()[0]


def read_requirements_file(text: str) -> list[tuple[int, str]]:
    """(line number, requirement) for each requirement line; options and comments skipped."""
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if line and not line.startswith("-"):
            lines.append((number, line))
    return lines
