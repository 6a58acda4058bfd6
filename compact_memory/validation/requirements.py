"""PEP 508 requirements and PEP 440 version specifiers, through ``packaging``."""

from __future__ import annotations

import re
from typing import NamedTuple

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as _Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet


class Requirement(NamedTuple):
    name: str  # canonical: lowercase, runs of -_. as one -
    key: str  # compares two spellings of the same requirement
    text: str
    marker_applies: bool
    specifier: SpecifierSet


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse(text: str) -> Requirement | str:
    """The requirement, or a message saying why ``text`` is not one."""
    try:
        req = _Requirement(text)
    except InvalidRequirement as exc:
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


def specifier_set(text: str) -> SpecifierSet | str:
    """A SpecifierSet, or a message when ``text`` is invalid."""
    try:
        return SpecifierSet(text)
    except InvalidSpecifier as exc:
        return str(exc).splitlines()[0]


def read_requirements_file(text: str) -> list[tuple[int, str]]:
    """(line number, requirement) for each requirement line; options and comments skipped."""
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if line and not line.startswith("-"):
            lines.append((number, line))
    return lines
