"""The adapters reach no network, and without their framework they say which extra to install."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

# Every connection to an IP address and every name lookup is recorded and refused, in the process under test and
# without a way for the code to bypass it (audit hooks cannot be removed).
NO_NETWORK = """
import json, os, socket, sys
ATTEMPTS = []

def hook(event, args):
    if event == "socket.getaddrinfo" or (
            event == "socket.connect" and args[0].family in (socket.AF_INET, socket.AF_INET6)):
        ATTEMPTS.append(f"{event} {args[1] if event == 'socket.connect' else args[0]!r}")
        raise OSError(f"network access in an offline test: {event}")

sys.addaudithook(hook)
import pytest
code = pytest.main(sys.argv[1:])
with open(os.environ["NETWORK_ATTEMPTS_FILE"], "w") as out:
    json.dump(ATTEMPTS, out)
sys.exit(int(code))
"""
OFFLINE_TESTS = ["tests/test_integrations_langchain.py", "tests/test_integrations_llama_index.py",
                 "tests/test_integrations_docs.py"]


def run_offline(tests: list[str], tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run pytest on ``tests`` with the network refused; its result and the connections it tried."""
    attempts_file = tmp_path / "attempts.json"
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens there
    env = {**os.environ, "NETWORK_ATTEMPTS_FILE": str(attempts_file), "TMPDIR": str(tmp_path),
           "HTTP_PROXY": closed, "HTTPS_PROXY": closed, "ALL_PROXY": closed, "http_proxy": closed,
           "https_proxy": closed, "all_proxy": closed, "NO_PROXY": "", "no_proxy": ""}
    for cache in ("TIKTOKEN_CACHE_DIR", "NLTK_DATA", "HF_HOME"):  # no cache from elsewhere hides a download
        env.pop(cache, None)
    result = subprocess.run([sys.executable, "-c", NO_NETWORK, "-q", "-rs", "-p", "no:cacheprovider", *tests],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    return result, json.loads(attempts_file.read_text())


def test_the_integration_tests_and_doc_examples_touch_no_network(tmp_path: Path) -> None:
    pytest.importorskip("langchain_core", reason="needs the langchain extra")
    pytest.importorskip("llama_index.core", reason="needs the llama-index extra")
    result, attempts = run_offline(OFFLINE_TESTS, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "passed" in result.stdout and "skipped" not in result.stdout, result.stdout[-2000:]
    assert attempts == []


def test_the_guard_sees_a_download(tmp_path: Path) -> None:
    """What the test above relies on: a download attempt is recorded, even when the code swallows the error."""
    probe = tmp_path / "test_probe.py"
    probe.write_text("import urllib.request\n\ndef test_fetch():\n    try:\n"
                     "        urllib.request.urlopen('https://openaipublic.blob.core.windows.net/x', timeout=5)\n"
                     "    except OSError:\n        pass\n", encoding="utf-8")
    result, attempts = run_offline([str(probe)], tmp_path)
    assert result.returncode == 0, result.stdout[-2000:]
    assert attempts and any("127.0.0.1" in a or "openaipublic" in a for a in attempts), attempts


@pytest.mark.parametrize(
    ("module", "blocked", "message"),
    [
        ("compact_memory.integrations.langchain", "langchain_core",
         "compact_memory.integrations.langchain needs langchain-core, which is not installed "
         "(hint: pip install 'compact-memory[langchain]')"),
        ("compact_memory.integrations.llama_index", "llama_index",
         "compact_memory.integrations.llama_index needs llama-index-core, which is not installed "
         "(hint: pip install 'compact-memory[llama-index]')"),
    ],
)
def test_without_the_framework_the_import_error_names_the_extra(module: str, blocked: str, message: str) -> None:
    code = (f"import sys; sys.modules[{blocked!r}] = None\n"  # what Python does for a package that is not installed
            f"try:\n    import {module}\nexcept ImportError as exc:\n    print(exc)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == message, result.stderr


@pytest.mark.slow
def test_a_plain_install_has_compress_context_and_adapters_that_name_their_extra(make_venv) -> None:
    venv = make_venv("no-frameworks")
    venv.pip_install("compact-memory")
    code = ("from compact_memory.context import compress_context\n"
            "print([d.text for d in compress_context(['One sentence here. Another one there.'], 4, 'truncate', "
            "min_tokens=0)])\n"
            "for name in ('langchain', 'llama_index'):\n"
            "    try:\n        __import__('compact_memory.integrations.' + name)\n"
            "    except ImportError as exc:\n        print(exc)\n")
    result = venv.run("python", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "['One sentence here.']",
        "compact_memory.integrations.langchain needs langchain-core, which is not installed "
        "(hint: pip install 'compact-memory[langchain]')",
        "compact_memory.integrations.llama_index needs llama-index-core, which is not installed "
        "(hint: pip install 'compact-memory[llama-index]')",
    ]
