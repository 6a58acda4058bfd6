"""``dev install-strategy-package`` / ``uninstall-strategy-package`` through the real CLI.

Packages come from ``dev create-strategy-package`` and from
examples/sample_strategy_package; every refusal is checked to leave the
plugin directory byte-for-byte as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, run_cli

from compact_memory.plugins import install_files as community_files
from compact_memory.plugins.install_files import MARKER

SAMPLE = REPO / "examples" / "sample_strategy_package"
SECURITY = "runs with your permissions"


def snapshot(root: Path) -> dict[str, str]:
    """Every path below ``root`` with its kind, mode and content hash."""
    if not root.exists():
        return {}
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_symlink():
            out[rel] = f"link {os.readlink(path)}"
        elif path.is_dir():
            out[rel] = f"dir {mode:o}"
        else:
            out[rel] = f"file {mode:o} {hashlib.sha256(path.read_bytes()).hexdigest()}"
    return out


@pytest.fixture(scope="module")
def generated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("generated")
    result = run_cli("dev", "create-strategy-package", "--name", "compact_memory_x", "--path", str(base / "x"),
                     env={"HOME": str(base)})
    assert result.returncode == 0, result.stderr
    return base / "x"


@pytest.fixture
def generated(generated_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of a package made by `dev create-strategy-package` (strategy id x)."""
    return Path(shutil.copytree(generated_template, tmp_path / "src" / "x"))


@pytest.fixture
def plugins(user_plugin_dir: Path) -> Path:
    """The user plugin directory, holding an unrelated file and package that must survive everything."""
    (user_plugin_dir / "notes.txt").write_text("mine\n", encoding="utf-8")
    other = user_plugin_dir / "handmade"
    other.mkdir()
    (other / "README.md").write_text("not a package\n", encoding="utf-8")
    return user_plugin_dir


def bump(package: Path, version: str) -> None:
    """A new release: the manifest, pyproject.toml and the class say the same version (the validator checks)."""
    import re

    for name, pattern, line in (("strategy_package.yaml", r"(?m)^version:.*$", f'version: "{version}"'),
                                ("pyproject.toml", r'(?m)^version = ".*"$', f'version = "{version}"'),
                                ("strategy.py", r'(?m)^    version = ".*"$', f'    version = "{version}"')):
        path = package / name
        path.write_text(re.sub(pattern, line, path.read_text(encoding="utf-8")), encoding="utf-8")


def install(*args: str) -> tuple[int, str, str]:
    result = run_cli("dev", "install-strategy-package", *args)
    return result.returncode, result.stdout, result.stderr


def uninstall(*args: str) -> tuple[int, str, str]:
    result = run_cli("dev", "uninstall-strategy-package", *args)
    return result.returncode, result.stdout, result.stderr


@pytest.mark.parametrize("which", ["generated", "sample"])
def test_round_trip_leaves_the_plugin_directory_as_it_was(which: str, generated: Path, plugins: Path) -> None:
    source, sid = (generated, "x") if which == "generated" else (SAMPLE, "section_digest")
    before = snapshot(plugins)
    code, out, err = install(str(source))
    assert code == 0, err
    assert SECURITY in err
    dest = plugins / sid
    assert f"installed {sid} 0.1.0" in out and str(dest) in out and "  strategy_package.yaml" in out
    record = json.loads((dest / MARKER).read_text(encoding="utf-8"))
    assert record["strategy_id"] == sid and record["version"] == "0.1.0"
    assert set(record["files"]) == {p.relative_to(dest).as_posix() for p in dest.rglob("*")
                                    if p.is_file() and p.name != MARKER}
    for name, digest in record["files"].items():
        assert hashlib.sha256((source / name).read_bytes()).hexdigest() == digest

    listed = json.loads(run_cli("dev", "list-strategies", "--json").stdout)
    mine = [s for s in listed["strategies"] if s["id"] == sid]
    assert [(s["source"], s["status"], s["origin"]) for s in mine] == [("local", "active", str(dest))]
    # Using it writes bytecode caches; uninstall still removes everything it installed.
    used = run_cli("compress", "--strategy", sid, "--text", "# Title\n\nOne sentence here. Another one.",
                   "--budget", "4")
    assert used.returncode == 0, used.stderr

    code, out, err = uninstall(sid)
    assert code == 0, err
    assert f"uninstalled {sid} 0.1.0" in out
    assert snapshot(plugins) == before


