"""One strategy package under validation: where it is, how to show its paths, what was found."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compact_memory.diagnostics.findings import Finding, Findings
from compact_memory.diagnostics.yaml_marks import Document
from compact_memory.manifest import MANIFEST_NAME


@dataclass
class Package:
    root: Path  # absolute, symlinks not resolved
    display: str  # the root as shown in findings: relative to the working directory when below it
    findings: list[Finding] = field(default_factory=list)
    doc: Document | None = None
    module_file: Path | None = None  # the strategy module, once found inside the package
    missing_dependencies: list[str] = field(default_factory=list)

    @property
    def data(self) -> dict[Any, Any]:
        data = self.doc.data if self.doc else None
        return data if isinstance(data, dict) else {}

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST_NAME

    def show(self, relative: str | Path) -> str:
        return os.path.normpath(os.path.join(self.display, relative))

    def on(self, relative: str | Path = MANIFEST_NAME) -> Findings:
        """A collector for findings in one file of the package."""
        return Findings(self.show(relative), self.findings)

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        return value if isinstance(value, str) else None

    def at(self, *path: Any) -> tuple[int, int] | None:
        return self.doc.at(path) if self.doc else None


def display_path(path: Path, cwd: Path) -> str:
    try:
        relative = path.relative_to(cwd)
    except ValueError:
        return str(path)
    return str(relative) if str(relative) != "." else "."


def inside(path: Path, root: Path) -> bool:
    """Whether ``path`` stays inside ``root`` once every symlink is followed."""
    real, real_root = os.path.realpath(path), os.path.realpath(root)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)
