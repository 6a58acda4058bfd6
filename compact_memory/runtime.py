"""One call that runs a strategy and measures it the same way for every strategy."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from compact_memory.compression.strategies_abc import (
    CompressedMemory,
    CompressionStrategy,
    TextOrChunks,
    join_chunks,
)
from compact_memory.compression.trace import CompressionTrace
from compact_memory.errors import UsageError
from compact_memory.factory import call_compress, make_strategy
from compact_memory.tokenizers import Tokenizer, get_tokenizer, head


def check_budget(budget: object) -> int:
    """A budget is a whole number of tokens >= 0; anything else is a usage error."""
    if isinstance(budget, bool) or not isinstance(budget, int):
        raise UsageError(f"budget must be a whole number of tokens, got {budget!r}")
    if budget < 0:
        raise UsageError(f"budget must be >= 0, got {budget}")
    return budget


def compress(
    text_or_chunks: TextOrChunks,
    budget: int,
    strategy: str | CompressionStrategy | type[CompressionStrategy] = "extractive",
    *,
    tokenizer: str | Tokenizer | None = None,
    query: str | None = None,
    params: Mapping[str, Any] | None = None,
    count_input: bool = True,
) -> tuple[CompressedMemory, CompressionTrace]:
    """Compress with a strategy and fill the trace's tokenizer, counts and timing.

    ``strategy`` is an id, a class or an instance; ``params`` are typed as
    :func:`compact_memory.factory.make_strategy` describes. The output is
    re-counted; if a strategy returns more than ``budget`` tokens, the runtime
    cuts it to the budget and records that in the trace, so the budget is
    always a hard cap.

    Counting the input's tokens reads all of it, which costs more than a
    strategy such as ``truncate`` spends on a large input; with
    ``count_input=False`` the trace records the input's characters only.
    """
    budget = check_budget(budget)
    tok = get_tokenizer(tokenizer)
    instance = make_strategy(strategy, params)
    kwargs: dict[str, Any] = {"tokenizer": tok}
    if query:
        kwargs["query"] = query
    text = join_chunks(text_or_chunks)
    started = time.perf_counter()
    memory, trace = call_compress(instance, text_or_chunks, budget, kwargs)
    elapsed_ms = (time.perf_counter() - started) * 1000
    if budget == 0 and memory.text:  # the contract: budget 0 gives empty output, whitespace included
        trace.add_step("runtime_budget_cut", {"strategy_tokens": tok.count(memory.text), "budget": 0,
                                              "kept_tokens": 0})
        memory.text = ""
    out_tokens = tok.count(memory.text)
    if out_tokens > budget:
        memory.text = head(tok, memory.text, budget)
        kept = tok.count(memory.text)
        trace.add_step("runtime_budget_cut", {"strategy_tokens": out_tokens, "budget": budget, "kept_tokens": kept})
        out_tokens = kept
    trace.tokenizer = tok.name
    trace.processing_ms = round(elapsed_ms, 3)
    if count_input:
        trace.input_summary["tokens"] = tok.count(text)
    trace.input_summary.update({"chars": len(text), "budget": budget})
    trace.output_summary.update({"tokens": out_tokens, "chars": len(memory.text)})
    if trace.final_compressed_object_preview is None:
        trace.final_compressed_object_preview = memory.text[:200]
    return memory, trace
