"""Build hook: the wheel records which commit its strategy-package template comes from.

A package generated from an installed compact-memory gets a ``.cruft.json``
naming this project's repository (``[project.urls] Repository``), the
template's directory in it and the commit the wheel was built from (with the
tag as ``checkout`` when that commit is tagged). Outside a git checkout the
rule has nothing to go on, so an sdist carries the file its own build wrote
and a wheel built from the sdist ships that. The rules are the template's
own (``templates/strategy_package/strategy_template_origin.py``).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

TEMPLATE = Path("templates", "strategy_package")
WHEEL_DATA = Path("compact_memory", "_data")


def _template_origin(root: Path) -> ModuleType:
    path = root / TEMPLATE / "strategy_template_origin.py"
    module = ModuleType("strategy_template_origin")
    module.__file__ = str(path)
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module.__dict__)
    return module


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        self._scratch: str | None = None
        if self.target_name not in ("wheel", "sdist") or version == "editable":
            return  # an editable install reads the checkout, where git knows the commit
        root = Path(self.root)
        rules = _template_origin(root)
        shipped = root / TEMPLATE / rules.ORIGIN_FILE
        found = rules.origin(root / TEMPLATE)
        if found is None or found["source"] != "git":
            if not shipped.is_file():
                print(f"warning: {TEMPLATE.as_posix()} is not in a git checkout and has no {rules.ORIGIN_FILE}; "
                      "packages generated from this build cannot be updated with cruft", file=sys.stderr)
            return  # an sdist: templates/ already holds the file its build wrote
        if shipped.exists():
            raise RuntimeError(f"{shipped} is written by the build; remove it from the checkout")
        repository = self.metadata.core.urls.get("Repository")
        if not repository:
            raise RuntimeError("pyproject.toml needs [project.urls] Repository for the template's origin")
        tag = rules.git(root, "describe", "--exact-match", "--tags", "HEAD")
        record = {
            "template": repository,
            "directory": TEMPLATE.as_posix(),
            "commit": found["commit"],
            "checkout": tag or None,
            "dirty": found["dirty"],
        }
        self._scratch = tempfile.mkdtemp(prefix="compact-memory-build-")
        written = Path(self._scratch, rules.ORIGIN_FILE)
        written.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        inside = WHEEL_DATA / TEMPLATE if self.target_name == "wheel" else TEMPLATE
        build_data["force_include"][str(written)] = (inside / rules.ORIGIN_FILE).as_posix()

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)
