"""The {{ cookiecutter.strategy_id }} strategy: the lead sentence of each paragraph, within the budget.

Replace the body of ``compress`` with your own idea. Keep the three promises
the testing kit checks (``pytest`` runs it): never return more than
``llm_token_budget`` tokens under the tokenizer you are given, return the
input unchanged when it already fits, and give the same output for the
same input.
"""

from __future__ import annotations

import re
from typing import Any

from compact_memory.compression import CompressedMemory, CompressionStrategy, CompressionTrace
from compact_memory.compression.strategies_abc import TextOrChunks
from compact_memory.tokenizers import head

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SEPARATOR = "\n\n"


class {{ cookiecutter.class_name }}(CompressionStrategy):
    """Keeps the first sentence of every paragraph, in order, while they fit."""

    id = "{{ cookiecutter.strategy_id }}"
    display_name = "{{ cookiecutter.__display_name_q }}"
    version = "{{ cookiecutter.version }}"

    def compress(
        self, text_or_chunks: TextOrChunks, llm_token_budget: int, **kwargs: Any
    ) -> tuple[CompressedMemory, CompressionTrace]:
        # begin() joins chunks, takes the runtime's tokenizer (count with it, never with your own)
        # and starts the trace; fits() reads only about as far as the budget reaches.
        job = self.begin(text_or_chunks, llm_token_budget, kwargs)
        if job.fits():
            return job.unchanged()
        tokenizer, text = job.tokenizer, job.text

        paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]
        leads = [_SENTENCE_END.split(p, maxsplit=1)[0] for p in paragraphs]
        separator_cost = tokenizer.count(_SEPARATOR)
        kept: list[str] = []
        used = 0
        for lead in leads:
            cost = tokenizer.count(lead) + (separator_cost if kept else 0)
            if used + cost <= llm_token_budget:
                kept.append(lead)
                used += cost
        output = _SEPARATOR.join(kept)
        # Counts of joined pieces can differ from the sum of their counts
        # (BPE merges across boundaries): re-count and drop until it fits.
        while kept and tokenizer.count(output) > llm_token_budget:
            kept.pop()
            output = _SEPARATOR.join(kept)
        if not kept:
            output = head(tokenizer, text, llm_token_budget)
        job.trace.add_step(
            "lead_sentences",
            {"paragraphs": len(paragraphs), "kept": len(kept), "fallback_head": not kept},
        )
        return job.result(output)
