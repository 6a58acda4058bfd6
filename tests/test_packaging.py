"""A real wheel and a real editable install find schemas/ and templates/; real plugin dists load."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow

WHERE = "from compact_memory.resources import data_path; print(data_path('schemas')); print(data_path('templates'))"


def test_wheel_ships_schemas_and_templates(project_wheel: Path) -> None:
    import zipfile

    names = zipfile.ZipFile(project_wheel).namelist()
    assert "compact_memory/_data/schemas/strategy_package.schema.json" in names
    assert any(n.startswith("compact_memory/_data/templates/") for n in names)
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)


def test_wheel_install_in_fresh_venv(make_venv, tmp_path: Path) -> None:
    venv = make_venv("wheel")
    venv.pip_install("compact-memory")
    where = venv.run("python", "-c", WHERE, cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    schemas, templates = where.stdout.split()
    assert "site-packages" in schemas and schemas.endswith("compact_memory/_data/schemas")
    assert templates.endswith("compact_memory/_data/templates")

    version = venv.run("compact-memory", "--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("compact-memory ")
    out = venv.run("compact-memory", "compress", "--text", "one two three four", "--budget", "2",
                   "--strategy", "truncate", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "one two"

    # A real plugin distribution, built and pip-installed: found through its entry point.
    plugin = tmp_path / "plugin_src"
    (plugin / "wheel_plugin").mkdir(parents=True)
    (plugin / "pyproject.toml").write_text(textwrap.dedent("""\
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "wheel-plugin"
        version = "2.3.4"

        [project.entry-points."compact_memory.strategies"]
        shout = "wheel_plugin.strategy:ShoutStrategy"

        [tool.setuptools]
        packages = ["wheel_plugin"]
        """))
    (plugin / "wheel_plugin" / "__init__.py").write_text("")
    (plugin / "wheel_plugin" / "strategy.py").write_text(textwrap.dedent("""\
        from compact_memory.compression import CompressionStrategy, CompressedMemory, CompressionTrace
        from compact_memory.tokenizers import get_tokenizer, head


        class ShoutStrategy(CompressionStrategy):
            id = "shout"
            display_name = "Shout"

            def compress(self, text_or_chunks, llm_token_budget, **kwargs):
                tok = get_tokenizer(kwargs.get("tokenizer"))
                return CompressedMemory(head(tok, text_or_chunks.upper(), llm_token_budget)), CompressionTrace(self.id)
        """))
    venv.pip_install(str(plugin))
    listed = venv.run("compact-memory", "dev", "list-strategies", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    row = next(r for r in json.loads(listed.stdout)["strategies"] if r["id"] == "shout")
    assert (row["source"], row["origin"], row["status"]) == ("entry_point", "wheel-plugin==2.3.4", "active")
    used = venv.run("compact-memory", "compress", "--text", "quiet words here", "--budget", "2", "--strategy", "shout",
                    cwd=tmp_path)
    assert used.returncode == 0, used.stderr
    assert used.stdout.strip() == "QUIET WORDS"
    checked = venv.run("compact-memory", "dev", "list-strategies", "--check", "--json", cwd=tmp_path)
    row = next(r for r in json.loads(checked.stdout)["strategies"] if r["id"] == "shout")
    assert row["load"]["ok"] is True


def test_editable_install_uses_the_checkout(make_venv, tmp_path: Path) -> None:
    venv = make_venv("editable")
    venv.pip_install("hatchling", "editables")
    venv.pip_install("--no-build-isolation", "--no-deps", "-e", str(REPO))
    venv.pip_install("pyyaml", "platformdirs")
    where = venv.run("python", "-c", WHERE, cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    schemas, templates = where.stdout.split()
    assert Path(schemas) == REPO / "schemas" and Path(templates) == REPO / "templates"
