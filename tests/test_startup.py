"""The runtime stays lean: no jsonschema, cookiecutter, cruft or plugin code on the fast paths."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from plugin_factory import installed_dist, local_plugin, strategy_module

FRAMEWORKS = ("langchain", "langchain_core", "langchain_classic", "llama_index")
HEAVY = ("jsonschema", "cookiecutter", "compact_memory_plugins", "lean_ep_plugin", "tiktoken", "tokenizers",
         "cruft", "git", "typer", "strategy_template_origin", *FRAMEWORKS,
         # worker processes and cluster engines: only --jobs N > 1 and the Ray integration load them
         "multiprocessing", "concurrent", "ray", "pyarrow", "pandas", "numpy", "compact_memory.parallel",
         "compact_memory.integrations")

PROBE = """
import json, sys
argv = json.loads(sys.argv[1])
if argv is not None:
    from compact_memory.cli import main
    try:
        main(argv)
    except SystemExit:
        pass
else:
    import compact_memory
sys.stderr.write("\\nMODULES:" + json.dumps(sorted(sys.modules)) + "\\n")
"""


def loaded_modules(argv: list[str] | None, env: dict[str, str]) -> set[str]:
    import os

    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv)], capture_output=True, text=True,
                            env={**os.environ, **env}, timeout=120)
    marker = result.stderr.rindex("MODULES:")
    return set(json.loads(result.stderr[marker + len("MODULES:"):]))


@pytest.fixture
def plugin_env(tmp_path: Path) -> dict[str, str]:
    """A local plugin and an installed entry-point plugin are present but never used."""
    local_plugin(tmp_path / "plugins", "lean_local", "lean_local")
    site = tmp_path / "site"
    installed_dist(site, "lean-ep-plugin", {"lean_ep": "lean_ep_plugin.strategy:S"},
                   modules={"lean_ep_plugin/__init__.py": "raise RuntimeError('must not be imported')",
                            "lean_ep_plugin/strategy.py": strategy_module("S", "lean_ep")})
    return {"COMPACT_MEMORY_PLUGINS_PATH": str(tmp_path / "plugins"), "PYTHONPATH": str(site)}


@pytest.mark.parametrize(
    "argv",
    [
        None,
        ["--version"],
        ["compress", "--text", "some text to compress here", "--budget", "3", "--strategy", "truncate"],
        ["compress", "--text", "some text to compress here", "--budget", "3"],
        ["dev", "list-strategies", "--json"],
        ["compress", "--dir", "{corpus}", "--budget", "3"],
    ],
    ids=["import", "version", "compress-truncate", "compress-default", "list-strategies", "compress-dir"],
)
def test_fast_paths_import_nothing_heavy(argv: list[str] | None, plugin_env: dict[str, str], tmp_path: Path) -> None:
    if argv is not None and "{corpus}" in argv:
        (tmp_path / "corpus").mkdir()
        (tmp_path / "corpus" / "a.txt").write_text("One sentence here. Another one there.", encoding="utf-8")
        argv = [str(tmp_path / "corpus") if a == "{corpus}" else a for a in argv]
    modules = loaded_modules(argv, plugin_env)
    assert "compact_memory" in modules
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY or ".".join(m.split(".")[:2]) in HEAVY)
    assert heavy == [], f"{argv} imported {heavy}"
    # Only the command being run (its module and the modules it is split into, compress_*) is imported,
    # so adding commands never slows the others down.
    commands = sorted(m for m in modules if m.startswith("compact_memory.commands."))
    wanted = {None: [], "--version": [], "compress": ["compact_memory.commands.compress"],
              "dev": ["compact_memory.commands.list_strategies"]}[argv[0] if argv else None]

    def family(module: str) -> str:
        return next((w for w in wanted if module == w or module.startswith(w + "_")), module)

    assert sorted({family(m) for m in commands}) == wanted, f"{argv} imported {commands}"


def test_using_a_plugin_imports_only_that_plugin(plugin_env: dict[str, str]) -> None:
    modules = loaded_modules(["compress", "--text", "a b c", "--budget", "3", "--strategy", "lean_local"], plugin_env)
    plugin_modules = [m for m in modules if m.startswith("compact_memory_plugins.")]
    assert len([m for m in plugin_modules if m.count(".") == 2]) == 1, plugin_modules
    assert not any(m.startswith("lean_ep_plugin") for m in modules)


def every_command() -> list[list[str]]:
    from compact_memory.cli_parser import COMMANDS, DEV_COMMANDS

    return [[name] for name in COMMANDS] + [["dev", name] for name in DEV_COMMANDS]


def every_command_module(command: list[str]) -> str:
    from compact_memory.cli_parser import COMMANDS, DEV_COMMANDS

    return (DEV_COMMANDS if command[0] == "dev" else COMMANDS)[command[-1]][0]


@pytest.mark.parametrize("command", every_command(), ids=" ".join)
def test_no_command_imports_a_framework(command: list[str], plugin_env: dict[str, str]) -> None:
    """Building each command's parser imports its module; none of them loads LangChain or LlamaIndex."""
    modules = loaded_modules([*command, "--help"], plugin_env)
    assert f"compact_memory.commands.{every_command_module(command)}" in modules
    frameworks = sorted(m for m in modules if m.split(".")[0] in FRAMEWORKS)
    assert frameworks == [], f"{command} imported {frameworks}"


def test_only_the_integrations_import_a_framework() -> None:
    """No module outside compact_memory/integrations/ imports a framework, at the top or inside a function."""
    import ast

    package = Path(__file__).resolve().parents[1] / "compact_memory"
    offenders = []
    for path in package.rglob("*.py"):
        if "integrations" in path.relative_to(package).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.relative_to(package)}: {n}" for n in names if n.split(".")[0] in FRAMEWORKS]
    assert offenders == []


def test_importing_the_integrations_package_loads_no_framework() -> None:
    result = subprocess.run([sys.executable, "-c", "import sys, compact_memory.integrations, compact_memory.context; "
                             "print(sorted(m for m in sys.modules if m.split('.')[0] in " + repr(FRAMEWORKS) + "))"],
                            capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "[]", result.stderr
