"""community/strategies.yaml: valid, truthful, documented; bad entries give file:line:col findings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import REPO

from compact_memory.community import load_index, render_markdown, shipped_index_path
from compact_memory.community.render import REGENERATE
from compact_memory.diagnostics.render import text_line
from compact_memory.resources import schema_path
from compact_memory.validation.package import validate

INDEX = REPO / "community" / "strategies.yaml"
PAGE = REPO / "docs" / "community_strategies.md"

GOOD = """\
index_format_version: "2.0"
strategies:
  - id: alpha
    display_name: "Alpha"
    description: "Keeps the first sentence of every paragraph."
    authors: ["Ada"]
    version: "0.1.0"
    tags: [extractive]
    install:
      pip: {requirement: "compact-memory-alpha==0.1.0"}
"""
COMMIT = "0123456789abcdef0123456789abcdef01234567"
PIP = 'pip: {requirement: "compact-memory-alpha==0.1.0"}'


def community(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "compact_memory.community", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def findings_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "strategies.yaml"
    path.write_text(text, encoding="utf-8")
    return [text_line(f).replace(f"{path}:", "") for f in load_index(path, display=str(path)).findings]


def test_the_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads(schema_path("community_index").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    from compact_memory.diagnostics.schema_check import validator_for

    validator_for(schema).validate(yaml.safe_load(INDEX.read_text(encoding="utf-8")))


def test_the_shipped_index_is_the_repository_one_and_passes() -> None:
    assert shipped_index_path().resolve() == INDEX.resolve()
    index = load_index(INDEX)
    assert index.findings == [] and [e.id for e in index.entries] == ["section_digest"]


def test_entries_for_this_repository_match_their_manifests() -> None:
    """Truthful entries: the package exists, passes the validator strictly, and the copied fields agree."""
    for entry in load_index(INDEX).entries:
        if entry.method != "git" or entry.pin["url"] != "https://github.com/compact-memory/compact-memory":
            continue
        package = REPO / entry.pin["subdirectory"]
        manifest = yaml.safe_load((package / "strategy_package.yaml").read_text(encoding="utf-8"))
        assert (entry.id, entry.display_name, entry.version, list(entry.authors), entry.description) == (
            manifest["strategy_id"], manifest["display_name"], manifest["version"], manifest["authors"],
            manifest["description"])
        assert entry.compact_memory_version == manifest.get("compact_memory_version")
        assert validate([str(package)], strict=True).passed


def test_the_docs_page_is_up_to_date() -> None:
    expected = render_markdown(load_index(INDEX))
    assert PAGE.read_text(encoding="utf-8") == expected, f"{PAGE.name} is stale; regenerate it: {REGENERATE}"


def test_the_page_explains_how_to_get_listed() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert "## Getting listed" in page and "validate-strategy-package path/to/package --strict" in page
    assert "[`section_digest`](#section_digest)" in page


def test_a_good_index_has_no_findings(tmp_path: Path) -> None:
    assert findings_of(tmp_path, GOOD) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('version: "0.1.0"', "version: 0.1", '7:14: error CM204 strategies[0].version must be text, but YAML '
                                             'reads 0.1 as a number (hint: quote it: version: "0.1")'),
        ('version: "0.1.0"', 'version: "one"', "7:14: error CM205 version 'one' is not a PEP 440 version"),
        ("    tags:", "    tgas:", "8:5: error CM202 unknown key 'tgas' (hint: did you mean 'tags'?)"),
        ('    authors: ["Ada"]\n', "", "3:5: error CM201 strategies[0] missing required key 'authors'"),
        ('authors: ["Ada"]', "authors: []", "6:14: error CM205 strategies[0].authors must not be empty"),
        ("id: alpha", "id: Alpha", "3:9: error CM205 strategies[0].id 'Alpha' does not match the pattern"),
        ("[extractive]", "[Extractive Things]", "8:12: error CM205 strategies[0].tags[0] 'Extractive Things'"),
        (PIP, 'pip: {requirement: "alpha >= = 1"}', "10:26: error CM206 'alpha >= = 1' is not a PEP 508 requirement"),
        (PIP, 'pip: {requirement: "alpha>=0.1"}', "10:26: error CM206 'alpha>=0.1' does not pin one version with == "
                                               '(hint: pin the version the entry lists: "alpha==0.1.0")'),
        (PIP, 'pip: {requirement: "alpha==0.2.0"}', "10:26: error CM206 'alpha==0.2.0' pins 0.2.0, but the entry's "
                                                 "version is 0.1.0"),
        (PIP, 'pip: {requirement: "alpha==0.1.0", hashes: ["md5:abc"]}',
         "10:51: error CM205 strategies[0].install.pip.hashes[0] 'md5:abc' does not match the pattern"),
        (PIP, f'git: {{url: "http://example.com/a", commit: "{COMMIT}"}}',
         "10:18: error CM205 strategies[0].install.git.url 'http://example.com/a' does not match"),
        (PIP, 'git: {url: "https://example.com/a", commit: "v0.1.0"}',
         "10:51: error CM205 strategies[0].install.git.commit 'v0.1.0' does not match the pattern ^[0-9a-f]{40}$ "
         "(hint: The full 40-character hash"),
        (PIP, 'git: {url: "https://example.com/a"}', "10:12: error CM201 strategies[0].install.git missing required "
                                                  "key 'commit'"),
        (PIP, f'git: {{url: "https://example.com/a", commit: "{COMMIT}"}}\n      {PIP}',
         "10:7: error CM205 strategies[0].install has git and pip; give only one of them"),
        (PIP, "repository: https://example.com/a", "10:7: error CM202 unknown key 'repository' (hint: known keys: "
                                                  "git, pip)"),
        (f"install:\n      {PIP}", "install: {}",
         "9:14: error CM205 strategies[0].install needs one of the keys git, pip"),
        (PIP, f'git: {{url: "https://example.com/a", commit: "{COMMIT}", subdirectory: "../up"}}',
         "10:109: error CM205 strategies[0].install.git.subdirectory '../up' does not match"),
        ('index_format_version: "2.0"', 'index_format_version: "3.0"',
         '1:23: error CM205 index_format_version must be "2.0", not \'3.0\''),
        ('index_format_version: "2.0"', 'index_format_version: "1.0"',
         "1:23: error CM205 index format 1.0 does not pin what an entry installs; this compact-memory reads 2.0 "
         '(hint: write index_format_version: "2.0"'),
        ("    tags: [extractive]\n", '    tags: [extractive]\n    compact_memory_version: "~=banana"\n',
         "9:29: error CM206 '~=banana' is not a PEP 440 version specifier"),
    ],
)
def test_bad_fields_are_located(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in GOOD
    found = findings_of(tmp_path, GOOD.replace(old, new))
    assert any(f.startswith(expected) for f in found), found


def test_a_duplicate_id_names_the_first(tmp_path: Path) -> None:
    entry = GOOD.split("strategies:\n", 1)[1]
    found = findings_of(tmp_path, GOOD + entry)
    assert found == ["11:9: error CM801 strategy id 'alpha' is listed twice (first at line 3) "
                     "(hint: keep one entry per strategy id)"]


def test_bad_entries_are_left_out_good_ones_kept(tmp_path: Path) -> None:
    path = tmp_path / "strategies.yaml"
    second = GOOD.split("strategies:\n", 1)[1].replace("alpha", "beta").replace('"0.1.0"', "0.1")
    path.write_text(GOOD + second, encoding="utf-8")
    index = load_index(path)
    assert [e.id for e in index.entries] == ["alpha"] and index.errors == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "1:1: error CM108 the index must be a mapping of keys, but it is empty"),
        ("- a\n", "1:1: error CM108 the index must be a mapping of keys, but it is a list"),
        ("strategies: [\n", "2:1: error CM104"),
        ("index_format_version: !!python/object:os.system x\nstrategies: []\n", "1:23: error CM105"),
    ],
)
def test_unreadable_indexes(tmp_path: Path, text: str, expected: str) -> None:
    found = findings_of(tmp_path, text)
    assert found and found[0].startswith(expected), found


def test_check_command(tmp_path: Path) -> None:
    result = community("--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 index file checked (1 valid entries), passed" in result.stdout
    bad = tmp_path / "strategies.yaml"
    bad.write_text(GOOD.replace('version: "0.1.0"', "version: 0.1"), encoding="utf-8")
    result = community("--check", "strategies.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("strategies.yaml:7:14: error CM204 strategies[0].version must be text")
    assert "failed: 1 error" in result.stdout
    result = community("--check", "--format", "github", "strategies.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("::error file=strategies.yaml,line=7,col=14,title=CM204::")


def test_write_command(tmp_path: Path) -> None:
    index = tmp_path / "strategies.yaml"
    index.write_text(GOOD, encoding="utf-8")
    page = tmp_path / "page.md"
    result = community("--write", str(page), "--index", str(index))
    assert result.returncode == 0 and "wrote" in result.stderr
    assert page.read_text(encoding="utf-8") == render_markdown(load_index(index))
    assert "compact-memory dev install-strategy-package alpha" in page.read_text(encoding="utf-8")
    result = community("--write", str(page), "--index", str(index))
    assert result.returncode == 0 and "up to date" in result.stderr
    index.write_text(GOOD.replace("id: alpha", "id: Alpha"), encoding="utf-8")
    result = community("--write", str(page), "--index", str(index))
    assert result.returncode == 1 and "error CM205" in result.stderr and "was not written" in result.stderr
    assert community("--write", str(page), str(index)).returncode == 2


def test_the_wheel_ships_the_index() -> None:
    """pyproject maps community/strategies.yaml into the wheel, where data_path looks first."""
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    mapping = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert mapping.get("community/strategies.yaml") == "compact_memory/_data/community/strategies.yaml"


def test_printed_install_commands_expand_nothing_in_a_shell() -> None:
    import subprocess

    from compact_memory.community.index import _quote

    for text in ["team-glossary-strategy>=1.0", "https://github.com/o/r", "r;id`whoami`", 'x $(id) "q" \\b']:
        shown = subprocess.run(["bash", "-c", f"printf %s {_quote(text)}"], capture_output=True, text=True).stdout
        assert shown == text
