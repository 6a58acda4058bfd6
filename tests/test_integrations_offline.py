"""The adapters reach no network, and without their framework they say which extra to install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO
from no_network import PYTEST, run_offline

OFFLINE_TESTS = ["tests/test_integrations_langchain.py", "tests/test_integrations_llama_index.py",
                 "tests/test_integrations_docs.py"]


def test_the_integration_tests_and_doc_examples_touch_no_network(tmp_path: Path) -> None:
    pytest.importorskip("langchain_core", reason="needs the langchain extra")
    pytest.importorskip("llama_index.core", reason="needs the llama-index extra")
    result, attempts = run_offline(PYTEST, ["-q", "-rs", "-p", "no:cacheprovider", *OFFLINE_TESTS], tmp_path,
                                   cwd=REPO)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "passed" in result.stdout and "skipped" not in result.stdout, result.stdout[-2000:]
    assert attempts == []


def test_the_guard_sees_a_download(tmp_path: Path) -> None:
    """What the test above relies on: a download attempt is recorded, even when the code swallows the error."""
    probe = tmp_path / "test_probe.py"
    probe.write_text("import urllib.request\n\ndef test_fetch():\n    try:\n"
                     "        urllib.request.urlopen('https://openaipublic.blob.core.windows.net/x', timeout=5)\n"
                     "    except OSError:\n        pass\n", encoding="utf-8")
    result, attempts = run_offline(PYTEST, ["-q", "-p", "no:cacheprovider", str(probe)], tmp_path, cwd=tmp_path)
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
