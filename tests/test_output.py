"""Everything on stdout goes through one module: versioned JSON, checked writes, any locale."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli
from plugin_factory import local_plugin, manifest_text

from compact_memory import output

JSON_COMMANDS = [
    ["compress", "--text", "alpha beta gamma", "--budget", "2", "--json"],
    ["dev", "list-strategies", "--json"],
    ["dev", "search", "--json"],
    ["dev", "validate-strategy-package", "--json", "PKG"],
]


@pytest.fixture
def package(tmp_path: Path) -> Path:
    return local_plugin(tmp_path / "plugins", "checked", "checked")


@pytest.mark.parametrize("argv", JSON_COMMANDS, ids=lambda a: "-".join(a[:2]))
def test_every_json_document_carries_its_format_version_first(argv: list[str], package: Path) -> None:
    result = run_cli(*[str(package) if a == "PKG" else a for a in argv])
    doc = json.loads(result.stdout)
    assert next(iter(doc)) == "format_version" and doc["format_version"] == output.FORMAT_VERSION, result.stderr


def test_a_short_write_is_an_error_not_a_truncated_file(tmp_path: Path) -> None:
    """Under a file-size limit the write stops part-way: exit 1 and say so (not exit 0 with broken JSON)."""
    text = "word " * 20_000
    out = tmp_path / "out.json"

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    for argv in (["compress", "--text", text, "--budget", "5000", "--json"], ["dev", "list-strategies", "--json"],
                 ["compress", "--text", text, "--budget", "5000"]):
        with out.open("wb") as handle:
            result = subprocess.run([sys.executable, "-m", "compact_memory", *argv], stdout=handle,
                                    stderr=subprocess.PIPE, text=True, preexec_fn=limit, timeout=120)
        if argv[0] == "dev" and out.stat().st_size < 4096:
            continue  # the listing fits under the limit: nothing to prove
        assert result.returncode == 1, (argv[:2], result.stderr)
        assert result.stderr.startswith("error: cannot write to standard output: File too large"), result.stderr
        assert "Traceback" not in result.stderr and "bug" not in result.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("argv", [["compress", "--text", "a b c", "--budget", "2", "--json"],
                                  ["dev", "list-strategies"], ["--version"]])
def test_a_full_disk_is_one_clear_error(argv: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        result = subprocess.run([sys.executable, "-m", "compact_memory", *argv], stdout=full, stderr=subprocess.PIPE,
                                text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip() == ("error: cannot write to standard output: No space left on device "
                                     "(hint: check the free space and file-size limits where the output goes)")


def test_a_closed_stdout_is_one_clear_error() -> None:
    result = subprocess.run([sys.executable, "-m", "compact_memory", "compress", "--text", "a b", "--budget", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120,
                            preexec_fn=lambda: os.close(1))
    assert result.returncode == 1
    assert result.stderr.startswith("error: standard output is closed"), result.stderr


def test_a_narrow_console_encoding_never_breaks_json_or_text(tmp_path: Path) -> None:
    """PYTHONIOENCODING=cp1252 (a redirected Windows console) and a plugin named with a check mark."""
    local_plugin(tmp_path / "plugins", "tick", "tick", manifest=manifest_text("tick", display_name='"✓ Tick 日本"'))
    env = {"COMPACT_MEMORY_PLUGINS_PATH": str(tmp_path / "plugins"), "PYTHONIOENCODING": "cp1252"}
    listed = run_cli("dev", "list-strategies", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    names = {row["id"]: row["display_name"] for row in json.loads(listed.stdout)["strategies"]}
    assert names["tick"] == "✓ Tick 日本"
    table = subprocess.run([sys.executable, "-m", "compact_memory", "dev", "list-strategies"], capture_output=True,
                           env={**os.environ, **env}, timeout=120)
    assert table.returncode == 0 and "✓ Tick 日本".encode() in table.stdout
    compressed = run_cli("compress", "--text", "日本語 ✓ text", "--budget", "9", "--json", env=env)
    assert json.loads(compressed.stdout)["text"] == "日本語 ✓ text"


def test_plain_turns_what_json_cannot_hold_into_json() -> None:
    cycle: list[object] = []
    cycle.append(cycle)
    data = {"nan": float("nan"), "inf": float("-inf"), (1, 2): "tuple key", 3: "int key", "set": {2, 1},
            "cycle": cycle, "object": object, "deep": [[[[1]]]]}
    restored = json.loads(output.dumps(data))
    assert restored["nan"] is None and restored["inf"] is None
    assert restored["(1, 2)"] == "tuple key" and restored["3"] == "int key"
    assert restored["set"] == [1, 2] and restored["cycle"] == ["<cycle>"] and restored["deep"] == [[[[1]]]]
    assert restored["object"] == "<class 'object'>"
    nested: list[object] = []
    inner = nested
    for _ in range(5000):
        inner.append([])
        inner = inner[0]  # type: ignore[assignment]
    assert "<nested too deeply>" in output.dumps(nested)
