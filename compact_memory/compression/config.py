"""Kept from the original Compact Memory: ``StrategyConfig`` (see :mod:`compact_memory.compat`)."""

from compact_memory.compat import PipelineStrategyConfig, StrategyConfig

__all__ = ["PipelineStrategyConfig", "StrategyConfig"]
