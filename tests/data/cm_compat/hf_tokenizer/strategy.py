"""Written the way the original Compact Memory's sample did: count with the tokenizer called like a Hugging Face one."""

from compact_memory.compression.strategies_abc import CompressedMemory, CompressionStrategy, CompressionTrace


class FirstWordsStrategy(CompressionStrategy):
    id = "cm_hf_tokenizer"

    def compress(self, text_or_chunks, llm_token_budget, **kwargs):
        tokenizer = kwargs.get("tokenizer")
        text = text_or_chunks if isinstance(text_or_chunks, str) else "\n\n".join(text_or_chunks)

        def count(piece):
            return len(tokenizer(piece).get("input_ids", []))

        words = text.split(" ")
        kept = text
        while words and count(kept) > llm_token_budget:
            words = words[: max(len(words) * 3 // 4, len(words) - 1)]
            kept = " ".join(words)
        if count(kept) > llm_token_budget:
            kept = ""
        trace = CompressionTrace(strategy_name=self.id, strategy_params={}, input_summary={"tokens": count(text)})
        trace.add_step("first_words", {"kept_words": len(kept.split())})
        return CompressedMemory(text=kept), trace
