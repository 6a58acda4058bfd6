"""An entry-point plugin installed with ``pip install -e`` is listed from its manifest, for real.

Editable installs put no package files next to the distribution's metadata:
setuptools maps the package through a finder module, hatchling adds the
source directory through a .pth file. Both are read without importing the
plugin; a plugin whose import would fail proves it.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from conftest import Venv, run_cli

pytestmark = pytest.mark.slow

STRATEGY = '''
from compact_memory.compression import CompressedMemory, CompressionStrategy, CompressionTrace
from compact_memory.tokenizers import get_tokenizer, head

class TruncateTwin(CompressionStrategy):
    id = "truncate"
    display_name = "{name}"

    def compress(self, text_or_chunks, llm_token_budget, **kwargs):
        text = text_or_chunks if isinstance(text_or_chunks, str) else "\\n\\n".join(text_or_chunks)
        out = head(get_tokenizer(kwargs.get("tokenizer")), text, llm_token_budget)
        return CompressedMemory(text="{marker}" + out if out != text else out), CompressionTrace(self.id)
'''


def manifest(name: str) -> str:
    return textwrap.dedent(f"""\
        package_format_version: "1.0"
        strategy_id: truncate
        strategy_class_name: TruncateTwin
        strategy_module: strategy
        display_name: "{name}"
        version: "0.1.0"
        authors: ["Test"]
        description: "Replaces the built-in truncate."
        overrides_builtin: true
        """)


def setuptools_project(root: Path) -> Path:
    """The template's layout: the project directory is the package (package-dir {pkg = "."})."""
    project = root / "cm_editable_st"
    project.mkdir()
    (project / "pyproject.toml").write_text(textwrap.dedent("""\
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "cm-editable-st"
        version = "0.1.0"

        [project.entry-points."compact_memory.strategies"]
        truncate = "cm_editable_st.strategy:TruncateTwin"

        [tool.setuptools]
        package-dir = { "cm_editable_st" = "." }
        packages = ["cm_editable_st"]
        """), encoding="utf-8")
    (project / "__init__.py").write_text("raise RuntimeError('listing must not import the plugin')\n")
    (project / "strategy.py").write_text(STRATEGY.format(name="Setuptools twin", marker="ST:"))
    (project / "strategy_package.yaml").write_text(manifest("Setuptools twin"), encoding="utf-8")
    return project


def hatchling_project(root: Path) -> Path:
    """A src layout built by hatchling; the manifest ships inside the package."""
    project = root / "cm-editable-hatch"
    package = project / "src" / "cm_editable_hatch"
    package.mkdir(parents=True)
    (project / "pyproject.toml").write_text(textwrap.dedent("""\
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "cm-editable-hatch"
        version = "0.1.0"

        [project.entry-points."compact_memory.strategies"]
        truncate = "cm_editable_hatch.strategy:TruncateTwin"

        [tool.hatch.build.targets.wheel]
        packages = ["src/cm_editable_hatch"]
        """), encoding="utf-8")
    (package / "__init__.py").write_text("raise RuntimeError('listing must not import the plugin')\n")
    (package / "strategy.py").write_text(STRATEGY.format(name="Hatchling twin", marker="HT:"))
    (package / "strategy_package.yaml").write_text(manifest("Hatchling twin"), encoding="utf-8")
    return project


@pytest.mark.parametrize(("make", "name"), [(setuptools_project, "Setuptools twin"),
                                             (hatchling_project, "Hatchling twin")], ids=["setuptools", "hatchling"])
def test_editable_plugin_is_listed_from_its_manifest(make, name: str, make_venv, project_wheel: Path,  # type: ignore[no-untyped-def]
                                                      tmp_path: Path) -> None:
    venv: Venv = make_venv("editable")
    venv.pip_install(str(project_wheel), "setuptools>=68", "hatchling", "editables")
    project = make(tmp_path)
    venv.pip_install("--no-build-isolation", "-e", str(project))
    env = {"COMPACT_MEMORY_PLUGINS_PATH": "", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    listed = venv.run("compact-memory", "dev", "list-strategies", "--json", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = [r for r in json.loads(listed.stdout)["strategies"] if r["id"] == "truncate"]
    plugin = next(r for r in rows if r["source"] == "entry_point")
    builtin = next(r for r in rows if r["source"] == "builtin")
    assert (plugin["display_name"], plugin["overrides_builtin"], plugin["status"]) == (name, True, "active")
    assert builtin["status"] == "shadowed"
    assert "must not import" not in listed.stderr


def test_the_checkout_pip_sees_is_the_one_validated(tmp_path: Path) -> None:
    """The validator passes the setuptools layout above (so the listing test is about discovery alone)."""
    project = setuptools_project(tmp_path)
    (project / "README.md").write_text("twin\n", encoding="utf-8")
    result = run_cli("dev", "validate-strategy-package", "--strict", str(project))
    assert "CM90" not in result.stdout, result.stdout
