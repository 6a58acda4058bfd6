"""Run Python with every network connection refused and recorded, to show that code needs no download.

An audit hook (which the code under test cannot remove) refuses and records
every name lookup and every connection to an IP address; proxies point at a
closed port; caches that could hide a download are unset. The hook lives in
the one process it is installed in, so code that starts more processes runs
them through :func:`run_offline` too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PRELUDE = """
import atexit, json, os, socket, sys
_ATTEMPTS = []

def _refuse(event, args):
    if event == "socket.getaddrinfo" or (
            event == "socket.connect" and args[0].family in (socket.AF_INET, socket.AF_INET6)):
        _ATTEMPTS.append(f"{event} {args[1] if event == 'socket.connect' else args[0]!r}")
        raise OSError(f"network access in an offline test: {event}")

def _report():
    with open(os.environ["NETWORK_ATTEMPTS_FILE"], "w") as out:
        json.dump(_ATTEMPTS, out)

sys.addaudithook(_refuse)
atexit.register(_report)
"""
PYTEST = PRELUDE + "import pytest\nsys.exit(int(pytest.main(sys.argv[1:])))\n"
SCRIPT = PRELUDE + "import runpy\nsys.argv = sys.argv[1:]\nrunpy.run_path(sys.argv[0], run_name='__main__')\n"


def run_offline(code: str, args: list[str], tmp_path: Path, *,
                cwd: Path | None = None) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """``python -c code *args`` offline: its result and the network accesses it tried."""
    attempts_file = tmp_path / "network_attempts.json"
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens there
    env = {**os.environ, "NETWORK_ATTEMPTS_FILE": str(attempts_file), "TMPDIR": str(tmp_path),
           "HTTP_PROXY": closed, "HTTPS_PROXY": closed, "ALL_PROXY": closed, "http_proxy": closed,
           "https_proxy": closed, "all_proxy": closed, "NO_PROXY": "", "no_proxy": ""}
    for cache in ("TIKTOKEN_CACHE_DIR", "NLTK_DATA", "HF_HOME"):  # no cache from elsewhere hides a download
        env.pop(cache, None)
    result = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=900)
    attempts = json.loads(attempts_file.read_text()) if attempts_file.exists() else ["(no report: the process died)"]
    return result, attempts
