"""The docs name what the code declares."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from compact_memory.plugins.registry import get_compression_strategy
from compact_memory.strategies import BUILTINS

ROOT = Path(__file__).resolve().parents[1]


def _section(text: str, strategy_id: str) -> str:
    match = re.search(rf"^## {strategy_id}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"docs/strategies.md has no '## {strategy_id}' section"
    return match.group(1)


@pytest.mark.parametrize("strategy_id", [spec.id for spec in BUILTINS])
def test_strategies_page_lists_every_parameter_with_its_default(strategy_id: str) -> None:
    section = _section((ROOT / "docs" / "strategies.md").read_text(encoding="utf-8"), strategy_id)
    for param in get_compression_strategy(strategy_id).params:
        default = param.default.encode("unicode_escape").decode() if isinstance(param.default, str) else param.default
        shown = f'"{default}"' if isinstance(param.default, str) else str(default)
        row = f"| `{param.name}` | {param.type.__name__} | `{shown.replace('|', chr(92) + '|')}` |"
        assert row in section, f"docs/strategies.md, section {strategy_id}: expected a row starting {row}"


def test_readme_links_resolve() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme):
        if "://" not in target:
            assert (ROOT / target).exists(), f"README.md links to {target}, which does not exist"
