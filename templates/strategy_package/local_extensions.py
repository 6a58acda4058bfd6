"""How a new strategy package is named: the one set of rules for every way in.

- cookiecutter loads this module as a Jinja extension (``_extensions`` in
  cookiecutter.json), whose filters derive the default answers from the
  package name;
- the pre-generation hook calls :func:`problems` on the final answers, so
  plain ``cookiecutter`` refuses what cannot make a working package;
- ``compact-memory dev create-strategy-package`` imports this very file to
  derive and check the same names before it runs cookiecutter.

It must work without compact-memory installed (plain cookiecutter may run
in another environment). The strategy-id and identifier patterns are read
from ``schemas/strategy_package.schema.json`` two directories up, where
the repository and the compact-memory wheel both keep it; the built-in
strategy ids come from compact-memory when it is importable.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from pathlib import Path

try:
    from jinja2.ext import Extension
except ImportError:  # imported by compact-memory in an environment without jinja2
    Extension = object  # type: ignore[assignment,misc]

PACKAGE_PREFIX = "compact_memory_"
DEFAULT_AUTHOR = "Your Name <you@example.com>"
DEFAULT_VERSION = "0.1.0"
MAX_PACKAGE_NAME = 100
MAX_TEXT = {"display_name": 100, "author": 200, "description": 500}
# Names strategy.py imports; a class with one of these names would shadow it.
RESERVED_CLASS_NAMES = frozenset(
    {"Any", "CompressedMemory", "CompressionStrategy", "CompressionTrace", "Param", "TextOrChunks"}
)
RESERVED_PACKAGE_NAMES = frozenset({"compact_memory", "tests", "test", "experiments"})
VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*([ab]|rc|\.post|\.dev)?[0-9]*$")
TEMPLATE_SYNTAX = ("{" + "{", "{" + "%", "{" + "#")  # cookiecutter would render these
SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "strategy_package.schema.json"
TRUE = ("true", "yes", "y", "1", "on")


def _pattern(name: str) -> re.Pattern[str]:
    """A naming pattern from the manifest schema: the repository's or the wheel's, else installed compact-memory's."""
    try:
        schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        try:  # a copy of the template directory alone: the schema of the installed compact-memory
            from compact_memory.resources import schema_path

            schema = json.loads(schema_path().read_text(encoding="utf-8"))
        except (ImportError, OSError, ValueError) as exc:
            raise RuntimeError(f"the package template needs {SCHEMA} or compact-memory installed: {exc}") from None
    return re.compile(schema["$defs"][name]["pattern"])


def builtin_ids() -> tuple[str, ...]:
    """The ids of compact-memory's built-in strategies, when compact-memory can be imported here."""
    try:
        from compact_memory.strategies import ALIASES, BUILTINS
    except ImportError:
        return ()
    return (*(spec.id for spec in BUILTINS), *ALIASES)


# --- deriving the answers the user did not give ---------------------------------


def words(strategy_id: str) -> list[str]:
    return [part for part in strategy_id.split("_") if part]


def derive_strategy_id(package_name: str) -> str:
    base = package_name[len(PACKAGE_PREFIX):] if package_name.startswith(PACKAGE_PREFIX) else package_name
    return base.lower()


def derive_class_name(strategy_id: str) -> str:
    stem = "".join(part.capitalize() for part in words(strategy_id))
    return stem if strategy_id.endswith("strategy") else f"{stem}Strategy"


def derive_display_name(strategy_id: str) -> str:
    return " ".join(part.capitalize() for part in words(strategy_id))


def derive_description(strategy_id: str) -> str:
    return f"{derive_display_name(strategy_id)}: keeps the lead sentence of each paragraph within the token budget."


def derive_distribution_name(package_name: str) -> str:
    return package_name.replace("_", "-")


