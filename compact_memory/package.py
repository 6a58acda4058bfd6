"""A strategy package on disk: its manifest, read once, the same way for every reader.

Listing and loading plugins, the validator, experiments, installs and the
template's checks all read packages through :func:`read_package`. Reading
is the same in every mode: a regular file of at most 1 MB, strict UTF-8,
safe YAML (core tags only, no alias bombs, deep nesting parsed without
crashing), with the line and column of every value. What differs is how
much is checked afterwards:

- ``strict=False`` (listing, loading, experiments) checks the manifest's own
  keys against ``schemas/strategy_package.schema.json`` without jsonschema.
  Only a problem with the keys needed to find the class (strategy_id,
  strategy_class_name, strategy_module, overrides_builtin) or an unreadable
  manifest is an error; everything else (a manifest quirk the original
  Compact Memory accepted, such as ``version: 0.1``) is a warning naming the
  validator code to fix.
- The validator adds the full JSON Schema (jsonschema) and every other check.

So every package the validator passes, the runtime loads, and every package
the runtime refuses, the validator fails (tests/test_package_agreement.py).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from compact_memory.diagnostics.codes import ERROR, WARNING
from compact_memory.diagnostics.findings import Finding, Findings
from compact_memory.diagnostics.yaml_marks import Document, read_yaml

TYPE_CHECKING = False  # no typing at runtime: listing strategies starts fast
if TYPE_CHECKING:
    from typing import Any

MANIFEST_NAME = "strategy_package.yaml"
SCHEMA = "strategy_package"
# The keys without which the class cannot be found or ranked: a problem with one of them stops the runtime.
ESSENTIAL = frozenset({"strategy_id", "strategy_class_name", "strategy_module", "overrides_builtin"})
VALIDATE_HINT = "run: compact-memory dev validate-strategy-package {path}"


class _Text:
    """A manifest key read as an attribute of the package: its value if that is a string, else None."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __get__(self, pkg: StrategyPackage, owner: object = None) -> str | None:
        return pkg.text(self.key)


class StrategyPackage:
    """One strategy package directory, as its manifest describes it, before any of its code runs."""

    def __init__(self, root: Path, display: str | None = None) -> None:
        self.root = root
        self.display = str(root) if display is None else display  # how findings show the root
        self.doc: Document | None = None
        self.findings: list[Finding] = []
        self.module_file: Path | None = None  # the strategy module, once found inside the package
        self.missing_dependencies: list[str] = []  # declared but not installed here (the validator fills it)

    def __repr__(self) -> str:
        return f"StrategyPackage({str(self.root)!r})"

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST_NAME

    @property
    def data(self) -> dict[Any, Any]:
        data = self.doc.data if self.doc else None
        return data if isinstance(data, dict) else {}

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        return value if isinstance(value, str) else None

    def shown(self, key: str) -> str | None:
        """A value for display: text as it is, a number or other scalar as text (``version: 0.1`` -> "0.1")."""
        value = self.data.get(key)
        if value is None or isinstance(value, (dict, list)):
            return None
        raw = self.doc.plain_scalars.get((key,)) if self.doc else None
        return raw if raw is not None and not isinstance(value, str) else str(value)

    strategy_id = _Text("strategy_id")
    class_name = _Text("strategy_class_name")
    module = _Text("strategy_module")
    display_name = _Text("display_name")

    @property
    def version(self) -> str | None:
        return self.shown("version")

    @property
    def overrides_builtin(self) -> bool:
        return self.data.get("overrides_builtin") is True

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    def show(self, relative: str | Path) -> str:
        return os.path.normpath(os.path.join(self.display, relative))

    def on(self, relative: str | Path = MANIFEST_NAME) -> Findings:
        """A collector for findings in one file of the package."""
        return Findings(self.show(relative), self.findings)

    def at(self, *path: Any) -> tuple[int, int] | None:
        return self.doc.at(path) if self.doc else None

    def problem(self) -> str | None:
        """The first error as one line (``strategy_package.yaml:3:5: missing ...``), with how many more."""
        errors = self.errors
        if not errors:
            return None
        first = errors[0]
        where = f"{MANIFEST_NAME}:{first.line}:{first.column or 1}" if first.line else MANIFEST_NAME
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        return f"{where}: {first.message} ({first.code}){more}"


