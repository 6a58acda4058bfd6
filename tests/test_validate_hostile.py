"""Hostile input gives a finding, never a traceback, in bounded time and memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from validate_helpers import write_package

MEMORY_LIMIT = 1_500_000_000  # bytes of address space for the validator process
TIME_LIMIT = 30.0


def validate_bounded(*args: str, cwd: Path) -> tuple[int, dict, float]:
    def limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "compact_memory", "dev", "validate-strategy-package", "--format", "json", *args],
        cwd=cwd, capture_output=True, text=True, timeout=TIME_LIMIT,
        preexec_fn=limit if os.name == "posix" else None,
    )
    elapsed = time.perf_counter() - start
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, result.stderr
    return result.returncode, json.loads(result.stdout), elapsed


def codes(doc: dict) -> list[str]:
    return [f["code"] for f in doc["findings"]]


def manifest_with(tmp_path: Path, content: bytes | str) -> Path:
    pkg = write_package(tmp_path / "pkg")
    data = content.encode() if isinstance(content, str) else content
    (pkg / "strategy_package.yaml").write_bytes(data)
    return pkg


def test_python_object_tag_is_never_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    manifest_with(tmp_path, f'strategy_id: !!python/object/apply:os.system ["touch {marker}"]\n'
                                  "version: !!python/name:os.system\n")
    _, doc, _ = validate_bounded("pkg", cwd=tmp_path)
    assert codes(doc) == ["CM105", "CM105"]
    assert [f["line"] for f in doc["findings"]] == [1, 2]
    assert not marker.exists()


def test_billion_laughs(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefghi", "bcdefghij", strict=True):
        lines.append(f"{cur}: &{cur} [{','.join([f'*{prev}'] * 10)}]")
    manifest_with(tmp_path, "\n".join(lines) + "\n")
    _, doc, elapsed = validate_bounded("pkg", cwd=tmp_path)
    assert codes(doc) == ["CM106"]
    assert elapsed < 10


def test_recursive_alias(tmp_path: Path) -> None:
    manifest_with(tmp_path, "a: &x [1, *x]\n")
    _, doc, _ = validate_bounded("pkg", cwd=tmp_path)
    assert codes(doc) == ["CM106"]


@pytest.mark.parametrize("text", ["[" * 100_000, "- " * 100_000 + "x", "a:\n" + "".join(
    " " * (2 * i) + f"k{i}:\n" for i in range(1, 400))], ids=["flow", "block-sequence", "indentation"])
def test_deep_nesting_does_not_crash_the_interpreter(tmp_path: Path, text: str) -> None:
    # libyaml's composer would overflow the C stack here and kill the process.
    manifest_with(tmp_path, text)
    _, doc, _ = validate_bounded("pkg", cwd=tmp_path)
    assert set(codes(doc)) <= {"CM104", "CM106", "CM108", "CM201", "CM202"} and codes(doc)


def test_fifty_megabyte_manifest(tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg")
    with open(pkg / "strategy_package.yaml", "ab") as out:
        out.write(b"# padding " + b"x" * (50 * 1024 * 1024) + b"\n")
    _, doc, elapsed = validate_bounded("pkg", cwd=tmp_path)
    assert codes(doc) == ["CM102"]
    assert elapsed < 10


def test_binary_garbage(tmp_path: Path) -> None:
    manifest_with(tmp_path, bytes(range(256)) * 40)
    _, doc, _ = validate_bounded("pkg", cwd=tmp_path)
    assert codes(doc) == ["CM103"]


def test_non_utf8_bytes_are_located(tmp_path: Path) -> None:
    manifest_with(tmp_path, b'strategy_id: demo\ndescription: "caf\xe9"\n')
    _, doc, _ = validate_bounded("pkg", cwd=tmp_path)
    assert codes(doc) == ["CM103"]
    assert (doc["findings"][0]["line"], doc["findings"][0]["column"]) == (2, 18)


def test_nul_byte(tmp_path: Path) -> None:
    manifest_with(tmp_path, "strategy_id: demo\x00\n")
    _, doc, _ = validate_bounded("pkg", cwd=tmp_path)
    assert codes(doc) == ["CM103"]
    assert "U+0000" in doc["findings"][0]["message"]


@pytest.mark.parametrize(("content", "kind"), [("- a\n- b\n", "a list"), ("42\n", "a number"), ("", "empty"),
                                               ("~\n", "empty"), ("'just text'\n", "a string")])
def test_manifest_that_is_not_a_mapping(tmp_path: Path, content: str, kind: str) -> None:
    manifest_with(tmp_path, content)
    _, doc, _ = validate_bounded("pkg", cwd=tmp_path)
    assert codes(doc) == ["CM108"]
    assert kind in doc["findings"][0]["message"]


def test_module_symlinked_outside_the_package(tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg")
    outside = tmp_path / "outside.py"
    outside.write_text((pkg / "strategy.py").read_text())
    (pkg / "strategy.py").unlink()
    (pkg / "strategy.py").symlink_to(outside)
    _, doc, _ = validate_bounded("pkg", "--import-check", "require", cwd=tmp_path)
    assert codes(doc) == ["CM302"]
    assert doc["findings"][0]["line"] == 4


def test_module_in_a_directory_symlinked_outside(tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg")
    (tmp_path / "elsewhere").mkdir()
    (pkg / "strategy.py").rename(tmp_path / "elsewhere" / "core.py")
    (pkg / "impl").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    manifest = pkg / "strategy_package.yaml"
    manifest.write_text(manifest.read_text().replace("strategy_module: strategy", "strategy_module: impl.core"))
    _, doc, _ = validate_bounded("pkg", cwd=tmp_path)
    assert codes(doc) == ["CM302"]


@pytest.mark.parametrize("module", ["../x", "/etc/passwd", "a/b", "strategy.py"])
def test_strategy_module_that_is_a_path(tmp_path: Path, module: str) -> None:
    pkg = write_package(tmp_path / "pkg")
    text = (pkg / "strategy_package.yaml").read_text().replace("strategy_module: strategy",
                                                               f'strategy_module: "{module}"')
    (pkg / "strategy_package.yaml").write_text(text)
    _, doc, _ = validate_bounded("pkg", "--import-check", "require", cwd=tmp_path)
    if module.endswith(".py"):  # a valid dotted name (strategy/py.py), not found
        assert codes(doc) == ["CM301"]
        assert "without .py: strategy_module: strategy" in doc["findings"][0]["hint"]
    else:
        assert codes(doc) == ["CM205"]
        assert "dotted module name" in doc["findings"][0]["hint"]


def test_experiment_path_escaping_the_package(tmp_path: Path) -> None:
    (tmp_path / "secret.yaml").write_text("name: x\n")
    pkg = write_package(tmp_path / "pkg", manifest_extra="default_experiments: [../secret.yaml, /etc/hostname]\n")
    _, doc, _ = validate_bounded(str(pkg), cwd=tmp_path)
    assert codes(doc) == ["CM302", "CM302"]


def test_huge_key_and_value_messages_stay_short(tmp_path: Path) -> None:
    manifest_with(tmp_path, f"{'k' * 100_000}: {'v' * 100_000}\n")
    _, doc, _ = validate_bounded("pkg", cwd=tmp_path)
    assert all(len(f["message"]) < 500 for f in doc["findings"])
