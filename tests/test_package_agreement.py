"""The runtime and the validator read packages with one model and never contradict each other.

The rule (docs/plugins.md): every package the validator passes, the runtime
loads; every package the runtime refuses, the validator fails. The runtime
may load what the validator fails (a manifest quirk the original Compact
Memory accepted, with a warning naming the code to fix).

Both sides run as a user runs them: ``dev list-strategies --json`` over a
plugin directory holding every package of the corpus, and
``dev validate-strategy-package --json`` over the same directories.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_cli
from validate_helpers import CORPUS

PACKAGES = sorted(p for kind in ("valid", "invalid") for p in (CORPUS / kind).iterdir() if p.is_dir())


def generated_cases(root: Path) -> list[Path]:
    """Cases too large to commit: many plain keys and values, which are no alias bomb."""
    base = (CORPUS / "valid" / "minimal" / "strategy_package.yaml").read_text(encoding="utf-8")
    cases = {
        "many_tags": base + "tags:\n" + "".join(f"  - t{i}\n" for i in range(60_000)),
        "many_keys": base + "".join(f"k{i}: {i}\n" for i in range(60_000)),
    }
    made = []
    for name, manifest in cases.items():
        package = root / name
        shutil.copytree(CORPUS / "valid" / "minimal", package)
        (package / "strategy_package.yaml").write_text(manifest, encoding="utf-8")
        made.append(package)
    return made


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bool, bool, list[str]]]:
    """package name -> (validator passed, runtime loads it, validator codes)."""
    plugins = tmp_path_factory.mktemp("agreement")
    for package in PACKAGES:
        shutil.copytree(package, plugins / f"{package.parent.name}__{package.name}", symlinks=True)
    generated_cases(plugins)
    listed = run_cli("dev", "list-strategies", "--json", env={"COMPACT_MEMORY_PLUGINS_PATH": str(plugins)})
    assert listed.returncode == 0, listed.stderr
    runtime = {Path(row["origin"]).name: row["status"] != "error"
               for row in json.loads(listed.stdout)["strategies"] if row["source"] == "local"}
    checked = run_cli("dev", "validate-strategy-package", "--json", *sorted(str(p) for p in plugins.iterdir()))
    doc = json.loads(checked.stdout)
    out = {}
    for package in doc["packages"]:
        name = Path(package["path"]).name
        codes = sorted({f["code"] for f in doc["findings"] if f["package"] == package["path"]
                        and f["severity"] == "error"})
        out[name] = (package["result"] == "pass", runtime[name], codes)
    assert len(out) == len(PACKAGES) + 2
    return out


def test_what_the_validator_passes_the_runtime_loads(verdicts: dict[str, tuple[bool, bool, list[str]]]) -> None:
    assert [name for name, (passed, loads, _) in verdicts.items() if passed and not loads] == []


def test_what_the_runtime_refuses_the_validator_fails(verdicts: dict[str, tuple[bool, bool, list[str]]]) -> None:
    assert [name for name, (passed, loads, _) in verdicts.items() if not loads and passed] == []
    refused = sorted(name for name, (_, loads, _) in verdicts.items() if not loads)
    # Unreadable or unsafe YAML, or a problem with a key the loader needs; nothing else stops the runtime.
    assert refused == ["invalid__alias_bomb", "invalid__bad_values", "invalid__manifest_list",
                       "invalid__manifest_scalar", "invalid__python_tag", "invalid__unknown_key",
                       "invalid__utf16_manifest", "invalid__wrong_types", "invalid__yaml_syntax"]


@pytest.mark.parametrize(("name", "passes"), [
    ("valid__brackets_in_text", True),  # 70 "[" inside a quoted string are text, not nesting
    ("invalid__utf16_manifest", False),  # refused by both: manifests are UTF-8
    ("many_tags", True),  # 60,000 values written out are no alias bomb (CM106)
    ("many_keys", False),  # unknown keys: the validator fails, the runtime loads with a warning
])
def test_the_cases_that_used_to_disagree(verdicts: dict[str, tuple[bool, bool, list[str]]], name: str,
                                         passes: bool) -> None:
    passed, loads, codes = verdicts[name]
    assert passed is passes, codes
    assert "CM106" not in codes
    assert loads is (name != "invalid__utf16_manifest")
