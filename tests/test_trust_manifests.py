"""Hostile manifests and metadata (tests/data/hostile/manifests, plus what cannot be committed) never hang,
never run code, never reach the terminal raw, and never break a built-in or another plugin.

Each case is planted as a local plugin next to a good one; the listing, a built-in ``compress``, using the
planted id, and the validator (text and GitHub formats) all run as a user would, each under a timeout.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import REPO
from hostile import run
from plugin_factory import STRATEGY_SOURCE, installed_dist, local_plugin, manifest_text

CORPUS = REPO / "tests" / "data" / "hostile" / "manifests"
COMMITTED = sorted(p.name for p in CORPUS.glob("*.yaml"))
GOOD_SOURCE = STRATEGY_SOURCE.format(class_name="PluginStrategy", class_id="hostile", display_name="x", marker="")


def generated(name: str, manifest: Path) -> None:
    """Cases that cannot be committed as files."""
    if name == "fifo":
        os.mkfifo(manifest)
    elif name == "huge":
        manifest.write_text(manifest_text("hostile") + "description: \"" + "x" * 2_000_000 + "\"\n")
    elif name == "directory":
        manifest.mkdir()
    elif name == "link_to_dev_zero":
        manifest.symlink_to("/dev/zero")


CASES = COMMITTED + (["fifo", "huge", "directory", "link_to_dev_zero"] if os.name == "posix" else [])


@pytest.fixture
def planted(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[dict[str, str], Path]:
    name = request.param
    plugins = tmp_path / "plugins"
    package = plugins / "planted"
    package.mkdir(parents=True)
    (package / "strategy.py").write_text(GOOD_SOURCE, encoding="utf-8")
    if name in COMMITTED:
        shutil.copy(CORPUS / name, package / "strategy_package.yaml")
    else:
        generated(name, package / "strategy_package.yaml")
    local_plugin(plugins, "good", "good_one")
    return {"COMPACT_MEMORY_PLUGINS_PATH": str(plugins)}, package


@pytest.mark.parametrize("planted", CASES, indirect=True)
def test_a_planted_manifest_breaks_nothing(planted: tuple[dict[str, str], Path], tmp_path: Path) -> None:
    env, package = planted
    marker = Path("/tmp/cm-hostile-ran")
    listed = run("dev", "list-strategies", "--json", env=env, timeout=30)
    assert listed.returncode == 0
    rows = json.loads(listed.stdout)["strategies"]
    assert {r["id"]: r["status"] for r in rows}["good_one"] == "active"
    assert run("dev", "list-strategies", env=env, timeout=30).returncode == 0
    for strategy in ("truncate", "good_one"):
        assert run("compress", "--text", "alpha beta gamma", "--budget", "2", "-s", strategy, env=env,
                   timeout=30).returncode == 0
    used = run("compress", "--text", "alpha beta", "--budget", "2", "-s", "hostile", env=env, timeout=30)
    assert used.returncode in (0, 1, 2)
    for fmt in ("text", "github"):
        checked = run("dev", "validate-strategy-package", "--format", fmt, str(package), timeout=30)
        assert checked.returncode in (0, 1)
        if fmt == "github":
            assert all(line.startswith(("::error ", "::warning ", "::notice ")) or not line.startswith("::")
                       for line in checked.stdout.splitlines())
            assert "::warning file=a::" not in checked.stdout
    assert not marker.exists(), "a YAML tag was constructed"


def test_hostile_metadata_on_the_import_path_never_hangs(tmp_path: Path) -> None:
    """A FIFO as entry_points.txt or METADATA in a dist-info on sys.path, and a huge one."""
    site = tmp_path / "site"
    info = installed_dist(site, "fifo-points", {"x": "x.strategy:S"})
    (info / "entry_points.txt").unlink()
    os.mkfifo(info / "entry_points.txt")
    other = installed_dist(site, "fifo-metadata", {"meta_ok": "meta_ok.strategy:S"})
    (other / "METADATA").unlink()
    os.mkfifo(other / "METADATA")
    big = installed_dist(site, "huge-points", {"y": "y.strategy:S"})
    (big / "entry_points.txt").write_text("[compact_memory.strategies]\n" + "z = a:b\n" * 2_000_000)
    env = {"PYTHONPATH": str(site)}
    for argv in (["dev", "list-strategies", "--json"], ["compress", "--text", "a b", "--budget", "1", "-s", "truncate"],
                 ["compress", "--text", "a b", "--budget", "1"]):
        assert run(*argv, env=env, timeout=30).returncode == 0


def test_python_m_ignores_what_lies_in_the_working_directory(tmp_path: Path) -> None:
    """A planted yaml.py and a planted *.dist-info that overrides a built-in: neither is used."""
    (tmp_path / "yaml.py").write_text("raise SystemExit('planted yaml.py ran')\n")
    installed_dist(tmp_path, "planted", {"extractive": "planted_mod:Evil"},
                   modules={"planted_mod.py": "raise SystemExit('planted plugin ran')\n"})
    result = run("compress", "--text", "alpha beta gamma delta", "--budget", "2", cwd=tmp_path, timeout=30)
    assert result.returncode == 0 and "planted" not in result.stderr
    listed = run("dev", "list-strategies", "--json", cwd=tmp_path, timeout=30)
    assert all(r["source"] != "entry_point" for r in json.loads(listed.stdout)["strategies"])
    local_plugin(tmp_path / "plugins", "pkg", "pkg")
    checked = run("dev", "validate-strategy-package", str(tmp_path / "plugins" / "pkg"), cwd=tmp_path, timeout=30)
    assert "planted" not in checked.stderr


def test_risky_permissions_and_owners_are_warned_about(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    package = local_plugin(plugins, "risky", "risky")
    os.chmod(package / "strategy.py", 0o666)
    env = {"COMPACT_MEMORY_PLUGINS_PATH": str(plugins)}
    listed = run("compress", "--text", "a b", "--budget", "1", "-s", "risky", env=env)
    assert f"{package / 'strategy.py'} is writable by other users" in listed.stderr
    os.chmod(package / "strategy.py", 0o644)
    os.chmod(plugins, 0o777)
    assert "is writable by other users" in run("compress", "--text", "a", "--budget", "1", "-s", "risky",
                                               env=env).stderr
    os.chmod(plugins, 0o755)
    if hasattr(os, "chown") and os.geteuid() == 0:
        os.chown(package, 65534, 65534)
        assert "belongs to another user" in run("compress", "--text", "a", "--budget", "1", "-s", "risky",
                                                env=env).stderr


HOSTILE_INDEXES = sorted((Path(__file__).parent / "data" / "hostile" / "indexes").glob("*.yaml"))


@pytest.mark.parametrize("index", HOSTILE_INDEXES, ids=lambda p: p.stem)
def test_hostile_indexes_are_searched_and_refused_safely(index: Path, user_plugin_dir: Path) -> None:
    """Index values are data: shown escaped, never run; an install from them changes nothing."""
    (user_plugin_dir / "keep.txt").write_text("mine\n", encoding="utf-8")
    before = sorted(p.name for p in user_plugin_dir.iterdir())
    found = run("dev", "search", "--index", str(index))
    assert found.returncode in (0, 1)
    installed = run("dev", "install-strategy-package", "--index", str(index), "evil", "--yes")
    assert installed.returncode in (1, 2)
    assert len([line for line in installed.stderr.splitlines() if line.startswith("error:")]) == 1
    assert sorted(p.name for p in user_plugin_dir.iterdir()) == before
    assert not Path("/tmp/cm-pwned").exists()
