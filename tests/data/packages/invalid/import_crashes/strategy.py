"""A corpus strategy."""

from __future__ import annotations

from typing import Any

from compact_memory.compression import CompressedMemory, CompressionStrategy, CompressionTrace
from compact_memory.compression.strategies_abc import TextOrChunks
from compact_memory.tokenizers import get_tokenizer, head

import os

os.abort()


class EchoStrategy(CompressionStrategy):
    """Keeps the head of the text."""

    id = "echo"

    def compress(
        self, text_or_chunks: TextOrChunks, llm_token_budget: int, **kwargs: Any
    ) -> tuple[CompressedMemory, CompressionTrace]:
        tokenizer = get_tokenizer(kwargs.get("tokenizer"))
        text = text_or_chunks if isinstance(text_or_chunks, str) else "\n\n".join(text_or_chunks)
        if tokenizer.count(text) > llm_token_budget:
            text = head(tokenizer, text, llm_token_budget)
        return CompressedMemory(text=text), CompressionTrace(strategy_name=self.id, strategy_params={})
