"""The command: path resolution, formats, --strict, exit codes, the import check and --contract."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import run_cli
from validate_helpers import REPO, parse_text, write_package

from compact_memory.diagnostics import codes as codes_module
from compact_memory.diagnostics.findings import Finding
from compact_memory.diagnostics.render import escape_data, escape_property, github_line
from compact_memory.validation.package import run_validation
from compact_memory.validation.report import write


def validate(*args: str, cwd: Path) -> tuple[int, dict]:
    result = run_cli("dev", "validate-strategy-package", "--format", "json", *args, cwd=cwd)
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout)


def test_valid_package_text_output(tmp_path: Path) -> None:
    write_package(tmp_path / "pkg")
    result = run_cli("dev", "validate-strategy-package", "pkg", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "1 strategy package checked, passed: 0 errors, 0 warnings\n"


def test_text_format_points_and_advises(tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg", manifest_extra="strateg_class: X\n")
    result = run_cli("dev", "validate-strategy-package", str(pkg / "strategy.py"), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == (
        "pkg/strategy_package.yaml:9:1: error CM202 unknown key 'strateg_class' "
        "(hint: did you mean 'strategy_class_name'?)")
    assert result.stdout.splitlines()[-1] == "1 strategy package checked, failed: 1 error, 0 warnings"


def test_paths_inside_one_package_are_validated_once(tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg", readme=False)
    code, doc = validate("pkg", "pkg/strategy.py", "pkg/strategy_package.yaml", str(pkg), cwd=tmp_path)
    assert code == 0
    assert [p["path"] for p in doc["packages"]] == ["pkg"]
    assert [f["code"] for f in doc["findings"]] == ["CM303"]


def test_directory_of_packages(tmp_path: Path) -> None:
    write_package(tmp_path / "plugins" / "a", strategy_id="a")
    write_package(tmp_path / "plugins" / "b", strategy_id="b")
    code, doc = validate("plugins", cwd=tmp_path)
    assert code == 0
    assert [p["strategy_id"] for p in doc["packages"]] == ["a", "b"]


def test_missing_and_unowned_paths(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    code, doc = validate("nope", "notes.txt", cwd=tmp_path)
    assert code == 1
    assert [(f["file"], f["code"]) for f in doc["findings"]] == [("nope", "CM001"), ("notes.txt", "CM002")]
    code, doc = validate("notes.txt", "--ignore-unowned", cwd=tmp_path)
    assert code == 0 and doc["findings"] == [] and doc["summary"]["packages"] == 0


def test_strict_turns_warnings_into_errors(tmp_path: Path) -> None:
    write_package(tmp_path / "pkg", readme=False)
    assert validate("pkg", cwd=tmp_path)[0] == 0
    code, doc = validate("pkg", "--strict", cwd=tmp_path)
    assert code == 1
    assert doc["findings"][0]["severity"] == "error" and doc["result"] == "fail"


def test_json_document(tmp_path: Path) -> None:
    write_package(tmp_path / "pkg", manifest_extra='dependencies: ["surely-absent-cm-dist>=1"]\n')
    (tmp_path / "pkg" / "requirements.txt").write_text("surely-absent-cm-dist>=1\n")
    result = run_cli("dev", "validate-strategy-package", "--format", "json", "pkg", cwd=tmp_path)
    assert result.stderr == ""
    doc = json.loads(result.stdout)
    assert doc["format_version"] == 1
    assert doc["tool"]["name"] == "compact-memory"
    assert doc["options"] == {"strict": False, "import_check": "skip"}
    assert doc["summary"] == {"packages": 1, "errors": 0, "warnings": 1, "infos": 0}
    assert doc["packages"][0] == {"path": "pkg", "manifest": "pkg/strategy_package.yaml", "strategy_id": "demo",
                                  "result": "pass", "errors": 0, "warnings": 1}
    (finding,) = doc["findings"]
    assert finding == {
        "code": "CM601", "severity": "warning", "file": "pkg/strategy_package.yaml", "line": 9, "column": 16,
        "json_path": "$.dependencies[0]", "message": "dependency 'surely-absent-cm-dist>=1' is not installed",
        "hint": "pip install 'surely-absent-cm-dist>=1'", "package": "pkg"}


def test_github_format(tmp_path: Path) -> None:
    write_package(tmp_path / "pkg", manifest_extra="extra: 1\n", readme=False)
    result = run_cli("dev", "validate-strategy-package", "--format", "github", "pkg", cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert lines[0] == "::warning file=pkg/strategy_package.yaml,title=CM303::the package has no README " \
                       "(hint: add README.md: what the strategy does, its parameters, how to install it)"
    assert lines[1].startswith("::error file=pkg/strategy_package.yaml,line=9,col=1,title=CM202::unknown key")
    assert result.returncode == 1


def test_github_escaping() -> None:
    assert escape_data("100% done\nnext\r") == "100%25 done%0Anext%0D"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    finding = Finding("CM205", "bad: 50%, really\nyes", "dir,x/a:b.yaml", 3, 4, hint="h")
    assert github_line(finding) == (
        "::error file=dir%2Cx/a%3Ab.yaml,line=3,col=4,title=CM205::bad: 50%25, really%0Ayes (hint: h)")


def test_usage_errors() -> None:
    assert run_cli("dev", "validate-strategy-package").returncode == 2
    result = run_cli("dev", "validate-strategy-package", ".", "--contract", "--import-check", "skip")
    assert result.returncode == 2 and "--contract" in result.stderr
    assert run_cli("dev", "validate-strategy-package", ".", "--format", "xml").returncode == 2


def test_the_validator_is_callable_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    write_package(tmp_path / "pkg")
    monkeypatch.chdir(tmp_path)
    report = run_validation(["pkg"])
    assert report.passed
    write(report, "text")
    assert "passed" in capsys.readouterr().out


def test_json_is_a_synonym_of_format_json(tmp_path: Path) -> None:
    write_package(tmp_path / "pkg")
    both = [run_cli("dev", "validate-strategy-package", *flags, "pkg", cwd=tmp_path)
            for flags in (["--json"], ["--format", "json"])]
    assert both[0].returncode == both[1].returncode == 0
    assert json.loads(both[0].stdout) == json.loads(both[1].stdout)


# --- import check ---------------------------------------------------------------------------


def test_import_check_auto_skips_when_dependencies_are_missing(tmp_path: Path) -> None:
    write_package(tmp_path / "pkg", manifest_extra='dependencies: ["surely-absent-cm-dist"]\n')
    (tmp_path / "pkg" / "requirements.txt").write_text("surely-absent-cm-dist\n")
    code, doc = validate("pkg", "--import-check", "auto", cwd=tmp_path)
    assert sorted(f["code"] for f in doc["findings"]) == ["CM601", "CM705"]
    assert code == 0


def test_import_check_auto_runs_when_ready(tmp_path: Path) -> None:
    write_package(tmp_path / "pkg", module="raise ImportError('needs a model')\n")
    code, doc = validate("pkg", "--import-check", "auto", cwd=tmp_path)
    assert code == 1
    found = [(f["code"], f["file"], f["line"]) for f in doc["findings"]]
    assert ("CM701", "pkg/strategy.py", 1) in found  # and CM402: the module defines no class


def test_import_that_loops_forever_times_out(tmp_path: Path) -> None:
    # The plugin also starts a process that would hold our stderr pipe open for 10 minutes: the
    # whole process group is killed at the timeout, or this test would hang.
    write_package(tmp_path / "pkg", module="import subprocess, sys\n"
                  "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
                  "while True:\n    pass\n")
    code, doc = validate("pkg", "--import-check", "require", "--timeout", "2", cwd=tmp_path)
    assert code == 1
    assert [f["code"] for f in doc["findings"]] == ["CM402", "CM702"]  # CM402: no class, statically


def test_import_does_not_write_bytecode_into_the_package(tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg")
    assert validate("pkg", "--import-check", "require", cwd=tmp_path)[0] == 0
    assert not (pkg / "__pycache__").exists()


def test_contract_checks_run_in_the_subprocess(tmp_path: Path) -> None:
    pytest.importorskip("compact_memory.testing")
    code, doc = validate(str(REPO / "examples" / "sample_strategy_package"), "--contract", cwd=tmp_path)
    assert code == 0, doc["findings"]
    # A strategy that ignores its budget fails the contract but imports fine.
    write_package(tmp_path / "pkg", module=(
        "from compact_memory.compression import CompressedMemory, CompressionStrategy, CompressionTrace\n\n\n"
        "class Demo(CompressionStrategy):\n"
        '    id = "demo"\n\n'
        "    def compress(self, text_or_chunks, llm_token_budget, **kwargs):\n"
        "        text = text_or_chunks if isinstance(text_or_chunks, str) else ' '.join(text_or_chunks)\n"
        "        return CompressedMemory(text=text + ' extra words'), CompressionTrace(strategy_name=self.id,"
        " strategy_params={})\n"))
    code, doc = validate("pkg", "--contract", cwd=tmp_path)
    assert code == 1
    assert [f["code"] for f in doc["findings"]] == ["CM706"]


# --- the codes table ------------------------------------------------------------------------


def test_every_code_is_documented_with_its_fix() -> None:
    docs = (REPO / "docs" / "validator.md").read_text()
    assert codes_module.markdown_table() in docs
    for code in codes_module.CODES:
        assert re.fullmatch(r"CM\d{3}", code)


def test_every_emitted_code_is_in_the_table() -> None:
    packages = ("validation", "community", "diagnostics")
    source = "".join(p.read_text() for d in packages for p in (REPO / "compact_memory" / d).glob("*.py"))
    emitted = set(re.findall(r'"(CM\d{3})"', source))
    assert emitted <= set(codes_module.CODES)


def test_text_parser_roundtrip(tmp_path: Path) -> None:
    write_package(tmp_path / "pkg", manifest_extra="x: 1\n", readme=False)
    result = run_cli("dev", "validate-strategy-package", "pkg", cwd=tmp_path)
    assert [(f["code"], f["line"]) for f in parse_text(result.stdout)] == [("CM303", None), ("CM202", 9)]
