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


def run_cli(
    *args: str, input: str | None = None, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
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


# --- real wheels and virtual environments (built once per session) ---------


class Venv:
    """A fresh virtual environment; installs come from the session wheelhouse."""

    def __init__(self, root: Path, wheelhouse: Path) -> None:
        self.root = root
        self.wheelhouse = wheelhouse
        bindir = root / ("Scripts" if os.name == "nt" else "bin")
        self.python = bindir / "python"
        self.bin = bindir

    def pip_install(self, *args: str) -> None:
        result = subprocess.run(
            [str(self.python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
             "--no-index", "--find-links", str(self.wheelhouse), *args],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, f"pip install {' '.join(args)} failed:\n{result.stderr[-3000:]}"

    def run(self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run a console script of this venv (e.g. ``compact-memory``) or its python."""
        exe = str(self.bin / args[0]) if (self.bin / args[0]).exists() else args[0]
        return subprocess.run(
            [exe, *args[1:]], capture_output=True, text=True, input=input,
            env={**os.environ, **(env or {})}, cwd=cwd, timeout=300,
        )


@pytest.fixture(scope="session")
def project_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """compact-memory built into a wheel once per test session."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO)],
        check=True, capture_output=True, text=True, timeout=600,
    )
    (wheel,) = out.glob("compact_memory-*.whl")
    return wheel


@pytest.fixture(scope="session")
def wheelhouse(project_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project wheel plus wheels of its dependencies, for offline venv installs."""
    house = tmp_path_factory.mktemp("wheelhouse")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check", "-w", str(house),
         f"{project_wheel}[tiktoken]", "hatchling", "editables", "setuptools>=68", "wheel", "pytest"],
        check=True, capture_output=True, text=True, timeout=900,
    )
    return house


@pytest.fixture
def make_venv(wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory):
    def make(name: str = "venv") -> Venv:
        root = tmp_path_factory.mktemp(name)
        subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=300)
        return Venv(root, wheelhouse)

    return make


def run_with_terminal_stderr(*args: str, cwd: Path | None = None) -> tuple[int, bytes, str]:
    """Run the CLI with stderr on a pseudo-terminal (POSIX): (exit code, stdout, what the terminal showed)."""
    import pty

    leader, follower = pty.openpty()
    try:
        result = subprocess.run([sys.executable, "-m", "compact_memory", *args], stdout=subprocess.PIPE,
                                stderr=follower, cwd=cwd, timeout=120)
        os.close(follower)
        follower = -1
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    return result.returncode, result.stdout, shown.decode()

