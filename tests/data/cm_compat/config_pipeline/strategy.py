"""A pipeline built from the original's configs: prune the filler, then the original's "none" (truncate)."""

from compact_memory.compression.config import StrategyConfig
from compact_memory.compression.pipeline_strategy import PipelineCompressionStrategy, PipelineStrategyConfig


class PruneThenNone(PipelineCompressionStrategy):
    id = "cm_config_pipeline"

    def __init__(self):
        super().__init__(PipelineStrategyConfig(strategies=[
            StrategyConfig(strategy_name="prune", strategy_params={"always": True}),
            StrategyConfig(strategy_name="none"),
        ]))
