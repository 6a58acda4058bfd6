"""``truncate``: keep the head of the text, up to the budget."""

from __future__ import annotations

from typing import Any

from compact_memory.compression.strategies_abc import (
    CompressedMemory,
    CompressionStrategy,
    TextOrChunks,
    join_chunks,
)
from compact_memory.compression.trace import CompressionTrace
from compact_memory.tokenizers import get_tokenizer, head


class TruncateStrategy(CompressionStrategy):
    """Keeps the longest prefix that fits; tokenizes only what it keeps."""

    id = "truncate"
    display_name = "Truncate (keep the head)"

    def compress(
        self, text_or_chunks: TextOrChunks, llm_token_budget: int, **kwargs: Any
    ) -> tuple[CompressedMemory, CompressionTrace]:
        tokenizer = get_tokenizer(kwargs.get("tokenizer"))
        text = join_chunks(text_or_chunks)
        kept = head(tokenizer, text, llm_token_budget)
        trace = CompressionTrace(strategy_name=self.id, strategy_params={})
        trace.add_step("truncate", {"kept_chars": len(kept), "dropped_chars": len(text) - len(kept)})
        return CompressedMemory(text=kept), trace
