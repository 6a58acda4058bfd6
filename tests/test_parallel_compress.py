"""``compress --dir --jobs N``: the same bytes as one job, plugins in workers, failures, Ctrl-C, dying workers."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import run_cli
from plugin_factory import local_plugin, manifest_text

WORDS = ("memory context budget token sentence strategy plugin worker corpus retrieval answer question "
         "archive document compress extract summary order refund customer model window").split()


def make_corpus(root: Path, count: int, seed: int = 7, size: int = 60) -> Path:
    """``count`` generated documents of varied length in nested folders."""
    rng = random.Random(seed)
    for i in range(count):
        sentences = []
        for _ in range(rng.randint(3, size)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(4, 18))]
            sentences.append(" ".join(words).capitalize() + rng.choice(".!?"))
        paragraphs = [" ".join(sentences[k : k + 5]) for k in range(0, len(sentences), 5)]
        path = root / f"part{i % 4}" / f"doc{i:04d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# Document {i}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return root


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_corpus(tmp_path_factory.mktemp("corpus"), 300)
    (root / "part1" / "broken.txt").write_bytes(b"valid start \xff\xfe then invalid bytes")
    return root


@pytest.mark.parametrize("strategy", ["extractive", "truncate", "marker"])
def test_two_jobs_write_the_same_bytes_as_one(corpus: Path, tmp_path: Path, strategy: str) -> None:
    env = {}
    if strategy == "marker":
        local_plugin(tmp_path / "plugins", "marker_pkg", "marker", marker="Marked ")
        env["COMPACT_MEMORY_PLUGINS_PATH"] = str(tmp_path / "plugins")
    runs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        result = run_cli("compress", "--dir", str(corpus), "-r", "--budget", "40", "--strategy", strategy,
                         "--output-dir", str(out), "--jobs", jobs, env=env)
        runs[jobs] = (result, tree(out))
    (one, files_one), (two, files_two) = runs["1"], runs["2"]
    assert one.returncode == two.returncode == 1  # the broken file
    assert len(files_one) == 300 and files_two == files_one
    assert two.stderr == one.stderr
    assert one.stderr.splitlines()[0].startswith(f"error: {corpus / 'part1' / 'broken.txt'}: not valid utf-8")
    assert "1 of 301 files could not be compressed" in one.stderr
    if strategy == "marker":
        assert all(text.startswith(b"Marked ") for text in files_one.values())


def test_two_jobs_print_the_same_stdout_and_json(corpus: Path, tmp_path: Path) -> None:
    plain = [run_cli("compress", "--dir", str(corpus), "-r", "--budget", "25", "-j", jobs) for jobs in ("1", "2")]
    assert plain[0].stdout == plain[1].stdout and plain[0].stdout.count("==> ") == 300
    import json

    docs = [json.loads(run_cli("compress", "--dir", str(corpus), "-r", "--budget", "25", "--json", "-j", jobs).stdout)
            ["results"] for jobs in ("1", "2")]
    for doc in docs:
        for item in doc:
            item.get("stats", {}).pop("processing_ms", None)
            item.get("trace", {}).pop("processing_ms", None)
    assert docs[0] == docs[1]
    assert docs[0][0]["stats"]["input_tokens"] > 0  # counted in the worker


def test_jobs_zero_uses_every_available_core(corpus: Path, tmp_path: Path) -> None:
    result = run_cli("compress", "--dir", str(corpus / "part2"), "--budget", "20", "-j", "0",
                     "--output-dir", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert len(tree(tmp_path / "out")) == 75


@pytest.mark.parametrize("value", ["-1", "two", "1.5", ""])
def test_bad_jobs_is_a_usage_error(corpus: Path, value: str) -> None:
    result = run_cli("compress", "--dir", str(corpus), "--budget", "20", "--jobs", value)
    assert result.returncode == 2
    assert "argument -j/--jobs:" in result.stderr and "Traceback" not in result.stderr


def test_jobs_needs_dir() -> None:
    result = run_cli("compress", "--text", "a b c", "--budget", "2", "-j", "2")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --jobs needs --dir (hint: one text or file is compressed by one process)"


def test_workers_see_the_same_plugins_and_precedence(tmp_path: Path, user_plugin_dir: Path) -> None:
    """Two plugins share an id: the earlier plugin path wins in the parent and in every worker."""
    corpus = make_corpus(tmp_path / "corpus", 12)
    local_plugin(tmp_path / "first", "dup_a", "dup", marker="First ")
    local_plugin(user_plugin_dir, "dup_b", "dup", marker="Userdir ")
    local_plugin(user_plugin_dir, "only_user", "only_user", marker="Onlyuser ")
    env = {"COMPACT_MEMORY_PLUGINS_PATH": str(tmp_path / "first")}
    result = run_cli("compress", "--dir", str(corpus), "-r", "--budget", "30", "--strategy", "dup", "-j", "2",
                     env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("First ") == 12 and "Userdir" not in result.stdout
    result = run_cli("compress", "--dir", str(corpus), "-r", "--budget", "30", "--strategy", "only_user", "-j", "2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Onlyuser ") == 12


def test_plugin_switches_reach_the_workers(tmp_path: Path) -> None:
    """A plugin that overrides a built-in is used by the workers, and --no-plugins turns it off for them too."""
    corpus = make_corpus(tmp_path / "corpus", 8)
    local_plugin(tmp_path / "plugins", "over", "truncate", marker="Overridden ",
                 manifest=manifest_text("truncate", extra="overrides_builtin: true\n"))
    env = {"COMPACT_MEMORY_PLUGINS_PATH": str(tmp_path / "plugins")}
    args = ("compress", "--dir", str(corpus), "-r", "--budget", "30", "--strategy", "truncate", "-j", "2")
    with_plugin = run_cli(*args, env=env)
    assert with_plugin.returncode == 0, with_plugin.stderr
    assert with_plugin.stdout.count("Overridden ") == 8
    for switch in (["--no-plugins"], ["--disable-plugin", "truncate"]):
        without = run_cli(*switch, *args, env=env)
        assert without.returncode == 0, without.stderr
        assert "Overridden" not in without.stdout and without.stdout.count("==> ") == 8


DYING = '''
import os, signal
from compact_memory.compression import CompressionStrategy, CompressedMemory, CompressionTrace


class Dying(CompressionStrategy):
    id = "dying"

    def compress(self, text_or_chunks, llm_token_budget, **kwargs):
        if "EXIT" in text_or_chunks:
            os._exit(3)
        if "KILL" in text_or_chunks:
            os.kill(os.getpid(), signal.SIGKILL)
        if "RAISE" in text_or_chunks:
            raise ValueError("cannot handle this one")
        return CompressedMemory(text=text_or_chunks.split()[0]), CompressionTrace(strategy_name=self.id)
'''


def test_a_dying_worker_fails_only_its_document(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    specials = {3: "EXIT", 7: "KILL", 11: "RAISE"}
    for i in range(16):
        (corpus / f"d{i:02d}.txt").write_text(f"doc{i} words here {specials.get(i, '')}", encoding="utf-8")
    local_plugin(tmp_path / "plugins", "dying", "dying", source=DYING,
                 manifest=manifest_text("dying", class_name="Dying"))
    env = {"COMPACT_MEMORY_PLUGINS_PATH": str(tmp_path / "plugins")}
    result = run_cli("compress", "--dir", str(corpus), "--budget", "5", "--strategy", "dying", "-j", "2",
                     "--output-dir", str(tmp_path / "out"), env=env)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 4, result.stderr
    plugin = f"strategy 'dying' (local {tmp_path / 'plugins' / 'dying'})"
    # os._exit is caught in the worker as in a single process (the worker lives on); SIGKILL kills it.
    assert errors[0] == (f"error: {plugin} failed while compressing: called os._exit(3) "
                         "(hint: this is the plugin's failure, not compact-memory's: report it to its author, or "
                         "switch it off with --disable-plugin dying)")
    assert f"{plugin} failed while compressing: its worker process died: killed by SIGKILL" in errors[1]
    assert f"{plugin} failed while compressing: ValueError: cannot handle this one" in errors[2]
    assert errors[3] == "error: 3 of 16 files could not be compressed; see above"
    assert "Traceback" not in result.stderr
    written = tree(tmp_path / "out")
    assert sorted(written) == [f"d{i:02d}.txt" for i in range(16) if i not in specials]
    assert all(written[f"d{i:02d}.txt"] == f"doc{i}".encode() for i in range(16) if i not in specials)


def _processes_in_session(sid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == sid:
                    found.append(int(entry.name))
            except (ProcessLookupError, PermissionError):
                continue
    return found


@pytest.mark.skipif(sys.platform == "win32", reason="process groups and SIGINT")
def test_ctrl_c_exits_130_with_no_temporary_or_partial_files(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus", 400, size=400)
    out = tmp_path / "out"
    # A session of its own, so SIGINT goes to the whole process group as a terminal's Ctrl-C does.
    process = subprocess.Popen([sys.executable, "-m", "compact_memory", "compress", "--dir", str(corpus), "-r",
                                "--budget", "60", "--output-dir", str(out), "-j", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(out.rglob("*.txt"))) < 20:
        time.sleep(0.05)
    assert process.poll() is None, "finished before it could be interrupted"
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "interrupted"
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    leftovers = [p for p in out.rglob("*") if p.is_file() and (p.name.startswith(".") or p.suffix == ".tmp")]
    assert leftovers == []
    written = tree(out)
    assert 20 <= len(written) < 400
    reference = tmp_path / "reference"
    run_cli("compress", "--dir", str(corpus), "-r", "--budget", "60", "--output-dir", str(reference))
    expected = tree(reference)
    assert all(written[name] == expected[name] for name in written), "a file was written partly"
    time.sleep(0.2)
    assert _processes_in_session(process.pid) == [], "worker processes outlived the run"
