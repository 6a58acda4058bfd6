"""The manifest cache (compact_memory/manifest_cache.py) never changes what listing says.

Every case lists through the real CLI with the cache off, cold and warm and
compares the JSON documents; edits that keep a file's size and modification
time, broken manifests, removed packages and every kind of damaged cache file
are seen exactly as without a cache.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import run_cli
from plugin_factory import local_plugin
from validate_helpers import CORPUS

from compact_memory.manifest_cache import SETTLE_SECONDS, group_file

PACKAGES = sorted(p for kind in ("valid", "invalid") for p in (CORPUS / kind).iterdir() if p.is_dir())
HOSTILE = sorted((CORPUS.parent / "hostile" / "manifests").glob("*.yaml"))


def settle() -> None:
    """Files younger than SETTLE_SECONDS are never cached; wait until the ones just written are older."""
    time.sleep(SETTLE_SECONDS + 0.2)


def cache_file(home: Path, plugins: Path) -> Path:
    """The cache file of the packages in ``plugins``."""
    return group_file(home / ".cache" / "compact_memory" / "manifests", os.path.abspath(plugins))


def listing(plugins: Path, **env: str) -> dict[str, object]:
    result = run_cli("dev", "list-strategies", "--json", env={"COMPACT_MEMORY_PLUGINS_PATH": str(plugins), **env})
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "this is a bug" not in result.stderr, result.stderr
    document: dict[str, object] = json.loads(result.stdout)
    return document


def uncached(plugins: Path) -> dict[str, object]:
    return listing(plugins, COMPACT_MEMORY_NO_CACHE="1")


def test_the_whole_corpus_lists_the_same_off_cold_and_warm(tmp_path: Path, user_plugin_dir: Path) -> None:
    home = Path(os.environ["HOME"])
    plugins = tmp_path / "plugins"
    for package in PACKAGES:
        shutil.copytree(package, plugins / f"{package.parent.name}__{package.name}", symlinks=True)
    for manifest in HOSTILE:
        shutil.copytree(CORPUS / "valid" / "minimal", plugins / f"hostile__{manifest.stem}")
        shutil.copy(manifest, plugins / f"hostile__{manifest.stem}" / "strategy_package.yaml")
    settle()
    expected = uncached(plugins)
    assert not cache_file(home, plugins).exists()
    assert listing(plugins) == expected  # cold: reads every manifest and writes the cache
    entries = json.loads(cache_file(home, plugins).read_text(encoding="utf-8"))["entries"]
    assert len(entries) > len(PACKAGES) // 2
    assert listing(plugins) == expected  # warm: from the cache wherever it may be used


def test_a_warm_listing_parses_no_yaml(tmp_path: Path, user_plugin_dir: Path) -> None:
    plugins = tmp_path / "plugins"
    for i in range(3):
        local_plugin(plugins, f"p{i}", f"plugin_{i}")
    settle()
    expected = uncached(plugins)
    env = {"COMPACT_MEMORY_PLUGINS_PATH": str(plugins)}
    probe = ("import runpy, sys; sys.argv = ['compact-memory', 'dev', 'list-strategies', '--json'];\n"
             "try: runpy.run_module('compact_memory', run_name='__main__')\n"
             "except SystemExit: pass\n"
             "sys.stderr.write('yaml loaded' if 'yaml' in sys.modules else 'no yaml')")
    cold, warm = (subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                                 env={**os.environ, **env}) for _ in range(2))
    assert cold.stderr.endswith("yaml loaded") and warm.stderr.endswith("no yaml")
    assert json.loads(warm.stdout) == expected
    # A plugin found through its cached manifest runs like one read afresh.
    words = ["compress", "--text", "alpha beta gamma delta", "--budget", "3", "-s", "plugin_1", "--json"]
    used, fresh = run_cli(*words, env=env), run_cli(*words, env={**env, "COMPACT_MEMORY_NO_CACHE": "1"})
    assert used.returncode == 0 and fresh.returncode == 0, used.stderr + fresh.stderr
    ran, again = json.loads(used.stdout), json.loads(fresh.stdout)
    assert ran["stats"]["strategy"] == "plugin_1" and ran["text"] == again["text"] == "alpha beta"


def test_edits_are_seen_even_when_size_and_mtime_stay(tmp_path: Path, user_plugin_dir: Path) -> None:
    plugins = tmp_path / "plugins"
    for i in range(4):
        local_plugin(plugins, f"p{i}", f"plugin_{i}")
    settle()
    listing(plugins)  # warm the cache
    manifest = plugins / "p0" / "strategy_package.yaml"
    before = manifest.stat()
    text = manifest.read_text(encoding="utf-8")
    assert "plugin_0" in text
    manifest.write_text(text.replace("Plugin plugin_0", "Plugin PLUGIN_0"), encoding="utf-8")
    os.utime(manifest, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert manifest.stat().st_size == before.st_size and manifest.stat().st_mtime_ns == before.st_mtime_ns
    after_edit = listing(plugins)
    assert after_edit == uncached(plugins)
    assert "Plugin PLUGIN_0" in json.dumps(after_edit)

    (plugins / "p1" / "strategy_package.yaml").write_text("strategy_id: [unclosed\n", encoding="utf-8")
    shutil.rmtree(plugins / "p2")
    broken = listing(plugins)
    assert broken == uncached(plugins)
    rows = {row["origin"]: row for row in broken["strategies"] if row["source"] == "local"}  # type: ignore[attr-defined]
    assert rows[str(plugins / "p1")]["status"] == "error" and str(plugins / "p2") not in rows
    home = Path(os.environ["HOME"])
    kept = json.loads(cache_file(home, plugins).read_text(encoding="utf-8"))["entries"]
    assert sorted(Path(key).name for key in kept) == ["p3"]  # p2's entry went with it; p0, p1 are too new


def damaged(name: str, cache: Path, good: dict[str, object]) -> None:
    """Replace the cache file with a damaged one of kind ``name``."""
    entries: dict[str, dict[str, object]] = good["entries"]  # type: ignore[assignment]
    first = next(iter(entries))
    if name == "fifo":
        cache.unlink()
        os.mkfifo(cache)
        return
    if name == "directory":
        cache.unlink()
        cache.mkdir()
        return
    if name == "group_writable":
        data = dict(good, entries={key: dict(e, findings=[]) for key, e in entries.items()})
        cache.write_text(json.dumps(data), encoding="utf-8")
        cache.chmod(0o664)
        return
    raw = {
        "garbage": b"\x00\xff not json",
        "empty": b"",
        "a_list": b"[]",
        "another_format": json.dumps(dict(good, format=999)).encode(),
        "another_version": json.dumps(dict(good, version="0.0.0")).encode(),
        "entries_a_list": json.dumps(dict(good, entries=[])).encode(),
        "entry_a_string": json.dumps(dict(good, entries={first: "x"})).encode(),
        "doc_of_wrong_shape": json.dumps(dict(good, entries={k: dict(e, doc={"data": {}, "values": 3})
                                                             for k, e in entries.items()})).encode(),
        "finding_without_code": json.dumps(dict(good, entries={k: dict(e, findings=[{"message": "x"}])
                                                               for k, e in entries.items()})).encode(),
        "deeply_nested": b'{"entries":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    }[name]
    cache.write_bytes(raw)


DAMAGE = ["garbage", "empty", "a_list", "another_format", "another_version", "entries_a_list", "entry_a_string",
          "doc_of_wrong_shape", "finding_without_code", "deeply_nested", "fifo", "directory", "group_writable"]


@pytest.mark.parametrize("kind", DAMAGE)
def test_a_damaged_cache_changes_nothing(kind: str, tmp_path: Path, user_plugin_dir: Path) -> None:
    if kind in ("fifo", "group_writable") and os.name != "posix":
        pytest.skip("POSIX file kinds and modes")
    home = Path(os.environ["HOME"])
    plugins = tmp_path / "plugins"
    local_plugin(plugins, "p0", "plugin_0")
    (plugins / "broken").mkdir()
    (plugins / "broken" / "strategy_package.yaml").write_text("strategy_id: broken\nversion: [\n", encoding="utf-8")
    settle()
    expected = uncached(plugins)
    listing(plugins)
    cache = cache_file(home, plugins)
    damaged(kind, cache, json.loads(cache.read_text(encoding="utf-8")))
    assert listing(plugins) == expected
    assert listing(plugins) == expected  # and again, after the command replaced or skipped it


def test_no_cache_writes_nothing_and_recent_files_are_not_kept(tmp_path: Path, user_plugin_dir: Path) -> None:
    home = Path(os.environ["HOME"])
    plugins = tmp_path / "plugins"
    local_plugin(plugins, "p0", "plugin_0")
    uncached(plugins)
    assert not cache_file(home, plugins).exists()
    listing(plugins)  # the manifest is seconds old: read, not kept
    assert not cache_file(home, plugins).exists()


def test_runs_at_once_agree_and_leave_one_whole_cache(tmp_path: Path, user_plugin_dir: Path) -> None:
    home = Path(os.environ["HOME"])
    plugins = tmp_path / "plugins"
    for i in range(20):
        local_plugin(plugins, f"p{i:02d}", f"plugin_{i:02d}")
    if os.name == "posix" and sys.platform != "darwin":  # a name that is not UTF-8 (macOS refuses those)
        local_plugin(Path(os.fsdecode(bytes(plugins))), os.fsdecode(b"caf\xe9"), "plugin_latin1")
    settle()
    expected = uncached(plugins)
    env = {**os.environ, "COMPACT_MEMORY_PLUGINS_PATH": str(plugins)}
    runs = [subprocess.Popen([sys.executable, "-m", "compact_memory", "dev", "list-strategies", "--json"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(8)]
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0 and "Traceback" not in err, err
        assert json.loads(out) == expected
    cache = cache_file(home, plugins)
    assert len(json.loads(cache.read_text(encoding="utf-8"))["entries"]) == len(list(plugins.iterdir()))
    assert [p.name for p in cache.parent.iterdir()] == [cache.name]  # no temporary file left behind
    assert listing(plugins) == expected  # warm, non-UTF-8 name included
