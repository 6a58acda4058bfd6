"""The original Compact Memory's config and pipeline classes, built on this project's factory and pipeline.

Kept at their original import paths (``compact_memory.compression.config``,
``.pipeline_strategy`` and ``.no_compression``) so code written for the
original runs unchanged; new code can use ``make_strategy`` and the
``pipeline`` strategy directly. Budgets follow this project's rules: every
step gets the final budget and the output is cut to it (docs/strategies.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from compact_memory.compression.strategies_abc import CompressionStrategy
from compact_memory.errors import UsageError
from compact_memory.strategies.pipeline import PipelineStrategy
from compact_memory.strategies.truncate import TruncateStrategy

# The original's "none" strategy truncated to the budget; here "none" is an alias of truncate.
NoCompression = TruncateStrategy


@dataclass
class StrategyConfig:
    """A strategy by id (built-in or plugin) and its constructor parameters."""

    strategy_name: str
    strategy_params: dict[str, Any] = field(default_factory=dict)

    def create(self) -> CompressionStrategy:
        from compact_memory.factory import make_strategy

        return make_strategy(self.strategy_name, self.strategy_params,
                             context=f"StrategyConfig({self.strategy_name!r})")


@dataclass
class PipelineStrategyConfig:
    """Strategies run one after another, each on the previous output."""

    strategies: list[StrategyConfig] = field(default_factory=list)
    strategy_name: str = "pipeline"
    strategy_params: dict[str, Any] = field(default_factory=dict)

    def create(self) -> PipelineCompressionStrategy:
        return PipelineCompressionStrategy(self)


class PipelineCompressionStrategy(PipelineStrategy):
    """The original's pipeline: from a :class:`PipelineStrategyConfig` or a list of strategies or configs."""

    def __init__(self, config_or_strategies: PipelineStrategyConfig | Sequence[Any] | Mapping[str, Any]) -> None:
        if isinstance(config_or_strategies, PipelineStrategyConfig):
            items: Sequence[Any] = config_or_strategies.strategies
        elif isinstance(config_or_strategies, Mapping):
            items = [StrategyConfig(**s) if isinstance(s, Mapping) else s
                     for s in config_or_strategies.get("strategies", [])]
        elif isinstance(config_or_strategies, Sequence) and not isinstance(config_or_strategies, str):
            items = config_or_strategies
        else:
            raise UsageError(f"PipelineCompressionStrategy takes a PipelineStrategyConfig or a list of strategies, "
                             f"not {type(config_or_strategies).__name__}")
        super().__init__(steps=[item.create() if isinstance(item, StrategyConfig) else item for item in items])
