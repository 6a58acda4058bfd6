"""Installing strategy packages that pip delivers, in a fresh virtual environment, offline.

Wheels are built from examples/sample_strategy_package (0.1.0 and 0.2.0) and
from small projects made here; a PEP 503 simple index on 127.0.0.1 serves them
to pip. Every test ends with the environment exactly as it began
(``pip freeze`` compares), whatever was installed or refused on the way.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, Venv
from test_install_strategy_package import bump

pytestmark = pytest.mark.slow
SAMPLE = REPO / "examples" / "sample_strategy_package"
DIST = "compact-memory-section-digest"


def build_wheel(project: Path, out: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "-w", str(out), str(project)],
                   check=True, capture_output=True, text=True, timeout=300)
    (wheel,) = sorted(out.glob("*.whl"), key=lambda p: p.stat().st_mtime)[-1:]
    return wheel


def small_project(root: Path, name: str, requires: list[str], entry_point: str | None = None) -> Path:
    package = name.replace("-", "_")
    (root / package).mkdir(parents=True)
    (root / package / "__init__.py").write_text("", encoding="utf-8")
    points = f'\n[project.entry-points."compact_memory.strategies"]\n{entry_point}\n' if entry_point else ""
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "{name}"\nversion = "1.0"\ndependencies = {json.dumps(requires)}\n{points}',
        encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("plugin-wheels")
    built = {"0.1.0": build_wheel(SAMPLE, base / "a")}
    newer = shutil.copytree(SAMPLE, base / "src-0.2.0", ignore=shutil.ignore_patterns("__pycache__", "build",
                                                                                       "*.egg-info"))
    bump(newer, "0.2.0")
    built["0.2.0"] = build_wheel(newer, base / "b")
    built["plain"] = build_wheel(small_project(base / "plain", "plain-helper", []), base / "c")
    greedy = shutil.copytree(SAMPLE, base / "src-greedy", ignore=shutil.ignore_patterns("__pycache__", "build",
                                                                                         "*.egg-info"))
    pyproject = greedy / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace('"compact-memory>=0.1,<1"',
                                                                       '"compact-memory>=99"'), encoding="utf-8")
    built["greedy"] = build_wheel(greedy, base / "d")
    built["dependent"] = build_wheel(small_project(base / "dep", "digest-user", [DIST]), base / "e")
    return built


@pytest.fixture(scope="module")
def venv(wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    root = tmp_path_factory.mktemp("pip-venv")
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=300)
    env = Venv(root, wheelhouse)
    env.pip_install("compact-memory")
    return env


class SimpleIndex:
    """A PEP 503 simple index and its files, served from a directory on 127.0.0.1."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.slow_files = False  # hold every file request for 30 s (the index pages stay fast)
        self.file_requested = threading.Event()
        index = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: Any) -> None:
                super().__init__(*args, directory=str(root))

            def do_GET(self) -> None:
                if self.path.startswith("/files/"):
                    index.file_requested.set()
                    if index.slow_files:
                        time.sleep(30)
                super().do_GET()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, *files: Path) -> None:
        for file in files:
            name = file.name.split("-")[0].replace("_", "-").lower()
            target = self.root / "simple" / name
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(file, self.root / "files" / file.name)
            links = "".join(f'<a href="../../files/{p.name}#sha256={sha256(p)}">{p.name}</a>\n'
                            for p in sorted((self.root / "files").glob(f"{file.name.split('-')[0]}-*")))
            (target / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def index_server(tmp_path: Path) -> Iterator[SimpleIndex]:
    (tmp_path / "served" / "files").mkdir(parents=True)
    server = SimpleIndex(tmp_path / "served")
    yield server
    server.server.shutdown()
    server.server.server_close()


def pip_env(server: SimpleIndex | None = None) -> dict[str, str]:
    """pip sees only our simple index (or nothing): no config file, no find-links."""
    env = {"PIP_CONFIG_FILE": "/dev/null", "PIP_FIND_LINKS": "", "PIP_RETRIES": "0",
           "PIP_NO_INDEX": "1" if server is None else ""}
    if server is not None:
        env["PIP_INDEX_URL"] = f"{server.url}/simple"
    return env


def freeze(venv: Venv) -> list[str]:
    result = venv.run("python", "-m", "pip", "freeze", "--all", "--disable-pip-version-check")
    return sorted(result.stdout.splitlines())


def cm(venv: Venv, *args: str, server: SimpleIndex | None = None, cwd: Path | None = None
       ) -> subprocess.CompletedProcess[str]:
    result = venv.run("compact-memory", *args, env=pip_env(server), cwd=cwd)
    assert "Traceback" not in result.stderr and "this is a bug" not in result.stderr, result.stderr
    return result


def entry(version: str, wheel: Path, *, hashes: list[str] | None = None) -> dict[str, object]:
    pip: dict[str, object] = {"requirement": f"{DIST}=={version}"}
    if hashes is not None:
        pip["hashes"] = hashes
    return {"id": "section_digest", "display_name": "Section digest", "description": "Digest.", "authors": ["t"],
            "version": version, "install": {"pip": pip}}


def write_index(path: Path, *entries: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump({"index_format_version": "2.0", "strategies": list(entries)}), encoding="utf-8")
    return path


def test_a_wheel_round_trip_leaves_the_environment_as_it_was(venv: Venv, wheels: dict[str, Path],
                                                            tmp_path: Path) -> None:
    before = freeze(venv)
    dry = cm(venv, "dev", "install-strategy-package", str(wheels["0.1.0"]), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"plan: install section_digest 0.1.0 from {DIST} 0.1.0 ({wheels['0.1.0'].name}, sha256 " \
           f"{sha256(wheels['0.1.0'])})" in dry.stderr
    assert f"  pip installs {DIST} 0.1.0\n" in dry.stderr and freeze(venv) == before
    result = cm(venv, "dev", "install-strategy-package", str(wheels["0.1.0"]), "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["result"], doc["distribution"], doc["sha256"]) == ("installed", DIST, sha256(wheels["0.1.0"]))
    listed = json.loads(cm(venv, "dev", "list-strategies", "--json").stdout)
    row = next(r for r in listed["strategies"] if r["id"] == "section_digest")
    assert row["status"] == "active" and row["source"] == "entry_point"
    (tmp_path / "in.md").write_text("# Plan\n\nFirst point here. Second point there. Third one.\n", encoding="utf-8")
    compressed = cm(venv, "compress", "--strategy", "section_digest", "--file", str(tmp_path / "in.md"),
                    "--budget", "12")
    assert compressed.returncode == 0 and compressed.stdout.startswith("# Plan"), compressed.stderr
    again = cm(venv, "dev", "install-strategy-package", str(wheels["0.1.0"]))
    assert again.returncode == 0 and f"is already installed ({DIST}); nothing changed" in again.stdout
    removed = cm(venv, "dev", "uninstall-strategy-package", "section_digest")
    assert removed.returncode == 0, removed.stderr
    assert f"uninstalled section_digest 0.1.0 (the distribution {DIST}) with pip" in removed.stdout
    assert freeze(venv) == before
    left = venv.run("python", "-c", "import glob, sysconfig; "
                    "print(glob.glob(sysconfig.get_paths()['purelib'] + '/compact_memory_section_digest*'))")
    assert left.stdout.strip() == "[]"  # the record is listed in RECORD, so pip removed the .dist-info too


def test_an_index_entry_with_hashes_installs_and_upgrades_from_a_simple_index(
        venv: Venv, wheels: dict[str, Path], index_server: SimpleIndex, tmp_path: Path) -> None:
    before = freeze(venv)
    index_server.publish(wheels["0.1.0"], wheels["0.2.0"])
    old = write_index(tmp_path / "old.yaml", entry("0.1.0", wheels["0.1.0"],
                                                   hashes=[f"sha256:{sha256(wheels['0.1.0'])}"]))
    result = cm(venv, "dev", "install-strategy-package", "--index", str(old), "section_digest", "--yes",
                server=index_server)
    assert result.returncode == 0, result.stderr
    assert "pinned by" in result.stderr and "installed section_digest 0.1.0" in result.stdout
    site = json.loads(venv.run("python", "-c", "import json, importlib.metadata as m; "
                               f"print(m.distribution('{DIST}').read_text('compact_memory_install.json'))").stdout)
    assert site["sha256"] == sha256(wheels["0.1.0"]) and site["index_entry"]["id"] == "section_digest"
    new = write_index(tmp_path / "new.yaml", entry("0.2.0", wheels["0.2.0"],
                                                   hashes=[f"sha256:{sha256(wheels['0.2.0'])}"]))
    found = cm(venv, "dev", "search", "--index", str(new), "digest")
    assert "update available: 0.2.0" in found.stdout, found.stdout + found.stderr
    upgraded = cm(venv, "dev", "install-strategy-package", "--index", str(new), "--upgrade", "section_digest",
                  server=index_server)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "upgraded from 0.1.0 to section_digest 0.2.0" in upgraded.stdout
    assert cm(venv, "dev", "uninstall-strategy-package", "section_digest").returncode == 0
    assert freeze(venv) == before


def test_a_tampered_file_is_refused_before_anything_is_installed(
        venv: Venv, wheels: dict[str, Path], index_server: SimpleIndex, tmp_path: Path) -> None:
    before = freeze(venv)
    pinned = f"sha256:{sha256(wheels['0.1.0'])}"
    index_server.publish(wheels["0.1.0"])
    served = index_server.root / "files" / wheels["0.1.0"].name
    served.write_bytes(served.read_bytes() + b"\0")  # the file changed after the index pinned it
    (index_server.root / "simple" / DIST / "index.html").write_text(
        f'<a href="../../files/{served.name}">{served.name}</a>\n')
    index = write_index(tmp_path / "i.yaml", entry("0.1.0", wheels["0.1.0"], hashes=[pinned]))
    result = cm(venv, "dev", "install-strategy-package", "--index", str(index), "section_digest",
                server=index_server)
    assert result.returncode == 1
    assert "do not install it" in result.stderr and "nothing was installed" not in result.stdout
    assert len([line for line in result.stderr.splitlines() if line.startswith("error:")]) == 1
    assert freeze(venv) == before


@pytest.mark.parametrize(("which", "needle"), [
    ("plain", "declares no compact_memory.strategies entry point; it is not a strategy package"),
    ("greedy", "needs another compact-memory than the installed"),
])
def test_what_pip_cannot_or_must_not_install_changes_nothing(venv: Venv, wheels: dict[str, Path], which: str,
                                                             needle: str) -> None:
    before = freeze(venv)
    result = cm(venv, "dev", "install-strategy-package", str(wheels[which]))
    assert result.returncode == 1
    assert needle in result.stderr, result.stderr
    assert freeze(venv) == before


def test_unknown_requirement_and_unreachable_index(venv: Venv, index_server: SimpleIndex) -> None:
    before = freeze(venv)
    missing = cm(venv, "dev", "install-strategy-package", "no-such-strategy==1.0", server=index_server)
    assert missing.returncode == 1 and "cannot download no-such-strategy==1.0" in missing.stderr
    index_server.server.shutdown()
    index_server.server.server_close()
    down = cm(venv, "dev", "install-strategy-package", "--pip", "section_digest", server=index_server)
    assert down.returncode == 1 and "cannot download section_digest" in down.stderr
    assert freeze(venv) == before


def test_uninstall_removes_only_what_it_installed(venv: Venv, wheels: dict[str, Path]) -> None:
    before = freeze(venv)
    assert cm(venv, "dev", "install-strategy-package", str(wheels["0.1.0"])).returncode == 0
    venv.pip_install("--no-deps", str(wheels["dependent"]))
    refused = cm(venv, "dev", "uninstall-strategy-package", "section_digest")
    assert refused.returncode == 1 and "is required by digest-user 1.0; nothing removed" in refused.stderr
    venv.run("python", "-m", "pip", "uninstall", "-y", "-q", "digest-user")
    assert cm(venv, "dev", "uninstall-strategy-package", "section_digest").returncode == 0
    venv.pip_install("--no-deps", str(wheels["0.1.0"]))  # by hand: not ours to remove
    foreign = cm(venv, "dev", "uninstall-strategy-package", "section_digest")
    assert foreign.returncode == 1 and f"python -m pip uninstall {DIST}" in foreign.stderr
    venv.run("python", "-m", "pip", "uninstall", "-y", "-q", DIST)
    assert freeze(venv) == before


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_ctrl_c_while_downloading_changes_nothing(venv: Venv, wheels: dict[str, Path], index_server: SimpleIndex,
                                                  tmp_path: Path) -> None:
    before = freeze(venv)
    index_server.publish(wheels["0.1.0"])
    index_server.slow_files = True
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    process = subprocess.Popen([str(venv.bin / "compact-memory"), "dev", "install-strategy-package",
                                f"{DIST}==0.1.0", "--yes"], env={**os.environ, **pip_env(index_server),
                                                                  "TMPDIR": str(scratch)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert index_server.file_requested.wait(60)
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches compact-memory and pip alike
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err and err.strip().splitlines()[-1] == "interrupted"
    assert list(scratch.iterdir()) == [] and freeze(venv) == before


def test_an_sdist_is_validated_as_a_source_tree_then_built(venv: Venv, tmp_path: Path) -> None:
    before = freeze(venv)
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(tmp_path),
                    str(SAMPLE)], check=True, capture_output=True, text=True, timeout=300)
    (sdist,) = tmp_path.glob("*.tar.gz")
    env = {**pip_env(), "PIP_FIND_LINKS": str(venv.wheelhouse)}  # setuptools to build it, offline
    result = venv.run("compact-memory", "dev", "install-strategy-package", str(sdist), "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert "note: pip builds an sdist with its own build code; prefer a wheel" in result.stderr
    assert json.loads(result.stdout)["result"] == "installed"
    assert cm(venv, "dev", "uninstall-strategy-package", "section_digest").returncode == 0
    assert freeze(venv) == before
