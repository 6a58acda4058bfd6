"""Kept from the original Compact Memory: the pipeline classes (see :mod:`compact_memory.compat`)."""

from compact_memory.compat import PipelineCompressionStrategy, PipelineStrategyConfig, StrategyConfig

__all__ = ["PipelineCompressionStrategy", "PipelineStrategyConfig", "StrategyConfig"]
