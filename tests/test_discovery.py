"""Discovery and precedence with real local directories and real dist-info folders."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import run_cli
from plugin_factory import installed_dist, local_plugin, strategy_module


def listing(env: dict[str, str], *extra: str) -> dict[str, list[dict]]:
    result = run_cli("dev", "list-strategies", "--json", *extra, env=env)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["format_version"] == 1
    by_id: dict[str, list[dict]] = {}
    for row in doc["strategies"]:
        by_id.setdefault(row["id"], []).append(row)
    return by_id


def active(rows: list[dict]) -> dict:
    (winner,) = [r for r in rows if r["status"] == "active"]
    return winner


def compress_with(env: dict[str, str], strategy: str, *extra: str) -> str:
    result = run_cli("compress", "--text", "alpha beta gamma delta", "--budget", "10", "--strategy", strategy,
                     *extra, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return tmp_path / "site"


def env_for(*, paths: list[Path] = (), site: Path | None = None, **more: str) -> dict[str, str]:
    env = {"COMPACT_MEMORY_PLUGINS_PATH": os.pathsep.join(str(p) for p in paths)}
    if site is not None:
        env["PYTHONPATH"] = str(site)
    env.update(more)
    return env


def test_builtins_listed_without_plugins() -> None:
    by_id = listing({})
    assert {"truncate", "first_last", "extractive", "prune", "pipeline"} <= set(by_id)
    assert active(by_id["truncate"])["source"] == "builtin"


def test_local_directory_wins_over_entry_point(tmp_path: Path, site: Path) -> None:
    local_plugin(tmp_path / "plugins", "mine", "shared_id", marker="LOCAL ")
    installed_dist(site, "ep-plugin", {"shared_id": "ep_plugin.strategy:EpStrategy"},
                   modules={"ep_plugin/__init__.py": "",
                            "ep_plugin/strategy.py": strategy_module("EpStrategy", "shared_id", "EP ")})
    env = env_for(paths=[tmp_path / "plugins"], site=site)
    rows = listing(env)["shared_id"]
    assert active(rows)["source"] == "local"
    (loser,) = [r for r in rows if r["source"] == "entry_point"]
    assert loser["status"] == "shadowed"
    assert "local directories win over entry points" in loser["reason"]
    assert loser["origin"] == "ep-plugin==1.0"
    assert compress_with(env, "shared_id").startswith("LOCAL")


def test_entry_point_plugin_used_when_alone(site: Path) -> None:
    installed_dist(site, "ep-plugin", {"ep_only": "ep_plugin.strategy:EpStrategy"},
                   modules={"ep_plugin/__init__.py": "",
                            "ep_plugin/strategy.py": strategy_module("EpStrategy", "ep_only", "EP ")})
    env = env_for(site=site)
    row = active(listing(env)["ep_only"])
    assert (row["source"], row["origin"], row["version"]) == ("entry_point", "ep-plugin==1.0", "1.0")
    assert compress_with(env, "ep_only").startswith("EP")


def test_earlier_plugin_path_wins(tmp_path: Path) -> None:
    local_plugin(tmp_path / "first", "pkg", "dup", marker="FIRST ")
    local_plugin(tmp_path / "second", "pkg", "dup", marker="SECOND ")
    env = env_for(paths=[tmp_path / "first", tmp_path / "second"])
    rows = listing(env)["dup"]
    assert active(rows)["origin"] == str(tmp_path / "first" / "pkg")
    (loser,) = [r for r in rows if r["status"] == "shadowed"]
    assert "earlier plugin path" in loser["reason"]
    assert compress_with(env, "dup").startswith("FIRST")


def test_env_paths_win_over_user_dir(tmp_path: Path, user_plugin_dir: Path) -> None:
    local_plugin(user_plugin_dir, "pkg", "dup", marker="USER ")
    local_plugin(tmp_path / "env", "pkg", "dup", marker="ENV ")
    env = env_for(paths=[tmp_path / "env"])
    rows = listing(env)["dup"]
    assert active(rows)["origin"] == str(tmp_path / "env" / "pkg")
    assert compress_with(env, "dup").startswith("ENV")
    # and the user dir alone is found too
    assert compress_with({}, "dup").startswith("USER")


def test_duplicate_ids_in_one_directory_are_reported_and_deterministic(tmp_path: Path) -> None:
    local_plugin(tmp_path / "p", "b_pkg", "dup", marker="B ")
    local_plugin(tmp_path / "p", "a_pkg", "dup", marker="A ")
    env = env_for(paths=[tmp_path / "p"])
    for _ in range(2):
        rows = listing(env)["dup"]
        assert active(rows)["origin"].endswith("a_pkg")
        (loser,) = [r for r in rows if r["status"] == "shadowed"]
        assert loser["origin"].endswith("b_pkg") and "duplicate id" in loser["reason"]


def test_duplicate_entry_points_first_distribution_wins(site: Path) -> None:
    for dist, marker in (("zeta-plugin", "Z "), ("alpha-plugin", "A ")):
        pkg = dist.replace("-", "_")
        installed_dist(site, dist, {"dup": f"{pkg}.strategy:S"},
                       modules={f"{pkg}/__init__.py": "", f"{pkg}/strategy.py": strategy_module("S", "dup", marker)})
    env = env_for(site=site)
    rows = listing(env)["dup"]
    assert active(rows)["origin"] == "alpha-plugin==1.0"
    assert "duplicate id" in next(r for r in rows if r["status"] == "shadowed")["reason"]
    assert compress_with(env, "dup").startswith("A")


def test_builtin_kept_unless_override_declared(tmp_path: Path) -> None:
    local_plugin(tmp_path / "p", "plain", "truncate", marker="PLUGIN ")
    env = env_for(paths=[tmp_path / "p"])
    rows = listing(env)["truncate"]
    assert active(rows)["source"] == "builtin"
    (plugin,) = [r for r in rows if r["source"] == "local"]
    assert "overrides_builtin" in plugin["reason"]
    assert not compress_with(env, "truncate").startswith("PLUGIN")


def test_declared_override_replaces_builtin(tmp_path: Path) -> None:
    local_plugin(tmp_path / "p", "over", "truncate", marker="PLUGIN ", extra="overrides_builtin: true\n")
    env = env_for(paths=[tmp_path / "p"])
    rows = listing(env)["truncate"]
    assert active(rows)["source"] == "local"
    (builtin,) = [r for r in rows if r["source"] == "builtin"]
    assert builtin["status"] == "shadowed" and "declares overrides_builtin" in builtin["reason"]
    assert compress_with(env, "truncate").startswith("PLUGIN")
    # --no-plugins brings the built-in back
    assert not compress_with(env, "truncate", "--no-plugins").startswith("PLUGIN")


def test_entry_point_override_declared_in_shipped_manifest(site: Path) -> None:
    from plugin_factory import manifest_text

    installed_dist(site, "ep-over", {"truncate": "ep_over.strategy:S"}, modules={
        "ep_over/__init__.py": "",
        "ep_over/strategy.py": strategy_module("S", "truncate", "EPOVER "),
        "ep_over/strategy_package.yaml": manifest_text("truncate", class_name="S", display_name="Shipped name",
                                                       extra="overrides_builtin: true\n"),
    })
    env = env_for(site=site)
    row = active(listing(env)["truncate"])
    assert (row["source"], row["display_name"], row["overrides_builtin"]) == ("entry_point", "Shipped name", True)
    assert compress_with(env, "truncate").startswith("EPOVER")


def test_entry_point_name_differing_from_class_id(site: Path) -> None:
    installed_dist(site, "mismatch", {"declared": "mismatch.strategy:S"},
                   modules={"mismatch/__init__.py": "", "mismatch/strategy.py": strategy_module("S", "actual")})
    env = env_for(site=site)
    assert active(listing(env)["declared"])["source"] == "entry_point"  # nothing imported to list
    result = run_cli("compress", "--text", "x", "--budget", "3", "--strategy", "declared", env=env)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "class id 'actual' does not match the entry point name 'declared'" in result.stderr
    checked = run_cli("dev", "list-strategies", "--json", "--check", env=env)
    assert checked.returncode == 1
    row = next(r for r in json.loads(checked.stdout)["strategies"] if r["id"] == "declared")
    assert row["load"]["ok"] is False and "does not match" in row["load"]["error"]


def test_invalid_entry_point_name_is_an_error_row(site: Path) -> None:
    installed_dist(site, "badname", {"Bad-Name": "badname.strategy:S"}, modules={"badname/__init__.py": ""})
    rows = listing(env_for(site=site))["Bad-Name"]
    assert rows[0]["status"] == "error" and "not a valid strategy id" in rows[0]["error"]


def test_disable_switches(tmp_path: Path) -> None:
    local_plugin(tmp_path / "p", "one", "one_id")
    local_plugin(tmp_path / "p", "two", "two_id")
    env = env_for(paths=[tmp_path / "p"])
    by_id = listing(env, "--no-plugins")
    assert by_id["one_id"][0]["status"] == "disabled" and by_id["two_id"][0]["status"] == "disabled"
    by_id = listing(env, "--disable-plugin", "one_id")
    assert by_id["one_id"][0]["status"] == "disabled" and by_id["two_id"][0]["status"] == "active"
    by_id = listing({**env, "COMPACT_MEMORY_DISABLE_PLUGINS": "two_id"})
    assert by_id["one_id"][0]["status"] == "active" and by_id["two_id"][0]["status"] == "disabled"
    by_id = listing({**env, "COMPACT_MEMORY_DISABLE_PLUGINS": "all"})
    assert {r[0]["status"] for k, r in by_id.items() if k.endswith("_id")} == {"disabled"}
    result = run_cli("compress", "--text", "x", "--budget", "3", "--strategy", "one_id", "--no-plugins", env=env)
    assert result.returncode == 1 and "disabled" in result.stderr and "Traceback" not in result.stderr
    # the flag is accepted before the command too
    assert run_cli("--no-plugins", "dev", "list-strategies", env=env).returncode == 0


def test_unknown_strategy_suggests(tmp_path: Path) -> None:
    result = run_cli("compress", "--text", "x", "--budget", "3", "--strategy", "truncat")
    assert result.returncode == 1
    assert "unknown strategy 'truncat'" in result.stderr and "did you mean 'truncate'" in result.stderr
    assert "first_last" in result.stderr and result.stderr.count("\n") == 1


def test_missing_unreadable_and_empty_paths_are_skipped_with_notes(tmp_path: Path) -> None:
    local_plugin(tmp_path / "good", "pkg", "good_id")
    (tmp_path / "a_file").write_text("not a dir")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        value = os.pathsep.join(["", str(tmp_path / "missing"), " ", str(tmp_path / "a_file"), str(locked),
                                 str(tmp_path / "good"), ""])
        quiet = run_cli("dev", "list-strategies", env={"COMPACT_MEMORY_PLUGINS_PATH": value})
        assert quiet.returncode == 0 and "good_id" in quiet.stdout and "note:" not in quiet.stderr
        loud = run_cli("-v", "dev", "list-strategies", env={"COMPACT_MEMORY_PLUGINS_PATH": value})
        assert loud.returncode == 0
        assert "does not exist" in loud.stderr and "not a directory" in loud.stderr
        if os.geteuid() != 0:  # root can read anything
            assert "cannot be read" in loud.stderr
    finally:
        locked.chmod(0o700)


def test_listing_and_resolving_write_nothing(tmp_path: Path, hermetic_env: Path) -> None:
    local_plugin(tmp_path / "p", "pkg", "some_id")
    def snapshot() -> list[tuple[str, float]]:
        return sorted((str(p), p.stat().st_mtime) for root in (hermetic_env, tmp_path) for p in root.rglob("*"))
    before = snapshot()
    env = env_for(paths=[tmp_path / "p"], PYTHONDONTWRITEBYTECODE="1")
    listing(env)
    compress_with(env, "some_id")
    assert snapshot() == before


def test_world_writable_plugin_directory_warns(tmp_path: Path) -> None:
    root = tmp_path / "shared"
    local_plugin(root, "pkg", "risky_id")
    root.chmod(0o777)
    result = run_cli("dev", "list-strategies", env=env_for(paths=[root]))
    assert result.returncode == 0
    assert "writable by other users" in result.stderr


def test_original_compact_memory_strategy_runs_from_local_dir(tmp_path: Path) -> None:
    source = '''
from compact_memory.compression.strategies_abc import CompressionStrategy, CompressedMemory
from compact_memory.compression.trace import CompressionTrace


class LegacyFirstWords(CompressionStrategy):
    id = "legacy_first_words"

    def compress(self, text_or_chunks, llm_token_budget, **kwargs):
        if isinstance(text_or_chunks, list):
            text_or_chunks = " ".join(text_or_chunks)
        words = text_or_chunks.split()[: llm_token_budget]
        trace = CompressionTrace(
            strategy_name=self.id,
            strategy_params={"llm_token_budget": llm_token_budget},
            input_summary={"input_length": len(text_or_chunks)},
            steps=[{"type": "cut", "details": {}}],
            output_summary={"output_length": len(" ".join(words))},
        )
        return CompressedMemory(text=" ".join(words)), trace
'''
    from plugin_factory import manifest_text

    local_plugin(tmp_path / "p", "legacy", "legacy_first_words",
                 manifest=manifest_text("legacy_first_words", class_name="LegacyFirstWords"), source=source)
    env = env_for(paths=[tmp_path / "p"])
    result = run_cli("compress", "--text", "one two three four five", "--budget", "3",
                     "--strategy", "legacy_first_words", "--json", env=env)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["text"] == "one two three"
    trace = doc["trace"]
    assert trace["strategy_params"] == {"llm_token_budget": 3}
    assert trace["input_summary"]["input_length"] == len("one two three four five")
    assert trace["input_summary"]["tokens"] == 5 and trace["output_summary"]["tokens"] == 3
    assert trace["tokenizer"] == "words" and trace["processing_ms"] >= 0
