"""``truncate``: keep the head of the text, up to the budget."""

from __future__ import annotations

from typing import Any

from compact_memory.compression.strategies_abc import (
    CompressedMemory,
    CompressionStrategy,
    TextOrChunks,
)
from compact_memory.compression.trace import CompressionTrace
from compact_memory.tokenizers import head


class TruncateStrategy(CompressionStrategy):
    """Keeps the longest prefix that fits; tokenizes only what it keeps."""

    id = "truncate"
    display_name = "Truncate (keep the head)"

    def compress(
        self, text_or_chunks: TextOrChunks, llm_token_budget: int, **kwargs: Any
    ) -> tuple[CompressedMemory, CompressionTrace]:
        job = self.begin(text_or_chunks, llm_token_budget, kwargs)
        kept = head(job.tokenizer, job.text, job.budget)
        job.trace.add_step("truncate", {"kept_chars": len(kept), "dropped_chars": len(job.text) - len(kept)})
        return job.result(kept)
