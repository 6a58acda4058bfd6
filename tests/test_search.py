"""``dev search``: the shipped index and --index files, installed state, findings with file:line."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import REPO, run_cli

SAMPLE = REPO / "examples" / "sample_strategy_package"

COMMIT = "0123456789abcdef0123456789abcdef01234567"
LOCAL_INDEX = f"""\
index_format_version: "2.0"
strategies:
  - id: section_digest
    display_name: "Section digest"
    description: "A newer release of the sample."
    authors: ["compact-memory developers"]
    version: "0.2.0"
    install:
      git: {{url: "https://github.com/compact-memory/compact-memory", commit: "{COMMIT}", tag: v0.2.0,
             subdirectory: examples/sample_strategy_package}}
  - id: team_glossary
    display_name: "Team glossary"
    description: "Keeps sentences that define our internal terms."
    authors: ["Platform team"]
    version: "1.0"
    tags: [glossary, internal]
    install:
      pip: {{requirement: "team-glossary-strategy==1.0"}}
"""


def search(*args: str) -> tuple[int, str, str]:
    result = run_cli("dev", "search", *args)
    return result.returncode, result.stdout, result.stderr


def search_json(*args: str) -> dict:
    code, out, err = search(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_lists_the_shipped_index() -> None:
    code, out, err = search()
    assert code == 0, err
    assert out.startswith("section_digest  Section digest  0.1.0\n")
    assert "status: not installed" in out
    assert "    install: compact-memory dev install-strategy-package section_digest\n" in out
    assert "    source: git https://github.com/compact-memory/compact-memory at " in out
    assert "1 strategy listed (1 in 1 index)" in err


def test_every_word_must_match() -> None:
    assert [r["id"] for r in search_json("HEADING", "digest")["results"]] == ["section_digest"]
    assert search_json("heading", "zebra")["results"] == []
    code, out, err = search("zebra")
    assert (code, out) == (0, "") and "0 strategies matching 'zebra'" in err


def test_json_document() -> None:
    doc = search_json("digest")
    assert doc["format_version"] == 1 and doc["query"] == "digest" and doc["findings"] == []
    (index,) = doc["indexes"]
    assert index["shipped"] and index["entries"] == 1 and index["errors"] == 0
    (hit,) = doc["results"]
    assert hit["state"] == "not_installed" and hit["active"] is None and hit["installed"] == []
    git = hit["install"]["git"]
    assert (git["url"], git["subdirectory"]) == ("https://github.com/compact-memory/compact-memory",
                                                 "examples/sample_strategy_package")
    assert len(git["commit"]) == 40 and hit["install_commands"] == [
        "compact-memory dev install-strategy-package section_digest"]
    assert hit["update_available"] is False and isinstance(hit["line"], int)


def test_shows_installed_and_active(user_plugin_dir: Path, tmp_path: Path) -> None:
    installed = run_cli("dev", "install-strategy-package", str(SAMPLE))
    assert installed.returncode == 0, installed.stderr
    dest = user_plugin_dir / "section_digest"
    (hit,) = search_json("section")["results"]
    assert hit["state"] == "active"
    assert hit["active"] == {"source": "local", "origin": str(dest), "version": "0.1.0", "status": "active",
                             "reason": None, "error": None}
    code, out, _ = search("section")
    assert code == 0
    assert f"status: installed, active: local {dest} 0.1.0\n" in out

    disabled = run_cli("--no-plugins", "dev", "search", "section", "--json")
    (hit,) = json.loads(disabled.stdout)["results"]
    assert hit["state"] == "inactive" and hit["installed"][0]["status"] == "disabled"

    # A local index lists a newer version: it wins over the shipped entry and an update is offered.
    index = tmp_path / "team.yaml"
    index.write_text(LOCAL_INDEX, encoding="utf-8")
    doc = search_json("--index", str(index))
    assert [i["shipped"] for i in doc["indexes"]] == [False, True]
    hits = {h["id"]: h for h in doc["results"]}
    assert sorted(hits) == ["section_digest", "team_glossary"]
    assert hits["section_digest"]["version"] == "0.2.0" and hits["section_digest"]["update_available"] is True
    assert hits["team_glossary"]["install_commands"] == [
        f"compact-memory dev install-strategy-package --index {index} team_glossary"]
    _, out, _ = search("--index", str(index), "digest")
    assert f"(update available: 0.2.0: compact-memory dev install-strategy-package --index {index} --upgrade " \
           "section_digest)" in out
    assert f"source: git https://github.com/compact-memory/compact-memory at {COMMIT} (v0.2.0) in " \
           "examples/sample_strategy_package" in out


def test_tags_rank_first(tmp_path: Path) -> None:
    index = tmp_path / "team.yaml"
    index.write_text(LOCAL_INDEX, encoding="utf-8")
    doc = search_json("--index", str(index), "glossary")
    assert [h["id"] for h in doc["results"]] == ["team_glossary"]
    assert [h["id"] for h in search_json("--index", str(index))["results"]] == ["section_digest", "team_glossary"]


def test_a_bad_local_index_gives_findings_with_lines(tmp_path: Path) -> None:
    index = tmp_path / "team.yaml"
    index.write_text(LOCAL_INDEX.replace('version: "1.0"\n    tags', "version: 1.0\n    tags"), encoding="utf-8")
    code, out, err = search("--index", str(index))
    assert code == 1
    assert f"{index}:15:14: error CM204 strategies[1].version must be text, but YAML reads 1.0 as a number " \
           '(hint: quote it: version: "1.0")' in err
    # The good entries are still found.
    assert "section_digest" in out and "team_glossary" not in out

    code, out, _ = search("--index", str(index), "--json")
    doc = json.loads(out)
    assert code == 1
    assert [(f["code"], f["line"], f["json_path"]) for f in doc["findings"]] == [
        ("CM204", 15, "$.strategies[1].version")]
    assert doc["indexes"][0]["errors"] == 1 and doc["indexes"][1]["shipped"]


def test_a_missing_or_broken_index_file(tmp_path: Path) -> None:
    code, _, err = search("--index", str(tmp_path / "nope.yaml"))
    assert code == 1 and "nope.yaml: error CM001 no such file" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("strategies: [\n", encoding="utf-8")
    code, _, err = search("--index", str(broken))
    assert code == 1 and "broken.yaml:2:1: error CM104" in err
