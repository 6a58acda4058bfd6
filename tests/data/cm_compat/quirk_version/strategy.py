"""Uses each helper the original Compact Memory documented in compact_memory.token_utils."""

from compact_memory.compression.strategies_abc import CompressedMemory, CompressionStrategy, CompressionTrace
from compact_memory.token_utils import get_tokenizer, token_count, tokenize_text, truncate_text


class HelpersStrategy(CompressionStrategy):
    id = "cm_quirk_version"

    def compress(self, text_or_chunks, llm_token_budget, **kwargs):
        tokenizer = kwargs.get("tokenizer") or get_tokenizer("words")
        text = text_or_chunks if isinstance(text_or_chunks, str) else "\n\n".join(text_or_chunks)
        tokens = tokenize_text(tokenizer, text)
        if token_count(tokenizer, text) <= llm_token_budget:
            kept = text
        else:
            kept = truncate_text(tokenizer, text, llm_token_budget)
        trace = CompressionTrace(strategy_name=self.id, strategy_params={},
                                 input_summary={"tokens": len(tokens)})
        trace.add_step("truncate_text", {"kept_chars": len(kept)})
        return CompressedMemory(text=kept), trace
