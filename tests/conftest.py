from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def hermetic_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point HOME, XDG dirs and our plugin settings at a fresh temporary home."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (("XDG_DATA_HOME", ".local/share"), ("XDG_CONFIG_HOME", ".config"), ("XDG_CACHE_HOME", ".cache")):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.delenv("COMPACT_MEMORY_PLUGINS_PATH", raising=False)
    monkeypatch.delenv("COMPACT_MEMORY_DISABLE_PLUGINS", raising=False)
    from compact_memory import tokenizers

    yield home
    tokenizers._CACHE.clear()


@pytest.fixture
def user_plugin_dir(hermetic_env: Path) -> Path:
    """The platformdirs user plugin directory inside the temporary home."""
    path = hermetic_env / ".local" / "share" / "compact_memory" / "plugins"
    path.mkdir(parents=True)
    return path


def run_cli(*args: str, input: str | None = None, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "compact_memory", *args],
        input=input,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture
def cli():
    return run_cli