def test_json_output(generated: Path, plugins: Path) -> None:
    code, out, err = install(str(generated), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["format_version"] == 1 and doc["result"] == "installed" and doc["action"] == "installed"
    assert doc["strategy_id"] == "x" and doc["version"] == "0.1.0" and doc["previous_version"] is None
    assert doc["path"] == str(plugins / "x") and "strategy.py" in doc["files"] and doc["findings"] == []
    code, out, _ = uninstall("x", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["result"] == "uninstalled" and "strategy.py" in doc["files"] and doc["kept"] == []


def test_installs_into_the_user_directory_even_when_it_does_not_exist(generated: Path, hermetic_env: Path) -> None:
    code, _, err = install(str(generated))
    assert code == 0, err
    assert (hermetic_env / ".local" / "share" / "compact_memory" / "plugins" / "x" / "strategy.py").is_file()


def test_to_another_directory(generated: Path, plugins: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    assert install(str(generated), "--to", str(tmp_path / "missing"))[0] == 1
    target.mkdir()
    before = snapshot(plugins)
    code, _, err = install(str(generated), "--to", str(target))
    assert code == 0, err
    assert "not searched for plugins" in err and "COMPACT_MEMORY_PLUGINS_PATH" in err
    assert (target / "x" / MARKER).is_file() and snapshot(plugins) == before
    assert uninstall("x")[0] == 1  # not in the user directory
    code, _, err = uninstall("x", "--from", str(target))
    assert code == 0, err
    assert list(target.iterdir()) == []


def test_refuses_to_overwrite_without_upgrade(generated: Path, plugins: Path) -> None:
    assert install(str(generated))[0] == 0
    code, out, err = install(str(generated))  # the very same package: nothing to do
    assert code == 0 and "already installed" in out
    (generated / "README.md").write_text("# X\n\nChanged.\n", encoding="utf-8")
    before = snapshot(plugins)
    code, _, err = install(str(generated))
    assert code == 1
    assert "x 0.1.0 is already installed" in err and "--upgrade" in err
    code, _, err = install(str(generated), "--upgrade")  # same version: not newer
    assert code == 1 and "0.1.0 is not newer" in err
    bump(generated, "0.0.9")
    code, _, err = install(str(generated), "--upgrade")
    assert code == 1 and "0.0.9 is not newer" in err
    assert snapshot(plugins) == before


def test_upgrade_to_a_newer_version(generated: Path, plugins: Path) -> None:
    assert install(str(generated))[0] == 0
    bump(generated, "0.2.0")
    (generated / "README.md").write_text("# X\n\nVersion two.\n", encoding="utf-8")
    (generated / "requirements.txt").unlink()  # a file the new version no longer has
    code, out, err = install(str(generated), "--upgrade", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["action"], doc["previous_version"], doc["version"]) == ("upgraded", "0.1.0", "0.2.0")
    dest = plugins / "x"
    assert "Version two." in (dest / "README.md").read_text(encoding="utf-8")
    assert not (dest / "requirements.txt").exists()
    assert json.loads((dest / MARKER).read_text(encoding="utf-8"))["version"] == "0.2.0"
    assert not [p for p in plugins.iterdir() if p.name.startswith(".")]  # no staging or old copy left


def test_upgrade_refuses_changed_files_and_foreign_directories(generated: Path, plugins: Path) -> None:
    assert install(str(generated))[0] == 0
    (plugins / "x" / "strategy.py").write_text("# my local fix\n", encoding="utf-8")
    bump(generated, "0.2.0")
    before = snapshot(plugins)
    code, _, err = install(str(generated), "--upgrade")
    assert code == 1 and "changed or removed since they were installed: strategy.py" in err
    assert snapshot(plugins) == before
    code, _, err = install(str(generated), "--upgrade", "--force")
    assert code == 0, err
    assert "my local fix" not in (plugins / "x" / "strategy.py").read_text(encoding="utf-8")

    (plugins / "x" / MARKER).unlink()  # now it looks hand-made
    bump(generated, "0.3.0")
    before = snapshot(plugins)
    code, _, err = install(str(generated), "--upgrade")
    assert code == 1 and "was not installed by compact-memory" in err
    assert snapshot(plugins) == before


def test_refuses_a_second_directory_with_the_same_id(generated: Path, plugins: Path) -> None:
    shutil.copytree(generated, plugins / "my_x")
    before = snapshot(plugins)
    code, _, err = install(str(generated))
    assert code == 1 and "my_x already holds strategy id 'x'" in err
    assert snapshot(plugins) == before


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        ("version", "strategy_package.yaml:7:1: error CM202 unknown key 'verison' (hint: did you mean 'version'?)"),
        ("readme", "strategy_package.yaml: error CM303 the package has no README"),
        ("class", "strategy.py"),
    ],
)
def test_a_package_that_fails_validation_is_not_installed(generated: Path, plugins: Path, breakage: str,
                                                          expected: str) -> None:
    manifest = generated / "strategy_package.yaml"
    if breakage == "version":
        manifest.write_text(manifest.read_text(encoding="utf-8").replace("\nversion:", "\nverison:"), encoding="utf-8")
    elif breakage == "readme":  # a warning: strict mode refuses it too
        (generated / "README.md").unlink()
    else:
        module = generated / "strategy.py"
        module.write_text(module.read_text(encoding="utf-8").replace("class XStrategy", "class Other"),
                          encoding="utf-8")
    before = snapshot(plugins)
    code, out, err = install(str(generated))
    assert code == 1
    assert expected in err and "nothing was installed" in err and SECURITY in err
    assert out == ""
    assert snapshot(plugins) == before


def test_validation_failure_as_json(generated: Path, plugins: Path) -> None:
    (generated / "README.md").unlink()
    code, out, _ = install(str(generated), "--json")
    doc = json.loads(out)
    assert code == 1 and doc["result"] == "invalid"
    assert [(f["code"], f["severity"]) for f in doc["findings"]] == [("CM303", "error")]


def test_a_missing_dependency_is_a_warning_not_a_refusal(generated: Path, plugins: Path) -> None:
    manifest = generated / "strategy_package.yaml"
    text = manifest.read_text(encoding="utf-8").replace("dependencies: []", 'dependencies: ["cm-no-such-dist>=1"]')
    manifest.write_text(text, encoding="utf-8")
    (generated / "requirements.txt").write_text("cm-no-such-dist>=1\n", encoding="utf-8")
    pyproject = generated / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8").replace('dependencies = ["', 'dependencies = ["cm-no-such-dist>=1", "')
    pyproject.write_text(text, encoding="utf-8")
    code, _, err = install(str(generated))
    assert code == 0, err
    assert "warning CM601" in err and "cm-no-such-dist" in err


def test_install_never_runs_package_code(generated: Path, plugins: Path, tmp_path: Path) -> None:
    sentinel = tmp_path / "ran"
    module = generated / "strategy.py"
    # After the module's `from __future__` import: before it, the module would not even compile (CM401).
    module.write_text(module.read_text(encoding="utf-8") + f"\nopen({str(sentinel)!r}, 'w').close()\n",
                      encoding="utf-8")
    init = generated / "__init__.py"
    init.write_text(f"open({str(sentinel)!r}, 'w').close()\n", encoding="utf-8")
    assert install(str(generated))[0] == 0
    assert not sentinel.exists()


def test_symlinks_leaving_the_package_are_refused(generated: Path, plugins: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not copy\n", encoding="utf-8")
    (generated / "data.txt").symlink_to(secret)
    before = snapshot(plugins)
    code, _, err = install(str(generated))
    assert code == 1 and "data.txt" in err and "leaves the package" in err
    assert snapshot(plugins) == before


def test_caches_and_version_control_are_not_copied(generated: Path, plugins: Path) -> None:
    for junk in (".git/config", "__pycache__/strategy.cpython-311.pyc", ".venv/pyvenv.cfg", "x.egg-info/PKG-INFO"):
        (generated / junk).parent.mkdir(parents=True, exist_ok=True)
        (generated / junk).write_text("junk\n", encoding="utf-8")
    assert install(str(generated))[0] == 0
    names = {p.relative_to(plugins / "x").parts[0] for p in (plugins / "x").rglob("*")}
    assert not names & {".git", "__pycache__", ".venv", "x.egg-info"}


def test_not_a_package(tmp_path: Path, plugins: Path) -> None:
    before = snapshot(plugins)
    code, _, err = install(str(tmp_path / "nope"))
    assert code == 1 and "no such directory" in err
    code, _, err = install(str(tmp_path))
    assert code == 1 and "no strategy_package.yaml" in err
    assert snapshot(plugins) == before


def test_an_interrupted_copy_leaves_nothing_behind(generated: Path, plugins: Path,
                                                   monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
                                                   ) -> None:
    from compact_memory.cli import main
    from compact_memory.plugins import install as install_module

    real_copy = community_files.copy_file
    copied: list[str] = []

    def copy_then_interrupt(source: Path, dest: Path) -> str:
        if len(copied) == 3:
            raise KeyboardInterrupt
        copied.append(source.name)
        return real_copy(source, dest)

    monkeypatch.setattr(install_module, "copy_file", copy_then_interrupt)
    before = snapshot(plugins)
    assert main(["dev", "install-strategy-package", str(generated)]) == 130
    assert len(copied) == 3
    assert snapshot(plugins) == before

    # The same while replacing an installed version: the old copy stays intact.
    monkeypatch.setattr(install_module, "copy_file", real_copy)
    assert main(["dev", "install-strategy-package", str(generated)]) == 0
    bump(generated, "0.2.0")
    copied.clear()
    monkeypatch.setattr(install_module, "copy_file", copy_then_interrupt)
    before = snapshot(plugins)
    assert main(["dev", "install-strategy-package", str(generated), "--upgrade"]) == 130
    assert snapshot(plugins) == before
    assert "interrupted" in capsys.readouterr().err


def test_a_failed_rename_during_upgrade_restores_the_old_copy(generated: Path, plugins: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from compact_memory.cli import main

    assert main(["dev", "install-strategy-package", str(generated)]) == 0
    bump(generated, "0.2.0")
    before = snapshot(plugins)
    real_rename = os.rename

    def failing_rename(src: object, dst: object) -> None:
        if ".installing-" in str(src):
            raise OSError(28, "No space left on device")
        real_rename(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "rename", failing_rename)
    assert main(["dev", "install-strategy-package", str(generated), "--upgrade"]) == 1
    assert snapshot(plugins) == before


def test_uninstall_refusals(generated: Path, plugins: Path) -> None:
    before = snapshot(plugins)
    code, _, err = uninstall("handmade")
    assert code == 1 and "was not installed by compact-memory" in err and "--force" in err
    code, _, err = uninstall("nothing_here")
    assert code == 1 and "'nothing_here' is not installed in" in err
    code, _, err = uninstall("truncate")
    assert code == 1 and "built-in" in err
    code, _, err = uninstall("../notes")
    assert code == 2 and "is not a strategy id" in err
    assert snapshot(plugins) == before

    assert install(str(generated))[0] == 0
    (plugins / "x" / "README.md").write_text("edited\n", encoding="utf-8")
    before = snapshot(plugins)
    code, _, err = uninstall("x")
    assert code == 1 and "changed since they were installed: README.md" in err
    assert snapshot(plugins) == before
    code, _, err = uninstall("x", "--force")
    assert code == 0, err
    assert not (plugins / "x").exists()


def test_uninstall_keeps_files_it_did_not_install(generated: Path, plugins: Path) -> None:
    assert install(str(generated))[0] == 0
    (plugins / "x" / "my_notes.md").write_text("keep me\n", encoding="utf-8")
    code, _, err = uninstall("x")
    assert code == 0, err
    assert "kept 1 file(s)" in err and "my_notes.md" in err
    assert sorted(p.name for p in (plugins / "x").rglob("*")) == ["my_notes.md"]


def test_uninstall_force_removes_a_hand_made_package(generated: Path, plugins: Path) -> None:
    shutil.copytree(generated, plugins / "x")
    code, _, err = uninstall("x", "--force")
    assert code == 0, err
    assert not (plugins / "x").exists() and (plugins / "handmade" / "README.md").exists()


def test_a_tampered_record_is_refused(generated: Path, plugins: Path) -> None:
    assert install(str(generated))[0] == 0
    marker = plugins / "x" / MARKER
    record = json.loads(marker.read_text(encoding="utf-8"))
    record["files"]["../notes.txt"] = record["files"]["README.md"]
    marker.write_text(json.dumps(record), encoding="utf-8")
    before = snapshot(plugins)
    code, _, err = uninstall("x")
    assert code == 1 and "unsafe path '../notes.txt'" in err
    assert snapshot(plugins) == before


def dead_pid() -> int:
    """The id of a process that has exited."""
    process = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                             text=True, check=True)
    return int(process.stdout)


@pytest.mark.skipif(os.name != "posix", reason="recovery needs a safe test of whether a process is alive")
def test_what_a_killed_install_left_behind_is_recovered(generated: Path, plugins: Path) -> None:
    assert install(str(generated))[0] == 0
    installed = snapshot(plugins / "x")
    # The state a SIGKILL in the middle of an upgrade leaves: the old copy moved aside, a half-made new one.
    pid = dead_pid()
    os.rename(plugins / "x", plugins / f".x.replaced-{pid}-abc123")
    half = plugins / f".x.installing-{pid}-def456"
    half.mkdir()
    (half / "strategy.py").write_text("# half copied", encoding="utf-8")
    running = plugins / f".x.installing-{os.getpid()}-ghi789"  # a live process's work: not ours to touch
    running.mkdir()
    # What the killed process wrote down before it made each directory.
    (plugins / f".x.journal-{pid}-0a1b.json").write_text(json.dumps(
        {"pid": pid, "strategy_id": "x", "dirs": [f".x.replaced-{pid}-abc123", f".x.installing-{pid}-def456"]}))
    (plugins / f".x.journal-{os.getpid()}-0a1c.json").write_text(json.dumps(
        {"pid": os.getpid(), "strategy_id": "x", "dirs": [running.name]}))

    code, out, err = install(str(generated))
    assert code == 0, err
    assert "already installed" in out  # the moved-aside copy was put back, and it is this very package
    assert snapshot(plugins / "x") == installed
    assert not half.exists() and not list(plugins.glob(".x.replaced-*"))
    assert running.is_dir() and not list(plugins.glob(f".x.journal-{pid}-*"))
    running.rmdir()
    (plugins / f".x.journal-{os.getpid()}-0a1c.json").unlink()
    assert uninstall("x")[0] == 0


def test_a_planted_work_directory_is_never_adopted_or_deleted(generated: Path, plugins: Path) -> None:
    """Hidden directories named like our work directories, with no journal of ours: left exactly alone."""
    pid = dead_pid()
    planted = plugins / f".x.replaced-{pid}-evil00"
    planted.mkdir()
    (planted / "strategy_package.yaml").write_text("strategy_id: x\n", encoding="utf-8")
    (planted / "strategy.py").write_text("raise SystemExit('planted code ran')\n", encoding="utf-8")
    other = plugins / f".x.installing-{pid}-evil01"
    other.mkdir()
    code, _, err = install(str(generated))
    assert code == 0, err
    assert planted.is_dir() and other.is_dir() and (planted / "strategy.py").exists()
    assert "planted" not in (plugins / "x" / "strategy.py").read_text(encoding="utf-8")
    assert uninstall("x")[0] == 0 and planted.is_dir() and other.is_dir()


def test_uninstall_force_removes_a_package_whose_record_names_another_id(generated: Path, plugins: Path) -> None:
    assert install(str(generated))[0] == 0
    marker = plugins / "x" / MARKER
    record = json.loads(marker.read_text(encoding="utf-8"))
    record["strategy_id"] = "other"
    marker.write_text(json.dumps(record), encoding="utf-8")
    code, _, err = uninstall("x")
    assert code == 1 and "records strategy id 'other'" in err and (plugins / "x").is_dir()
    code, _, err = uninstall("x", "--force")
    assert code == 0, err
    assert not (plugins / "x").exists()


# --- the trust boundary -----------------------------------------------------------------------------


def test_uninstall_never_deletes_through_a_linked_directory(generated: Path, plugins: Path, tmp_path: Path) -> None:
    """A directory of the installed package replaced by a link to elsewhere: the files there survive."""
    assert install(str(generated))[0] == 0
    outside = tmp_path / "victim"
    (outside / "tests").mkdir(parents=True)
    for name in ("conftest.py", "test_strategy.py"):
        shutil.copy(plugins / "x" / "tests" / name, outside / "tests" / name)  # same bytes: the hashes match
    shutil.rmtree(plugins / "x" / "tests")
    (plugins / "x" / "tests").symlink_to(outside / "tests", target_is_directory=True)
    before = snapshot(outside)
    code, _, err = uninstall("x")
    assert code == 1 and "tests/conftest.py" in err and "changed since they were installed" in err
    code, _, err = uninstall("x", "--force")
    assert code == 0, err
    assert snapshot(outside) == before and not (plugins / "x").exists()


def test_a_record_nested_too_deeply_is_a_clear_refusal(generated: Path, plugins: Path) -> None:
    assert install(str(generated))[0] == 0
    (plugins / "x" / MARKER).write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    code, _, err = uninstall("x")
    assert code == 1 and "cannot be read (RecursionError)" in err and "Traceback" not in err


def test_concurrent_installs_of_one_id_serialize(generated: Path, plugins: Path) -> None:
    """Ten rounds of two installs at once: exactly one installs; the other sees it installed."""
    for _ in range(10):
        procs = [subprocess.Popen([sys.executable, "-m", "compact_memory", "dev", "install-strategy-package",
                                   str(generated)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        outcomes = [(p.returncode, *p.communicate(timeout=120)) for p in procs]
        outcomes = [(p.returncode, out, err) for p, (_, out, err) in zip(procs, outcomes, strict=True)]
        installed = [o for o in outcomes if o[0] == 0 and o[1].startswith("installed ")]
        unchanged = [o for o in outcomes if "already installed" in o[1] + o[2]]
        assert len(installed) == 1 and len(unchanged) == 1, outcomes
        assert [p.name for p in plugins.iterdir() if p.name.startswith(".")] == []
        assert uninstall("x")[0] == 0
