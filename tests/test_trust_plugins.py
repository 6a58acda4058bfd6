"""A plugin that misbehaves is reported as that plugin's failure; it never corrupts output or outlives us.

Strategies run in process (the contract); what compact-memory catches there:
output on stdout (sent to stderr), exceptions, ``sys.exit`` and ``os._exit``
(reported with the plugin's id and origin), and traces JSON cannot hold
(written as plain JSON). Imports for ``--check`` and the validator run in
children that are killed with everything they started.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hostile import assert_well_behaved, one_error_line, run
from plugin_factory import local_plugin

HEAD = textwrap.dedent("""
    import math, os, sys
    from compact_memory.compression import CompressedMemory, CompressionStrategy, CompressionTrace

    class PluginStrategy(CompressionStrategy):
        id = "{sid}"
    """)

BEHAVIOURS = {
    "prints": ("print('noise from the plugin'); return CompressedMemory('ok'), CompressionTrace(self.id)", 0, None),
    "raises": ("raise ValueError('cannot do this')", 1, "failed while compressing: ValueError: cannot do this"),
    "sys_exit_0": ("sys.exit(0)", 1, "failed while compressing: called sys.exit(0)"),
    "os_exit_0": ("os._exit(0)", 1, "failed while compressing: called os._exit(0)"),
    "returns_text": ("return 'just text'", 1, "returned str, not (CompressedMemory, CompressionTrace)"),
    "nan_trace": ("return CompressedMemory('ok'), CompressionTrace(self.id, {'x': math.nan, 'y': math.inf})", 0,
                  None),
    "tuple_keys": ("return CompressedMemory('ok'), CompressionTrace(self.id, {(1, 2): 'a', 'set': {3}})", 0, None),
    "cyclic_trace": ("t = CompressionTrace(self.id); t.steps.append({'self': t.steps}); "
                     "return CompressedMemory('ok'), t", 0, None),
    "object_in_trace": ("return CompressedMemory('ok'), CompressionTrace(self.id, {'o': object()})", 0, None),
}


def plugin(root: Path, sid: str, body: str) -> dict[str, str]:
    source = HEAD.format(sid=sid) + "    def compress(self, text_or_chunks, llm_token_budget, **kwargs):\n" + \
        "".join(f"        {line.strip()}\n" for line in body.split("; "))
    local_plugin(root / "plugins", sid, sid, source=source)
    return {"COMPACT_MEMORY_PLUGINS_PATH": str(root / "plugins")}


@pytest.mark.parametrize("behaviour", sorted(BEHAVIOURS))
@pytest.mark.parametrize("as_json", [True, False], ids=["json", "text"])
def test_a_plugin_misbehaving_at_compress_time(tmp_path: Path, behaviour: str, as_json: bool) -> None:
    body, code, message = BEHAVIOURS[behaviour]
    env = plugin(tmp_path, behaviour, body)
    result = run("compress", "--text", "some text here", "--budget", "5", "-s", behaviour,
                 *(["--json"] if as_json else []), env=env)
    assert result.returncode == code, result.stderr
    if message:
        line = one_error_line(result, f"strategy '{behaviour}' (local {tmp_path / 'plugins' / behaviour})", message)
        assert "the plugin's failure" in line and result.stdout == ""
    elif as_json:
        doc = json.loads(result.stdout)  # valid JSON whatever the trace held
        assert doc["text"] == "ok"
    else:
        assert result.stdout == "ok\n"
    if behaviour == "prints":
        assert "noise from the plugin" in result.stderr


def test_a_constructor_that_exits_or_raises(tmp_path: Path) -> None:
    source = HEAD.format(sid="ctor") + textwrap.indent(textwrap.dedent("""
        def __init__(self):
            os._exit(4)

        def compress(self, text_or_chunks, llm_token_budget, **kwargs):
            return CompressedMemory("x"), CompressionTrace(self.id)
        """), "    ")
    local_plugin(tmp_path / "plugins", "ctor", "ctor", source=source)
    result = run("compress", "--text", "a b", "--budget", "2", "-s", "ctor",
                 env={"COMPACT_MEMORY_PLUGINS_PATH": str(tmp_path / "plugins")})
    one_error_line(result, "strategy 'ctor'", "could not be created: called os._exit(4)")


ESCAPER = """
import os, subprocess, sys, time
# A grandchild that leaves the process group (setsid) and would live for a minute.
subprocess.Popen([sys.executable, "-c", "import os, time; os.setsid(); time.sleep(60)"],
                 start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep({sleep})
from compact_memory.compression import CompressedMemory, CompressionStrategy, CompressionTrace

class PluginStrategy(CompressionStrategy):
    id = "{sid}"

    def compress(self, text_or_chunks, llm_token_budget, **kwargs):
        return CompressedMemory(""), CompressionTrace(self.id)
"""


def _orphans(tag: str) -> list[int]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in out.splitlines() if "time.sleep(60)" in line and tag in line]


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds escaped children through /proc")
def test_check_kills_what_a_plugin_started_even_outside_its_group(tmp_path: Path) -> None:
    local_plugin(tmp_path / "plugins", "escaper", "escaper", source=ESCAPER.format(sleep=0, sid="escaper"))
    env = {"COMPACT_MEMORY_PLUGINS_PATH": str(tmp_path / "plugins"), "CM_TEST_TAG": str(tmp_path)}
    result = run("dev", "list-strategies", "--check", "--json", env=env, timeout=60)
    assert result.returncode == 0
    time.sleep(0.5)
    leftover = _pids_with_env("CM_TEST_TAG", str(tmp_path))
    assert leftover == []


def _pids_with_env(name: str, value: str) -> list[int]:
    needle = f"{name}={value}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/environ", "rb") as handle:
                    if needle in handle.read().split(b"\0"):
                        found.append(int(entry))
            except OSError:
                continue
    return found


@pytest.mark.skipif(os.name != "posix", reason="signals")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_check_ends_at_once_and_leaves_nothing(tmp_path: Path, sig: int) -> None:
    local_plugin(tmp_path / "plugins", "slow", "slow", source=ESCAPER.format(sleep=120, sid="slow"))
    env = {**os.environ, "COMPACT_MEMORY_PLUGINS_PATH": str(tmp_path / "plugins"), "CM_TEST_TAG": str(tmp_path),
           "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "compact_memory", "dev", "list-strategies", "--check",
                             "--timeout", "100"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob("cm-isolated-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    started = time.monotonic()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - started < 10, "waited for the import timeout"
    assert proc.returncode == (130 if sig == signal.SIGINT else 143), err
    assert_well_behaved(subprocess.CompletedProcess(proc.args, 0, out, err))
    time.sleep(0.5)
    assert _pids_with_env("CM_TEST_TAG", str(tmp_path)) == []
    assert list(tmp_path.glob("cm-isolated-*")) == []


@pytest.mark.parametrize("timeout", ["0", "-1", "nan", "inf"])
def test_a_timeout_that_would_disable_isolation_is_refused(timeout: str, tmp_path: Path) -> None:
    local_plugin(tmp_path / "pkgs", "p", "p")
    for argv in (["dev", "list-strategies", "--check", "--timeout", timeout],
                 ["dev", "validate-strategy-package", str(tmp_path / "pkgs" / "p"), "--import-check", "require",
                  "--timeout", timeout]):
        result = run(*argv)
        assert result.returncode == 2
        one_error_line(result, "--timeout must be a positive number of seconds")
