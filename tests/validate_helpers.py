"""Shared helpers for the validator tests: the corpus, the hooks file, parsing text findings."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "data" / "packages"
VALID = sorted(p.name for p in (CORPUS / "valid").iterdir() if p.is_dir())
INVALID = sorted(p.name for p in (CORPUS / "invalid").iterdir() if p.is_dir())
HOOKS = {hook["id"]: hook for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
TEXT_FINDING = re.compile(
    r"^(?P<file>.+?)(?::(?P<line>\d+):(?P<col>\d+))?: "
    r"(?P<severity>error|warning|info) (?P<code>CM\d{3}) (?P<message>.*)$"
)


def console_script(name: str = "compact-memory") -> str:
    """The installed console script, looked up next to this interpreter first."""
    found = shutil.which(name, path=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
    assert found, f"{name} is not installed next to {sys.executable}"
    return found


def parse_text(output: str) -> list[dict[str, Any]]:
    findings = []
    for line in output.splitlines():
        match = TEXT_FINDING.match(line)
        if match:
            item: dict[str, Any] = match.groupdict()
            item["line"] = int(item["line"]) if item["line"] else None
            findings.append(item)
    return findings


def hook_files(hook: dict[str, Any], files: list[str], root: Path) -> list[str]:
    """The files pre-commit would pass to ``hook``: its ``files`` regex and ``types_or`` tags."""
    from identify.identify import tags_from_path

    pattern = re.compile(hook.get("files", ""))
    wanted = set(hook.get("types_or") or [])
    chosen = []
    for name in files:
        if not pattern.search(name):
            continue
        if wanted and not wanted & tags_from_path(str(root / name)):
            continue
        chosen.append(name)
    return chosen


def run_hook(hook_id: str, files: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the hook's exact ``entry`` as pre-commit would (language: python puts it on PATH)."""
    hook = HOOKS[hook_id]
    argv = shlex.split(hook["entry"])
    argv[0] = console_script(argv[0])
    return subprocess.run([*argv, *hook.get("args", []), *hook_files(hook, files, cwd)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def write_package(root: Path, *, strategy_id: str = "demo", manifest_extra: str = "", module: str | None = None,
                  readme: bool = True) -> Path:
    """A small valid package at ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "strategy_package.yaml").write_text(
        'package_format_version: "1.0"\n'
        f"strategy_id: {strategy_id}\n"
        "strategy_class_name: Demo\n"
        "strategy_module: strategy\n"
        'display_name: "Demo"\n'
        'version: "0.1.0"\n'
        "authors: [Someone]\n"
        "description: A demo.\n" + manifest_extra
    )
    (root / "strategy.py").write_text(module if module is not None else (
        "from compact_memory.compression import CompressedMemory, CompressionStrategy, CompressionTrace\n\n\n"
        "class Demo(CompressionStrategy):\n"
        f'    id = "{strategy_id}"\n\n'
        "    def compress(self, text_or_chunks, llm_token_budget, **kwargs):\n"
        '        return CompressedMemory(text=""), CompressionTrace(strategy_name=self.id, strategy_params={})\n'
    ))
    if readme:
        (root / "README.md").write_text("# demo\n")
    return root
