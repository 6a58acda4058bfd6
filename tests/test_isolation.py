"""Plugin imports run in a subprocess; a process the plugin leaves running neither holds us up nor survives."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import run_cli
from plugin_factory import STRATEGY_SOURCE, local_plugin

LEAVES_A_PROCESS = (
    "import subprocess, sys\n"
    "open(__file__ + '.pid', 'w').write(str(subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])"
    ".pid))\n"
    + STRATEGY_SOURCE.format(class_name="PluginStrategy", class_id="lingering", display_name="x", marker="")
)


def gone(pid_file: Path) -> bool:
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie that nobody reaped yet is gone too.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "\nState:\tZ" in status.read_text()


@pytest.mark.skipif(os.name != "posix", reason="process groups")
def test_list_check_is_not_held_by_a_process_the_plugin_started(tmp_path: Path) -> None:
    package = local_plugin(tmp_path / "p", "lingering", "lingering", source=LEAVES_A_PROCESS)
    result = run_cli("dev", "list-strategies", "--json", "--check", "--timeout", "60",
                     env={"COMPACT_MEMORY_PLUGINS_PATH": str(tmp_path / "p")})
    assert result.returncode == 0, result.stderr
    row = next(r for r in json.loads(result.stdout)["strategies"] if r["id"] == "lingering")
    assert row["load"] == {"ok": True, "error": None}
    assert gone(package / "strategy.py.pid")


@pytest.mark.skipif(os.name != "posix", reason="process groups")
def test_validator_import_check_is_not_held_either(tmp_path: Path) -> None:
    package = local_plugin(tmp_path / "p", "lingering", "lingering", source=LEAVES_A_PROCESS)
    (package / "README.md").write_text("# lingering\n", encoding="utf-8")
    result = run_cli("dev", "validate-strategy-package", str(package), "--import-check", "require",
                     "--timeout", "60", "--format", "json")
    codes = [f["code"] for f in json.loads(result.stdout)["findings"]]
    assert "CM702" not in codes and "CM703" not in codes, result.stdout
    assert gone(package / "strategy.py.pid")
