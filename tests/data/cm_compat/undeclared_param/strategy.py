"""Takes a constructor parameter it never declares in ``params``, as the original's packaging tutorial did."""

from compact_memory.compression.strategies_abc import CompressedMemory, CompressionStrategy, CompressionTrace
from compact_memory.token_utils import token_count, truncate_text


class KeepSentences(CompressionStrategy):
    id = "cm_undeclared_param"

    def __init__(self, custom_param=2):
        self.custom_param = custom_param

    def compress(self, text_or_chunks, llm_token_budget, **kwargs):
        tokenizer = kwargs["tokenizer"]
        text = text_or_chunks if isinstance(text_or_chunks, str) else "\n\n".join(text_or_chunks)
        if token_count(tokenizer, text) <= llm_token_budget:
            return CompressedMemory(text=text), CompressionTrace(strategy_name=self.id)
        sentences = [s for s in text.replace("\n", " ").split(". ") if s]
        kept = ". ".join(sentences[: int(self.custom_param)])
        kept = truncate_text(tokenizer, kept, llm_token_budget)
        trace = CompressionTrace(strategy_name=self.id, strategy_params={"custom_param": self.custom_param})
        return CompressedMemory(text=kept), trace
