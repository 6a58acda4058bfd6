"""``extractive``: keep the most informative whole sentences, verbatim and in their original order.

The text is split into units (sentences, headings, list items, whole fenced
code blocks, lines of line-structured text; see
:mod:`compact_memory.strategies.sentences`). Each unit is scored by

- **centrality**: how much of the document's centroid (the tf-idf weight of
  the content words the document repeats) it covers, per token of its length
  (``length_exponent``), with fragments of fewer than four content words
  scaled down, so that neither fragments nor run-on sentences win by size;
- **position**: a prior for early units and for the first unit of each
  paragraph, where writers put what matters;
- **query relevance** (when a query is given): the idf-weighted share of the
  query's words it contains.

Units are then picked greedily by score (lazily re-scored, as in CELF):
words already covered by the picked units count for less each time they are
covered again, which penalises redundancy the way MMR does, and query words
already answered count for less, so a multi-part question gets each part
answered. A unit that does not fit in what is left of the budget is skipped,
never cut; after the greedy pass, smaller units that still fit fill the rest.
Only when not one unit fits is the best one cut: its start, up to the last
whole word within the budget.

Output: the picked units in input order. Two units that are neighbours in the
input keep the whitespace that separated them. Across skipped text the
separator is the skipped stretch's strongest break: a blank line if it held a
paragraph break, a line break if it held one, one space otherwise, and
nothing if the units touched (as CJK sentences do). The output is re-counted
with the tokenizer in effect and is never over the budget; text that already
fits is returned unchanged.

Cost: one sentence split, one lowercase copy and one word tokenization of the
input (a few regex passes: no pairwise comparison of sentences), then work on
a candidate pool a few times the budget in size; the tokenizer in effect only
counts candidates, each with the ends of its selected neighbours, so the
running total is exact, and the final output is counted once more.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from compact_memory.compression.strategies_abc import (
    CompressedMemory,
    CompressionStrategy,
    Param,
    TextOrChunks,
    join_chunks,
)
from compact_memory.compression.trace import CompressionTrace
from compact_memory.errors import UsageError
from compact_memory.strategies.extractive_features import analyse
from compact_memory.strategies.extractive_select import Selector
from compact_memory.strategies.sentences import KINDS, split_unit_table
from compact_memory.tokenizers import get_tokenizer, head

__all__ = ["ExtractiveStrategy"]


class ExtractiveStrategy(CompressionStrategy):
    """Selects whole sentences by centrality, position and query relevance; verbatim, in input order.

    ``CompressedMemory.metadata["spans"]`` lists ``[start, end]`` of every kept
    unit in the input (chunks joined by blank lines), in input order.
    """

    id = "extractive"
    display_name = "Extractive sentences"
    params = (
        Param("query", str, "", "prefer sentences that answer this question (the call's query= wins if given)"),
        Param("query_weight", float, 2.0, "weight of query relevance against content and position (>= 0)"),
        Param("position_weight", float, 0.3, "weight of the prior for early sentences and paragraph openers (>= 0)"),
        Param("redundancy", float, 0.3, "0..1: how much less a word counts each time the selection covers it again"),
        Param("length_exponent", float, 1.0, "0..2: content score is divided by length**this (1: density per token)"),
        Param("max_sentences", int, 0, "keep at most this many units (0: no limit)"),
        Param("lead_share", float, 0.7, "without a query and with a position prior, keep the opening instead when "
              "it covers at least this share of what the selection covers (0..1; above 1: never)"),
    )

    def __init__(
        self,
        query: str = "",
        query_weight: float = 2.0,
        position_weight: float = 0.3,
        redundancy: float = 0.3,
        length_exponent: float = 1.0,
        max_sentences: int = 0,
        lead_share: float = 0.7,
    ) -> None:
        if not isinstance(query, str):
            raise UsageError(f"extractive: query must be text, got {query!r}")
        self.query = query
        self.query_weight = _number("query_weight", query_weight, 0.0, math.inf)
        self.position_weight = _number("position_weight", position_weight, 0.0, math.inf)
        self.redundancy = _number("redundancy", redundancy, 0.0, 1.0)
        self.length_exponent = _number("length_exponent", length_exponent, 0.0, 2.0)
        limit = _number("max_sentences", max_sentences, 0, math.inf)
        if not limit.is_integer():
            raise UsageError(f"extractive: max_sentences must be a whole number, got {max_sentences!r}")
        self.max_sentences = int(limit)
        self.lead_share = _number("lead_share", lead_share, 0.0, math.inf)

    def _params(self) -> dict[str, Any]:
        """The declared parameters' values, as the trace records them."""
        return {param.name: getattr(self, param.name) for param in self.params}

    def compress(
        self, text_or_chunks: TextOrChunks, llm_token_budget: int, **kwargs: Any
    ) -> tuple[CompressedMemory, CompressionTrace]:
        tokenizer = get_tokenizer(kwargs.get("tokenizer"))
        text = join_chunks(text_or_chunks)
        budget = llm_token_budget
        query = kwargs.get("query") or self.query
        if not isinstance(query, str):
            raise UsageError(f"extractive: query must be text, got {query!r}")
        trace = CompressionTrace(strategy_name=self.id, strategy_params={**self._params(), "query": query})
        if budget <= 0:
            trace.add_step("empty_budget", {"budget": budget})
            return CompressedMemory(text="", metadata={"spans": []}), trace
        if head(tokenizer, text, budget) == text:
            trace.add_step("fits", {"chars": len(text)})
            return CompressedMemory(text=text, metadata={"spans": [[0, len(text)]]}), trace

        units = split_unit_table(text)
        kinds = Counter({KINDS[code]: n for code, n in Counter(units.kinds).items()})
        trace.add_step("segment", {"units": len(units), "kinds": {k: kinds[k] for k in sorted(kinds)}})
        doc = analyse(text, units)
        selector = Selector(self, doc, text, tokenizer, budget, query)
        picked, stats = selector.run()
        output = selector.joiner.join(picked)
        trace.add_step("select", stats)
        spans = [[units.starts[i], units.ends[i]] for i in picked]
        if not picked and len(units):
            # Not even one whole unit fits: keep the start of the best one rather than nothing.
            best = max(range(len(units)), key=selector.initial.__getitem__)
            output = _cut_at_word(head(tokenizer, selector.joiner.piece(best), budget))
            spans = [[units.starts[best], units.starts[best] + len(output)]] if output else []
            trace.add_step("cut_unit", {"unit": best, "chars": len(output)})
        return CompressedMemory(text=output, metadata={"spans": spans}), trace


def _cut_at_word(prefix: str) -> str:
    """``prefix`` without a trailing partial word and trailing whitespace (unchanged if it is one word)."""
    end = len(prefix)
    while end and not prefix[end - 1].isspace():
        end -= 1
    return prefix[:end].rstrip() or prefix


def _number(name: str, value: Any, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"extractive: {name} must be a number, got {value!r}") from None
    if isinstance(value, bool) or not (low <= number <= high):
        raise UsageError(f"extractive: {name} must be between {low} and {high}, got {value!r}")
    return number
