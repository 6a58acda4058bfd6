"""The validator checks what pip will install: pyproject.toml / setup.cfg against the manifest and the class.

Each case edits a freshly generated package the way an author might and runs
the real CLI; the expected findings are (code, file, line).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import run_cli

from compact_memory import __version__

EP_HEADER = '[project.entry-points."compact_memory.strategies"]'


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "compact_memory_dist_check"
    result = run_cli("dev", "create-strategy-package", "--name", "compact_memory_dist_check", "--path", str(out))
    assert result.returncode == 0, result.stderr
    return out


def copy(generated: Path, tmp_path: Path) -> Path:
    target = tmp_path / "pkg"
    target.mkdir()
    for path in generated.rglob("*"):
        if path.is_file():
            (target / path.relative_to(generated)).parent.mkdir(parents=True, exist_ok=True)
            (target / path.relative_to(generated)).write_bytes(path.read_bytes())
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def findings(pkg: Path) -> list[tuple[str, str, int | None]]:
    result = run_cli("dev", "validate-strategy-package", "--json", "--strict", str(pkg))
    doc = json.loads(result.stdout)
    return sorted((f["code"], Path(f["file"]).name, f["line"]) for f in doc["findings"])


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_the_generated_package_agrees_with_itself(generated: Path) -> None:
    assert findings(generated) == []


def test_wrong_entry_point_name_and_target(generated: Path, tmp_path: Path) -> None:
    pkg = copy(generated, tmp_path)
    pyproject = pkg / "pyproject.toml"
    edit(pyproject, 'dist_check = "compact_memory_dist_check.strategy:DistCheckStrategy"',
         'other_id = "compact_memory_dist_check.strategy:NoSuchClass"')
    line = line_of(pyproject, "other_id =")
    assert findings(pkg) == [("CM904", "pyproject.toml", line), ("CM905", "pyproject.toml", line)]


def test_no_entry_point(generated: Path, tmp_path: Path) -> None:
    pkg = copy(generated, tmp_path)
    pyproject = pkg / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(re.sub(re.escape(EP_HEADER) + r"\n[^\n]*\n", "", text), encoding="utf-8")
    assert [f[0] for f in findings(pkg)] == ["CM903"]


def test_three_versions(generated: Path, tmp_path: Path) -> None:
    pkg = copy(generated, tmp_path)
    edit(pkg / "pyproject.toml", 'version = "0.1.0"', 'version = "0.2.0"')
    edit(pkg / "strategy.py", 'version = "0.1.0"', 'version = "0.3.0"')
    assert findings(pkg) == [("CM409", "strategy.py", line_of(pkg / "strategy.py", 'version = "0.3.0"')),
                             ("CM906", "pyproject.toml", line_of(pkg / "pyproject.toml", 'version = "0.2.0"'))]


def test_dependencies_pip_would_not_install(generated: Path, tmp_path: Path) -> None:
    pkg = copy(generated, tmp_path)
    edit(pkg / "strategy_package.yaml", "dependencies: []", 'dependencies: ["packaging>=20"]')
    (pkg / "requirements.txt").write_text("packaging>=20\n", encoding="utf-8")
    edit(pkg / "pyproject.toml", 'dependencies = ["compact-memory', 'dependencies = ["pyyaml", "compact-memory')
    assert findings(pkg) == [
        ("CM908", "strategy_package.yaml", line_of(pkg / "strategy_package.yaml", "dependencies:")),
        ("CM909", "pyproject.toml", line_of(pkg / "pyproject.toml", "dependencies =")),
    ]


def test_a_compact_memory_range_that_excludes_this_version(generated: Path, tmp_path: Path) -> None:
    pkg = copy(generated, tmp_path)
    text = (pkg / "pyproject.toml").read_text(encoding="utf-8")
    (pkg / "pyproject.toml").write_text(re.sub(r'"compact-memory[^"]*"', '"compact-memory>=99"', text),
                                        encoding="utf-8")
    result = findings(pkg)
    assert [f[0] for f in result] == ["CM910"], result
    assert __version__


def test_dynamic_version_is_a_note(generated: Path, tmp_path: Path) -> None:
    pkg = copy(generated, tmp_path)
    edit(pkg / "pyproject.toml", 'version = "0.1.0"', 'dynamic = ["version"]')
    result = run_cli("dev", "validate-strategy-package", "--json", "--strict", str(pkg))
    assert result.returncode == 0, result.stdout
    assert [(f["code"], f["severity"]) for f in json.loads(result.stdout)["findings"]] == [("CM907", "info")]


BAD_FILES = {
    "broken_toml": ("pyproject.toml", '[project\nname = "x"\n', ("CM901", 1)),
    "no_project": ("pyproject.toml", '[build-system]\nrequires = ["setuptools"]\n', ("CM902", 1)),
    "binary": ("pyproject.toml", "\udcff", ("CM901", None)),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_packaging_files_are_findings_not_tracebacks(generated: Path, tmp_path: Path, case: str) -> None:
    pkg = copy(generated, tmp_path)
    name, text, (code, line) = BAD_FILES[case]
    (pkg / name).write_bytes(text.encode("utf-8", errors="surrogateescape"))
    result = run_cli("dev", "validate-strategy-package", str(pkg))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{code} " in result.stdout
    if line is not None:
        assert f"{name}:{line}:" in result.stdout


def test_tool_only_pyproject_is_not_checked(generated: Path, tmp_path: Path) -> None:
    pkg = copy(generated, tmp_path)
    (pkg / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n", encoding="utf-8")
    assert findings(pkg) == []


def test_entry_points_in_setup_cfg_only(generated: Path, tmp_path: Path) -> None:
    pkg = copy(generated, tmp_path)
    (pkg / "pyproject.toml").unlink()
    (pkg / "setup.cfg").write_text(
        "[metadata]\nname = compact-memory-dist-check\nversion = 0.1.0\n\n[options]\npackage_dir =\n"
        "    compact_memory_dist_check = .\ninstall_requires =\n    compact-memory\n\n"
        "[options.entry_points]\ncompact_memory.strategies =\n"
        "    dist_check = compact_memory_dist_check.strategy:Wrong\n",
        encoding="utf-8")
    result = findings(pkg)
    assert [f[:2] for f in result] == [("CM905", "setup.cfg")], result
    # pyproject.toml with [project] takes over: setup.cfg's entry points are then ignored by pip.
    (pkg / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools"]\n\n[project]\nname = "x"\n'
                                        'version = "0.1.0"\ndependencies = []\n', encoding="utf-8")
    result = run_cli("dev", "validate-strategy-package", str(pkg))
    assert "CM903" in result.stdout and "move it from setup.cfg" in result.stdout
