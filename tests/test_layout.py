"""The layout shows the architecture: no import cycles, layers that only look down, small modules.

Every ``import`` statement counts, including those inside functions (lazy
imports are still dependencies).
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "compact_memory"
MAX_LINES = 350
# Layers that must not look up: the contract, the package model, diagnostics and naming.
LOW_LEVEL = ("compact_memory.compression", "compact_memory.package", "compact_memory.diagnostics",
             "compact_memory.names", "compact_memory.scaffold", "compact_memory.errors", "compact_memory.io")
# Import paths kept for strategies written for the original Compact Memory: they re-export compat.
COMPAT_SHIMS = ("compact_memory.compression.config", "compact_memory.compression.pipeline_strategy",
                "compact_memory.compression.no_compression")
NOT_FROM_LOW_LEVEL = ("compact_memory.plugins", "compact_memory.commands", "compact_memory.validation",
                      "compact_memory.experiments", "compact_memory.community", "compact_memory.cli")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The compact_memory modules that ``path`` imports, anywhere in it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[: len(parent) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target != "compact_memory":
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(name, path, known) for name, path in mods.items()}


def test_no_import_cycles() -> None:
    edges = graph()
    # A package's __init__ importing its own modules is not a cycle through them.
    edges = {m: {t for t in targets if not (m + ".").startswith(t + ".")} for m, targets in edges.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                cycles.append([*stack[stack.index(target):], target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert cycles == [], "\n".join(" -> ".join(c) for c in cycles)


def test_low_layers_do_not_import_high_ones() -> None:
    bad = []
    for name, targets in graph().items():
        if name.startswith(LOW_LEVEL) and name not in COMPAT_SHIMS:
            bad += [f"{name} -> {t}" for t in targets if t.startswith(NOT_FROM_LOW_LEVEL)]
    assert bad == []


def test_modules_stay_small() -> None:
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules().items()}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
