"""The trust boundary, for files: only regular files are read or replaced, nothing hangs, nothing outside changes.

Special files cannot be committed, so each case is made here: named pipes,
devices, symbolic links (to files, directories, devices and /proc/self/fd/1),
unreadable files and directories, non-UTF-8 names.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile import Sentinel, is_root, one_error_line, run

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX special files")
TEXT = "The quick brown fox jumps over the lazy dog. " * 30


@pytest.fixture
def specials(tmp_path: Path) -> Path:
    """A directory of things that are not regular files, next to a sentinel tree that must never change."""
    root = tmp_path / "specials"
    root.mkdir()
    os.mkfifo(root / "fifo")
    (root / "dir").mkdir()
    (root / "target.txt").write_text("precious\n", encoding="utf-8")
    (root / "link_to_file").symlink_to(root / "target.txt")
    (root / "link_to_dev_null").symlink_to("/dev/null")
    (root / "link_to_stdout").symlink_to("/proc/self/fd/1")
    (root / "link_to_dir").symlink_to(root / "dir")
    (root / "dangling").symlink_to(root / "nowhere")
    return root


INPUTS = {
    "fifo": "is a named pipe (FIFO), not a regular file",
    "/dev/zero": "is a character device, not a regular file",
    "/dev/urandom": "is a character device, not a regular file",
    "link_to_dev_null": "is a character device, not a regular file",
    "dir": "is a directory, not a file",
    "link_to_dir": "is a directory, not a file",
    "dangling": "no such file",
    "missing": "no such file",
}


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_only_regular_files_are_read(specials: Path, name: str) -> None:
    sentinel = Sentinel(specials)
    path = name if name.startswith("/") else str(specials / name)
    result = run("compress", "--file", path, "--budget", "5", timeout=30)
    assert result.returncode == 1
    one_error_line(result, INPUTS[name])
    sentinel.assert_unchanged()


OUTPUTS = {
    "fifo": "is a named pipe (FIFO); compact-memory writes only regular files",
    "link_to_file": "is a symbolic link; compact-memory replaces only regular files",
    "link_to_dev_null": "is a symbolic link",
    "link_to_stdout": "is a symbolic link",
    "dangling": "is a symbolic link",
    "dir": "is a directory",
    "link_to_dir": "is a symbolic link",
}


@pytest.mark.parametrize("name", sorted(OUTPUTS))
@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
def test_only_regular_files_are_replaced_even_with_force(specials: Path, name: str, force: bool) -> None:
    sentinel = Sentinel(specials)
    args = ["compress", "--text", TEXT, "--budget", "5", "-o", str(specials / name)] + (["--force"] if force else [])
    result = run(*args, timeout=30)
    assert result.returncode == 1
    if force:
        one_error_line(result, OUTPUTS[name])
    sentinel.assert_unchanged()
    assert stat.S_ISFIFO(os.lstat(specials / "fifo").st_mode)


def test_the_output_trace_follows_the_same_rules(specials: Path) -> None:
    sentinel = Sentinel(specials)
    result = run("compress", "--text", TEXT, "--budget", "5", "--output-trace", str(specials / "fifo"), "--force")
    one_error_line(result, "named pipe")
    sentinel.assert_unchanged()


def test_a_fifo_dataset_and_a_fifo_in_a_directory(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(TEXT, encoding="utf-8")
    os.mkfifo(docs / "b.txt")  # matches the pattern, and is skipped: not a regular file
    result = run("compress", "--dir", str(docs), "--budget", "5", "--output-dir", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.txt"]


def test_non_utf8_file_names_reach_stdout_and_json(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / os.fsdecode(b"caf\xe9.txt")).write_text("first file words", encoding="utf-8")
    (docs / "z.txt").write_text("second file words", encoding="utf-8")
    text = run("compress", "--dir", str(docs), "--budget", "2")
    assert text.returncode == 0 and text.stdout.count("==> ") == 2 and "second" in text.stdout
    doc = json.loads(run("compress", "--dir", str(docs), "--budget", "2", "--json").stdout)
    assert [Path(r["input"]).name for r in doc["results"]] == [os.fsdecode(b"caf\xe9.txt"), "z.txt"]


def test_no_write_through_a_linked_directory_inside_the_output(tmp_path: Path) -> None:
    docs = tmp_path / "docs" / "sub"
    docs.mkdir(parents=True)
    (docs / "a.txt").write_text(TEXT, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").symlink_to(elsewhere, target_is_directory=True)
    sentinel = Sentinel(elsewhere)
    result = run("compress", "--dir", str(tmp_path / "docs"), "-r", "--budget", "5", "--output-dir", str(out))
    assert result.returncode == 1
    assert "does not write through linked directories" in result.stderr
    sentinel.assert_unchanged()


def test_a_bad_codec_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes(b"xn--\xff\xfe broken")
    result = run("compress", "--file", str(path), "--budget", "3", "--encoding", "punycode")
    assert result.returncode == 1
    one_error_line(result, "not valid punycode")


def test_sigterm_during_a_directory_run_leaves_no_temporary_file(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(400):
        (docs / f"d{i:03d}.txt").write_text(TEXT * 20, encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "compact_memory", "compress", "--dir", str(docs), "--budget",
                             "50", "--output-dir", str(out)], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out.is_dir() and any(out.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and err.strip().endswith("terminated"), err
    assert [p.name for p in out.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"] == []
    assert all((out / p.name).read_text(encoding="utf-8") for p in out.iterdir())  # every file written whole


def _without_file_override() -> None:
    """As root, give up the capabilities that let root read any file, so modes apply (Linux)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, from the bounding set: gone after exec
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.fixture
def unprivileged() -> dict[str, object]:
    """subprocess arguments under which file modes apply even when the tests run as root."""
    if not is_root():
        return {}
    probe = subprocess.run(["true"], preexec_fn=_without_file_override, capture_output=True)
    if probe.returncode != 0:
        pytest.skip("running as root and cannot drop CAP_DAC_OVERRIDE here")
    return {"preexec_fn": _without_file_override}


