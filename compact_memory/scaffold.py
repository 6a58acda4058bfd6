"""Names for a new strategy package: derive them from one name and check them.

``compact_memory_my_strategy`` gives the strategy id ``my_strategy``, the
class ``MyStrategy`` and the display name ``My Strategy``. The template's
pre-generation hook (``templates/strategy_package/hooks/pre_gen_project.py``)
applies the same rules, so the ``cookiecutter`` CLI rejects what this module
rejects; a test keeps the two in step.
"""

from __future__ import annotations

import keyword
import re
import sys
from dataclasses import asdict, dataclass

from compact_memory.plugins import ID_PATTERN

PACKAGE_PREFIX = "compact_memory_"
DEFAULT_AUTHOR = "Your Name <you@example.com>"
DEFAULT_VERSION = "0.1.0"

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*([ab]|rc|\.post|\.dev)?[0-9]*$")
_TEMPLATE_SYNTAX = ("{{", "{%", "{#")  # cookiecutter would render these
MAX_PACKAGE_NAME = 100
MAX_TEXT = {"display_name": 100, "author": 200, "description": 500}
# Names strategy.py imports; a class with one of these names would shadow it.
RESERVED_CLASS_NAMES = frozenset(
    {"Any", "CompressedMemory", "CompressionStrategy", "CompressionTrace", "Param", "TextOrChunks"}
)
RESERVED_PACKAGE_NAMES = frozenset({"compact_memory", "tests", "test", "experiments"})


@dataclass(frozen=True)
class PackageNames:
    """Every value the template needs, with the keys of ``cookiecutter.json``."""

    package_name: str
    strategy_id: str
    class_name: str
    display_name: str
    author: str
    description: str
    version: str = DEFAULT_VERSION

    @property
    def distribution_name(self) -> str:
        return self.package_name.replace("_", "-")

    def context(self) -> dict[str, str]:
        return asdict(self)


def words(strategy_id: str) -> list[str]:
    return [part for part in strategy_id.split("_") if part]


def derive_id(package_name: str) -> str:
    base = package_name[len(PACKAGE_PREFIX) :] if package_name.startswith(PACKAGE_PREFIX) else package_name
    return base.lower()


def derive_class_name(strategy_id: str) -> str:
    stem = "".join(part.capitalize() for part in words(strategy_id))
    return stem if strategy_id.endswith("strategy") else f"{stem}Strategy"


def derive_display_name(strategy_id: str) -> str:
    return " ".join(part.capitalize() for part in words(strategy_id))


def derive_names(
    name: str,
    *,
    strategy_id: str | None = None,
    class_name: str | None = None,
    display_name: str | None = None,
    author: str | None = None,
    description: str | None = None,
    version: str | None = None,
) -> PackageNames:
    """Fill what was not given from ``name`` (dashes become underscores)."""
    package_name = name.strip().replace("-", "_")
    sid = strategy_id if strategy_id is not None else derive_id(package_name)
    return PackageNames(
        package_name=package_name,
        strategy_id=sid,
        class_name=class_name if class_name is not None else derive_class_name(sid),
        display_name=display_name if display_name is not None else derive_display_name(sid),
        author=author if author is not None else DEFAULT_AUTHOR,
        description=description
        if description is not None
        else f"{derive_display_name(sid)}: keeps the lead sentence of each paragraph within the token budget.",
        version=version if version is not None else DEFAULT_VERSION,
    )


def problems(names: PackageNames) -> list[str]:
    """Every reason these names cannot make a package; empty when they can."""
    found: list[str] = []
    pkg = names.package_name
    if not _IDENTIFIER.match(pkg) or keyword.iskeyword(pkg):
        found.append(
            f"package name {pkg!r} is not a valid Python package name "
            "(ASCII letters, digits and _, not starting with a digit, not a keyword)"
        )
    elif len(pkg) > MAX_PACKAGE_NAME:
        found.append(f"package name {pkg!r} is longer than {MAX_PACKAGE_NAME} characters")
    elif pkg in RESERVED_PACKAGE_NAMES or pkg in sys.stdlib_module_names:
        found.append(f"package name {pkg!r} would shadow the module {pkg!r}; pick another name")
    if not ID_PATTERN.match(names.strategy_id):
        found.append(
            f"strategy id {names.strategy_id!r} is invalid: use lowercase letters, digits and _, "
            "starting with a letter, at most 64 characters (set it with --strategy-id)"
        )
    cls = names.class_name
    if not _IDENTIFIER.match(cls) or keyword.iskeyword(cls):
        found.append(f"class name {cls!r} is not a Python identifier or is a keyword (set it with --class-name)")
    elif cls in RESERVED_CLASS_NAMES:
        found.append(f"class name {cls!r} would shadow compact-memory's own {cls}; pick another name")
    for key, limit in MAX_TEXT.items():
        value: str = getattr(names, key)
        label = key.replace("_", " ")
        if not value.strip():
            found.append(f"{label} must not be empty")
        elif len(value) > limit:
            found.append(f"{label} is longer than {limit} characters")
        elif any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            found.append(f"{label} must be one line without control characters")
        elif any(mark in value for mark in _TEMPLATE_SYNTAX):
            found.append(f"{label} must not contain template syntax such as '{{{{' or '{{%'")
    if not _VERSION.match(names.version):
        found.append(f"version {names.version!r} is not a release version such as 0.1.0")
    return found