def derive(package_name: str, **given: str | None) -> dict[str, str]:
    """Every answer: what was given, the rest derived as cookiecutter.json derives it."""
    answers = {"package_name": package_name}
    answers["strategy_id"] = given.get("strategy_id") or derive_strategy_id(package_name)
    sid = answers["strategy_id"]
    defaults = {"class_name": derive_class_name(sid), "display_name": derive_display_name(sid),
                "author": DEFAULT_AUTHOR, "description": derive_description(sid), "version": DEFAULT_VERSION}
    for key, default in defaults.items():
        value = given.get(key)
        answers[key] = default if value is None else value
    answers["overrides_builtin"] = "yes" if str(given.get("overrides_builtin") or "").lower() in TRUE else "no"
    return answers


class NamingExtension(Extension):  # type: ignore[misc]
    """The derivations above as Jinja filters, for cookiecutter.json; where this file is, for the hook."""

    def __init__(self, environment: object) -> None:
        super().__init__(environment)
        # cruft renders without cookiecutter's _repo_dir: the hook finds these rules through this instead.
        environment.globals["naming_rules_dir"] = lambda: str(Path(__file__).resolve().parent)  # type: ignore[attr-defined]
        environment.filters.update(  # type: ignore[attr-defined]
            strategy_id_of=derive_strategy_id,
            class_name_of=derive_class_name,
            display_name_of=derive_display_name,
            description_of=derive_description,
            distribution_name_of=derive_distribution_name,
        )


# --- checking the final answers ---------------------------------------------------


def problems(answers: dict[str, str]) -> list[str]:
    """Every reason these answers cannot make a working package; empty when they can."""
    found = _package_name_problems(answers["package_name"])
    identifier = _pattern("class_name")
    sid = answers["strategy_id"]
    if not _pattern("strategy_id").match(sid):
        found.append(f"strategy_id {sid!r} is invalid: use lowercase letters, digits and _, "
                     "starting with a letter, at most 64 characters")
    elif sid in builtin_ids() and str(answers.get("overrides_builtin", "")).lower() not in TRUE:
        found.append(f"strategy_id {sid!r} is the id of a built-in strategy, which would stay in use; pick "
                     "another id, or answer overrides_builtin=yes to replace the built-in")
    cls = answers["class_name"]
    if not identifier.match(cls) or keyword.iskeyword(cls):
        found.append(f"class_name {cls!r} is not a Python identifier or is a keyword")
    elif cls in RESERVED_CLASS_NAMES:
        found.append(f"class_name {cls!r} would shadow compact-memory's own {cls}; pick another name")
    for key, limit in MAX_TEXT.items():
        value = answers[key]
        if not value.strip():
            found.append(f"{key} must not be empty")
        elif len(value) > limit:
            found.append(f"{key} is longer than {limit} characters")
        elif any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            found.append(f"{key} must be one line without control characters")
        elif any(mark in value for mark in TEMPLATE_SYNTAX):
            found.append(f"{key} must not contain template syntax such as '{{{{' or '{{%'")
    if not VERSION.match(answers["version"]):
        found.append(f"version {answers['version']!r} is not a release version such as 0.1.0")
    return found


def _package_name_problems(pkg: str) -> list[str]:
    if not _pattern("class_name").match(pkg) or keyword.iskeyword(pkg):
        suggestion = re.sub(r"[^A-Za-z0-9_]+", "_", pkg).strip("_")
        if suggestion[:1].isdigit():
            suggestion = f"{PACKAGE_PREFIX}{suggestion}"
        hint = f"; did you mean {suggestion!r}?" if suggestion and suggestion != pkg else ""
        return [f"package_name {pkg!r} is not a valid Python package name (ASCII letters, digits and _, "
                f"not starting with a digit, not a keyword){hint}"]
    if len(pkg) > MAX_PACKAGE_NAME:
        return [f"package_name {pkg!r} is longer than {MAX_PACKAGE_NAME} characters"]
    if pkg in RESERVED_PACKAGE_NAMES or pkg in sys.stdlib_module_names:
        return [f"package_name {pkg!r} would shadow the module {pkg!r}; pick another name"]
    return []