def run_as(ids: dict[str, object], *args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    from hostile import assert_well_behaved

    result = subprocess.run([sys.executable, "-m", "compact_memory", *args], capture_output=True, text=True,
                            cwd=cwd, env={**os.environ, **env}, timeout=60, **ids)  # type: ignore[call-overload]
    assert_well_behaved(result)
    return result


def test_unreadable_and_unsearchable_places_are_clear_errors(tmp_path_factory: pytest.TempPathFactory,
                                                              unprivileged: dict[str, object]) -> None:
    import tempfile

    from plugin_factory import local_plugin

    root = Path(tempfile.mkdtemp(dir="/tmp", prefix="cm-perm-"))
    try:
        os.chmod(root, 0o755)
        home = root / "home"
        home.mkdir(mode=0o777)
        locked = root / "locked"  # a plugin package nobody may read
        local_plugin(root / "plugins", "open_one", "open_one")
        local_plugin(root / "plugins", "shut", "shut")
        os.chmod(root / "plugins" / "shut", 0)
        locked.mkdir()
        (locked / "a.txt").write_text("text", encoding="utf-8")
        os.chmod(locked, 0o311)  # searchable, not listable
        noread = root / "noread.txt"
        noread.write_text("text", encoding="utf-8")
        os.chmod(noread, 0)
        os.chmod(root / "plugins", 0o755)
        env = {"HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "XDG_CACHE_HOME": str(home / "cache"),
               "COMPACT_MEMORY_PLUGINS_PATH": str(root / "plugins")}
        listed = run_as(unprivileged, "dev", "list-strategies", "--json", cwd=root, env=env)
        rows = {r["id"]: r for r in json.loads(listed.stdout)["strategies"]}
        assert rows["open_one"]["status"] == "active"
        broken = [r for r in rows.values() if r["source"] == "local" and r["status"] == "error"]
        assert len(broken) == 1 and "Permission denied" in broken[0]["error"]
        assert run_as(unprivileged, "compress", "--text", "a b c", "--budget", "2", "-s", "truncate",
                      cwd=root, env=env).returncode == 0
        one_error_line(run_as(unprivileged, "compress", "--file", str(noread), "--budget", "2", cwd=root, env=env),
                       "Permission denied")
        one_error_line(run_as(unprivileged, "compress", "--dir", str(locked), "--budget", "2", cwd=root, env=env),
                       "cannot list the directory")
        validated = run_as(unprivileged, "dev", "validate-strategy-package", str(root / "plugins"), cwd=root, env=env)
        assert validated.returncode == 1 and "CM101" in validated.stdout
    finally:
        for base, dirs, _ in os.walk(root):
            for name in dirs:
                os.chmod(Path(base, name), 0o755)
        import shutil

        os.chmod(noread, 0o644)
        shutil.rmtree(root, ignore_errors=True)
