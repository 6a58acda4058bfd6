"""The built-in strategies, listed without importing them.

Each lives in its own module; the table below is what listing and resolving
read, so only the strategy actually used is imported.
"""

from __future__ import annotations


class BuiltinSpec:
    __slots__ = ("class_name", "display_name", "id", "module")

    def __init__(self, id: str, module: str, class_name: str, display_name: str) -> None:
        self.id = id
        self.module = module
        self.class_name = class_name
        self.display_name = display_name


BUILTINS: tuple[BuiltinSpec, ...] = (
    BuiltinSpec("truncate", "compact_memory.strategies.truncate", "TruncateStrategy", "Truncate (keep the head)"),
    BuiltinSpec("first_last", "compact_memory.strategies.first_last", "FirstLastStrategy", "First and last"),
    BuiltinSpec("extractive", "compact_memory.strategies.extractive", "ExtractiveStrategy", "Extractive sentences"),
    BuiltinSpec("prune", "compact_memory.strategies.prune", "PruneStrategy", "Prune filler words"),
    BuiltinSpec("pipeline", "compact_memory.strategies.pipeline", "PipelineStrategy", "Pipeline of strategies"),
)

# Other names for built-ins, kept for strategies and configs written for the original Compact Memory.
# An alias resolves to its strategy (listed as an alias, not as a second strategy).
ALIASES: dict[str, str] = {"none": "truncate"}


def is_builtin_name(strategy_id: object) -> bool:
    """Whether ``strategy_id`` is a built-in's id or an alias of one (plugins take it only with overrides_builtin)."""
    return strategy_id in ALIASES or any(spec.id == strategy_id for spec in BUILTINS)
