"""Installing from git URLs and from index entries pinned to a commit, with the real ``git`` over ``file://``.

The origin is a local bare repository holding a strategy package in a
subdirectory, at two commits: v0.1.0 (tagged) and v0.2.0 (HEAD). Every
refusal leaves the plugin directory exactly as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO
from hostile import assert_well_behaved
from hostile import run as run_cli
from test_install_strategy_package import bump, snapshot

SAMPLE = REPO / "examples" / "sample_strategy_package"
SUB = "strategies/digest"
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env, check=True)
    return done.stdout.strip()


@dataclass
class Origin:
    url: str  # file:// URL of the bare repository
    first: str  # commit of 0.1.0 (tag v0.1.0)
    second: str  # commit of 0.2.0 (HEAD of main)


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Origin:
    base = tmp_path_factory.mktemp("git")
    work = base / "work"
    shutil.copytree(SAMPLE, work / SUB, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (work / "README.md").write_text("A repository with a strategy package in strategies/digest.\n")
    git("init", "-q", "-b", "main", cwd=work)
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "0.1.0", cwd=work)
    git("tag", "v0.1.0", cwd=work)
    first = git("rev-parse", "HEAD", cwd=work)
    bump(work / SUB, "0.2.0")
    git("commit", "-q", "-am", "0.2.0", cwd=work)
    second = git("rev-parse", "HEAD", cwd=work)
    git("clone", "-q", "--bare", str(work), str(base / "origin.git"), cwd=base)
    return Origin((base / "origin.git").as_uri(), first, second)


def write_index(path: Path, *entries: dict[str, object]) -> Path:
    import yaml

    items = [{"id": "section_digest", "display_name": "Section digest", "description": "Digest.",
              "authors": ["t"], "version": "0.1.0", **entry} for entry in entries]
    path.write_text(yaml.safe_dump({"index_format_version": "2.0", "strategies": items}), encoding="utf-8")
    return path


def pinned(origin: Origin, commit: str, version: str = "0.1.0", subdirectory: str = SUB) -> dict[str, object]:
    return {"version": version, "install": {"git": {"url": origin.url, "commit": commit,
                                                    "subdirectory": subdirectory}}}


def installed_record(plugins: Path) -> dict[str, object]:
    data = json.loads((plugins / "section_digest" / ".compact-memory-install.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_a_git_url_at_a_tag_installs_that_commit(origin: Origin, user_plugin_dir: Path) -> None:
    result = run_cli("dev", "install-strategy-package", f"git+{origin.url}@v0.1.0#subdirectory={SUB}")
    assert result.returncode == 0, result.stderr
    assert f"plan: install section_digest 0.1.0 from git {origin.url} at commit {origin.first} in {SUB}" \
        in result.stderr
    record = installed_record(user_plugin_dir)
    assert record["version"] == "0.1.0"
    assert record["origin"] == {"git": origin.url, "commit": origin.first, "subdirectory": SUB,
                                "revision": "v0.1.0", "index_entry": None}
    listed = run_cli("dev", "list-strategies", "--json")
    rows = {row["id"]: row for row in json.loads(listed.stdout)["strategies"]}
    assert rows["section_digest"]["status"] == "active"


def test_an_index_id_round_trip_installs_the_pinned_commit_not_head(origin: Origin, user_plugin_dir: Path,
                                                         tmp_path: Path) -> None:
    before = snapshot(user_plugin_dir)
    index = write_index(tmp_path / "index.yaml", pinned(origin, origin.first))
    result = run_cli("dev", "install-strategy-package", "--index", str(index), "section_digest", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["result"] == "installed" and doc["version"] == "0.1.0"
    assert doc["origin"]["commit"] == origin.first != origin.second
    entry = doc["origin"]["index_entry"]
    assert entry["index"].endswith("index.yaml") and (entry["id"], entry["version"]) == ("section_digest", "0.1.0")
    text = "The plan. Second part here. And a third sentence for the digest."
    compressed = run_cli("compress", "--strategy", "section_digest", "--text", text, "--budget", "8")
    assert compressed.returncode == 0, compressed.stderr
    listed = json.loads(run_cli("dev", "list-strategies", "--json").stdout)
    assert next(r for r in listed["strategies"] if r["id"] == "section_digest")["status"] == "active"
    removed = run_cli("dev", "uninstall-strategy-package", "section_digest")
    assert removed.returncode == 0, removed.stderr
    assert snapshot(user_plugin_dir) == before


def test_upgrade_by_id_moves_to_the_listed_version(origin: Origin, user_plugin_dir: Path, tmp_path: Path) -> None:
    old = write_index(tmp_path / "old.yaml", pinned(origin, origin.first))
    assert run_cli("dev", "install-strategy-package", "--index", str(old), "section_digest").returncode == 0
    new = write_index(tmp_path / "new.yaml", pinned(origin, origin.second, "0.2.0"))
    found = run_cli("dev", "search", "--index", str(new), "digest")
    assert "status: installed, active: local" in found.stdout and "update available: 0.2.0" in found.stdout
    again = run_cli("dev", "install-strategy-package", "--index", str(new), "section_digest")
    assert again.returncode == 1 and "pass --upgrade" in again.stderr
    upgraded = run_cli("dev", "install-strategy-package", "--index", str(new), "section_digest", "--upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "upgraded from 0.1.0 to section_digest 0.2.0" in upgraded.stdout
    assert installed_record(user_plugin_dir)["origin"]["commit"] == origin.second  # type: ignore[index]
    assert "update available" not in run_cli("dev", "search", "--index", str(new), "digest").stdout


@pytest.mark.parametrize(("case", "needle"), [
    ("missing_commit", "revision 0123456789abcdef0123456789abcdef01234567 does not exist in"),
    ("missing_revision", "revision no-such-tag does not exist in"),
    ("not_a_repository", "cannot clone"),
    ("no_manifest", "has no strategy_package.yaml in strategies; nothing was copied"),
    ("unknown_id", "no strategy 'section_digst' in the 2 indexes in effect, and no directory 'section_digst' here "
                   "either (hint: did you mean section_digest?)"),
    ("plain_file", "not a directory, wheel or sdist"),
    ("ext_transport", "not a git URL this command clones"),
    ("invalid_package", "failed validation"),
])
def test_bad_sources_change_nothing(case: str, needle: str, origin: Origin, user_plugin_dir: Path,
                                    tmp_path: Path) -> None:
    (user_plugin_dir / "keep.txt").write_text("mine\n", encoding="utf-8")
    before = snapshot(user_plugin_dir)
    index = write_index(tmp_path / "index.yaml",
                        pinned(origin, "0123456789abcdef0123456789abcdef01234567"))
    source = {
        "missing_commit": ["--index", str(index), "section_digest"],
        "missing_revision": [f"git+{origin.url}@no-such-tag#subdirectory={SUB}"],
        "not_a_repository": [f"git+{(tmp_path / 'nothing.git').as_uri()}"],
        "no_manifest": [f"git+{origin.url}@v0.1.0#subdirectory=strategies"],
        "unknown_id": ["--index", str(index), "section_digst"],
        "plain_file": [str(index)],
        "ext_transport": ["git+ext::sh -c touch% /tmp/pwned"],
        "invalid_package": [f"git+{origin.url}@v0.1.0#subdirectory={SUB}/experiments"],
    }[case]
    if case == "invalid_package":  # a directory with a manifest that is not a package
        work = tmp_path / "bad"
        shutil.copytree(SAMPLE, work)
        (work / "strategy.py").write_text("x = 1\n", encoding="utf-8")
        git("init", "-q", cwd=work)
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", "bad", cwd=work)
        source = [f"git+{work.as_uri()}"]
    result = run_cli("dev", "install-strategy-package", *source)
    assert result.returncode in (1, 2), result.stderr
    assert needle in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert snapshot(user_plugin_dir) == before
    assert not Path("/tmp/pwned").exists()


def test_dry_run_prints_the_plan_and_changes_nothing(origin: Origin, user_plugin_dir: Path) -> None:
    before = snapshot(user_plugin_dir)
    result = run_cli("dev", "install-strategy-package", f"git+{origin.url}#subdirectory={SUB}", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert f"at commit {origin.second} in {SUB}" in result.stderr  # no revision: the default branch
    assert "dry run: nothing was changed" in result.stderr and result.stdout == ""
    assert snapshot(user_plugin_dir) == before


def _terminal_install(args: list[str], answer: bytes, cwd: Path) -> tuple[int, str]:
    """Run install with stdin and stderr on a pseudo-terminal, answering the question with ``answer``."""
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "compact_memory", "dev", "install-strategy-package", *args],
                               stdin=follower, stderr=follower, stdout=subprocess.PIPE, cwd=cwd)
    os.close(follower)
    shown = b""
    deadline = time.monotonic() + 60
    while b"[y/N]" not in shown and time.monotonic() < deadline and process.poll() is None:
        try:
            shown += os.read(leader, 4096)
        except OSError:
            break
    os.write(leader, answer)
    code = process.wait(timeout=60)
    try:
        while chunk := os.read(leader, 4096):
            shown += chunk
    except OSError:
        pass
    os.close(leader)
    assert process.stdout is not None
    process.stdout.close()
    return code, shown.decode("utf-8", "replace")


@pytest.mark.skipif(os.name != "posix", reason="needs a pseudo-terminal")
def test_a_terminal_is_asked_before_anything_changes(origin: Origin, user_plugin_dir: Path, tmp_path: Path) -> None:
    source = f"git+{origin.url}@v0.1.0#subdirectory={SUB}"
    code, shown = _terminal_install([source], b"n\n", tmp_path)
    assert code == 1 and "Install it? [y/N]" in shown and "not confirmed; nothing was installed" in shown
    assert not (user_plugin_dir / "section_digest").exists()
    code, shown = _terminal_install([source], b"y\n", tmp_path)
    assert code == 0, shown
    assert (user_plugin_dir / "section_digest" / "strategy_package.yaml").is_file()


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_ctrl_c_while_cloning_leaves_nothing(origin: Origin, user_plugin_dir: Path, tmp_path: Path) -> None:
    """git is slow (a wrapper that waits, then runs the real git); Ctrl-C comes mid-clone."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "git"
    wrapper.write_text(f"#!/bin/sh\ntouch {tmp_path}/started\nsleep 30\nexec {shutil.which('git')} \"$@\"\n")
    wrapper.chmod(0o755)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "TMPDIR": str(scratch)}
    before = snapshot(user_plugin_dir)
    process = subprocess.Popen([sys.executable, "-m", "compact_memory", "dev", "install-strategy-package",
                                f"git+{origin.url}@v0.1.0#subdirectory={SUB}"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 30
    while not (tmp_path / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole foreground group
    out, err = process.communicate(timeout=60)
    result = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    assert_well_behaved(result, codes=(130,))
    assert list(scratch.iterdir()) == []
    assert snapshot(user_plugin_dir) == before


@pytest.mark.skipif(not (REPO / ".git").exists(), reason="needs this repository's git history")
def test_the_shipped_entry_installs_from_this_repository_at_its_pinned_commit(user_plugin_dir: Path,
                                                                              tmp_path: Path) -> None:
    """The shipped index's commit exists here and holds the package it lists; only the URL is made local."""
    import yaml

    shipped = yaml.safe_load((REPO / "community" / "strategies.yaml").read_text(encoding="utf-8"))
    (entry,) = shipped["strategies"]
    entry["install"]["git"]["url"] = REPO.as_uri()
    index = tmp_path / "local.yaml"
    index.write_text(yaml.safe_dump(shipped), encoding="utf-8")
    result = run_cli("dev", "install-strategy-package", "--index", str(index), entry["id"], "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["version"], doc["origin"]["commit"]) == (entry["version"], entry["install"]["git"]["commit"])
