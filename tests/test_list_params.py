"""`list-strategies --params`: built-ins show their declared parameters; plugins only when --check imports them."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli
from plugin_factory import STRATEGY_SOURCE, local_plugin

from compact_memory.plugins.registry import get_compression_strategy

WITH_PARAMS = STRATEGY_SOURCE.format(class_name="PluginStrategy", class_id="tunable", display_name="Tunable",
                                     marker="") + '''
from compact_memory.compression.strategies_abc import Param
PluginStrategy.params = (Param("depth", int, 3, "how deep to go"),)
open(__file__ + ".imported", "w").close()  # proves whether the plugin ran
'''


def rows(*args: str) -> dict[str, dict]:
    result = run_cli("dev", "list-strategies", "--json", "--params", *args)
    assert result.returncode == 0, result.stderr
    return {row["id"]: row for row in json.loads(result.stdout)["strategies"]}


def test_builtins_show_their_declared_parameters(user_plugin_dir: Path) -> None:
    listed = rows()
    for strategy_id in ("truncate", "first_last", "extractive", "prune", "pipeline"):
        declared = [p.to_json() for p in get_compression_strategy(strategy_id).params]
        assert listed[strategy_id]["params"] == declared
    assert listed["truncate"]["params"] == []
    assert {"name": "head_fraction", "type": "float", "default": 0.5,
            "help": listed["first_last"]["params"][1]["help"]} in listed["first_last"]["params"]


def test_plugin_parameters_only_with_check(user_plugin_dir: Path) -> None:
    package = local_plugin(user_plugin_dir, "tunable", "tunable", source=WITH_PARAMS)
    assert rows()["tunable"]["params"] is None
    assert not (package / "strategy.py.imported").exists()  # listing ran no plugin code
    checked = rows("--check")["tunable"]
    assert checked["load"] == {"ok": True, "error": None}
    assert checked["params"] == [{"name": "depth", "type": "int", "default": 3, "help": "how deep to go"}]


def test_table_lists_parameters_after_the_strategies(user_plugin_dir: Path) -> None:
    local_plugin(user_plugin_dir, "tunable", "tunable", source=WITH_PARAMS)
    result = run_cli("dev", "list-strategies", "--params")
    assert result.returncode == 0, result.stderr
    assert "  --param head_fraction=<float>  default 0.5: " in result.stdout
    assert "tunable (Plugin tunable)\n  (not imported: add --check" in result.stdout
    checked = run_cli("dev", "list-strategies", "--params", "--check")
    assert "  --param depth=<int>  default 3: how deep to go" in checked.stdout