def read_package(root: Path, *, display: str | None = None, strict: bool = False) -> StrategyPackage:
    """Read ``root/strategy_package.yaml``; problems become findings of the package, never exceptions.

    Without ``strict`` the manifest's keys are checked lightly (see the module
    docstring); with it, only reading and YAML are checked here and the
    caller (the validator) runs the full schema.
    """
    pkg = StrategyPackage(root, display)
    load_manifest(pkg, strict=strict)
    return pkg


def load_manifest(pkg: StrategyPackage, *, strict: bool = False) -> bool:
    """Read the manifest of ``pkg`` into it; whether it is a mapping that later checks can look at."""
    found = pkg.on()
    pkg.doc = read_yaml(pkg.manifest, found)
    if pkg.doc is None:
        return False
    if not isinstance(pkg.doc.data, dict):
        from compact_memory.diagnostics.schema_check import kind_of

        what = "empty" if pkg.doc.data is None else kind_of(pkg.doc.data)
        found.add("CM108", f"the manifest must be a mapping of keys, but it is {what}", at=pkg.doc.at(()) or (1, 1),
                  hint="start from `compact-memory dev create-strategy-package`, or write key: value lines")
        return False
    if not strict:
        _check_keys(pkg)
    return True


def _check_keys(pkg: StrategyPackage) -> None:
    from compact_memory.diagnostics import schema_check

    assert pkg.doc is not None
    for finding in pkg.findings:  # YAML keeps the last of a repeated key; only an essential one is ambiguous
        if finding.code == "CM107" and _key_of(finding) not in ESSENTIAL:
            finding.severity = WARNING
    checked = Findings(pkg.on().file)
    schema_check.report(schema_check.light_errors(pkg.data, SCHEMA), pkg.doc, SCHEMA, checked)
    for finding in checked.items:
        essential = _key_of(finding) in ESSENTIAL or (finding.code == "CM201" and _missing_essential(finding.message))
        finding.severity = ERROR if essential else WARNING
        if not essential:
            finding.hint = (finding.hint + "; " if finding.hint else "") + "loaded anyway; fix it before sharing"
        pkg.findings.append(finding)


def _key_of(finding: Finding) -> str:
    """The top-level manifest key a finding is about (``$.authors[0]`` -> ``authors``)."""
    return (finding.json_path or "$")[2:].split("[")[0].split(".")[0]


def _missing_essential(message: str) -> bool:
    return any(f"'{key}'" in message for key in ESSENTIAL)


def locate_module(root: Path, module: str) -> tuple[Path | None, str | None]:
    """The file Python imports for ``module`` inside the package ``root``, or why there is none.

    A package directory (``name/__init__.py``) wins over a module file
    (``name.py``), as in Python's importer. A file that leads outside the
    package once symlinks are followed is refused.
    """
    for candidate in module_candidates(root, module):
        if not os.path.lexists(candidate):
            continue
        if not inside(candidate, root):
            return None, f"strategy_module {module!r} leads outside the package (to {os.path.realpath(candidate)})"
        if candidate.is_file():
            return candidate, None
    expected = module.replace(".", "/")
    return None, f"strategy_module {module!r} not found: neither {expected}.py nor {expected}/__init__.py exists"


def module_candidates(root: Path, module: str) -> list[Path]:
    """The files Python would import for ``module``, in its order: a package directory wins over a module file."""
    base = root.joinpath(*module.split("."))
    return [base / "__init__.py", base.parent / (base.name + ".py")]


def inside(path: Path, root: Path) -> bool:
    """Whether ``path`` stays inside ``root`` once every symlink is followed."""
    real, real_root = os.path.realpath(path), _real_root(str(root))
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


@functools.lru_cache(maxsize=256)
def _real_root(root: str) -> str:
    """A package root with its links followed: asked for every file checked, so once per root and run."""
    return os.path.realpath(root)


def find_package_root(path: Path) -> Path | None:
    """The package directory that owns ``path``: ``path`` itself or the nearest parent with a manifest."""
    path = Path(os.path.normpath(path))
    for candidate in ([path] if path.is_dir() else []) + list(path.parents):
        if (candidate / MANIFEST_NAME).is_file():
            return candidate
    return None
