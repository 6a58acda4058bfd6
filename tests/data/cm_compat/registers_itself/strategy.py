"""Registers itself at import, with the original's two-argument form and its keyword metadata."""

from compact_memory.compression import register_compression_strategy
from compact_memory.compression.strategies_abc import CompressedMemory, CompressionStrategy, CompressionTrace
from compact_memory.token_utils import truncate_text


class SelfRegistered(CompressionStrategy):
    id = "cm_registered"

    def compress(self, text_or_chunks, llm_token_budget, **kwargs):
        text = text_or_chunks if isinstance(text_or_chunks, str) else "\n\n".join(text_or_chunks)
        kept = truncate_text(kwargs["tokenizer"], text, llm_token_budget)
        return CompressedMemory(text=kept), CompressionTrace(strategy_name=self.id)


register_compression_strategy("cm_registered", SelfRegistered, display_name="Self-registered (original style)",
                              version="0.1.0", source="plugin")
