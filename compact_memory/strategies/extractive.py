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

import bisect
import heapq
import math
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
from compact_memory.strategies.sentences import KINDS, Units, split_unit_table
from compact_memory.tokenizers import Tokenizer, get_tokenizer, head
from compact_memory.tokenizers.words import TOKEN_PATTERN

__all__ = ["ExtractiveStrategy"]

# Words, single CJK characters and single punctuation marks: the default tokenizer's units.
_TOKEN = TOKEN_PATTERN

STOP_WORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not of off on
    once only or other our ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves s t don may might must shall
    one us however thus using use used via per
    """.split()
)

# Small fixed pieces of the scoring; the tunable ones are the declared params.
_FIRST_IN_PARAGRAPH = 0.5  # share of the position prior a paragraph's first unit gets at any depth
_LEAD_SPAN = 3.0  # the lead prior halves after this many units
_PARAGRAPH_SPAN = 10.0  # the paragraph-opener prior halves after this many paragraphs
_BASE_SCORE = 0.01  # every unit's score floor, so novelty still ranks units the centroid ignores
_MIN_TF = 2  # words used once are left out of the centroid: they are noise, not topic
_MIN_TERMS = 4  # units with fewer content words than this are scaled down (fragments, bare headings)
_POOL_FACTOR = 4  # candidate pool: units worth this many times the budget in (estimated) tokens
_MIN_POOL = 256
_OPEN_POOL_SLACK = 50  # open another pool only while more than budget/this tokens are free
_LAZY_TOLERANCE = 0.95  # take a unit whose fresh score is at least this share of the best stale score
_RESCORE_LIMIT = 4  # re-queues allowed per candidate, on average, before the order is frozen
_MAX_TOP_UP_MISSES = 1000  # units measured in vain while topping up the budget after the greedy pass
_JOIN_WINDOW = 64  # characters of each selected neighbour counted with a candidate
_ORDER_PREFIX = 8192  # at least this many units (and 1/32 of them) are ranked without sorting all


@dataclass
class _Doc:
    """What selection needs of the text, held in arrays: a large input costs bytes per unit, not objects."""

    units: Units
    term_ids: array[int]  # distinct content-term ids of each unit, in order of first appearance, all units
    term_starts: array[int]  # unit i's ids are term_ids[term_starts[i]:term_starts[i + 1]]
    sizes: array[int]  # words + punctuation marks of each unit: a tokenizer-independent length
    weights: list[float]  # centroid weight of each term id
    idf: list[float]
    vocabulary: _Vocabulary

    def terms(self, i: int) -> array[int]:
        return self.term_ids[self.term_starts[i] : self.term_starts[i + 1]]

    def term_count(self, i: int) -> int:
        return self.term_starts[i + 1] - self.term_starts[i]


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
        return {
            "query": self.query,
            "query_weight": self.query_weight,
            "position_weight": self.position_weight,
            "redundancy": self.redundancy,
            "length_exponent": self.length_exponent,
            "max_sentences": self.max_sentences,
            "lead_share": self.lead_share,
        }

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
        doc = _analyse(text, units)
        selector = _Selector(self, doc, text, tokenizer, budget, query)
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


# --- features -----------------------------------------------------------------


class _Vocabulary(dict[str, int]):
    """Maps a lowercase token to a term id (0 for stop words and punctuation), creating ids on first sight."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[str, int] = {}

    def __missing__(self, token: str) -> int:
        term = _term(token)
        number = 0 if term is None else self.ids.setdefault(term, len(self.ids) + 1)
        self[token] = number
        return number

    def lookup(self, token: str) -> int:
        """The id of ``token`` without adding it: 0 when the document never uses it."""
        term = _term(token)
        return 0 if term is None else self.ids.get(term, 0)


def _term(token: str) -> str | None:
    """The content term a lowercase token stands for, or None for stop words and punctuation."""
    if (not token[0].isalnum() and token[0] != "_") or token in STOP_WORDS:
        return None
    if len(token) == 1 and token.isascii():
        return None
    return _stem(token)


def _stem(word: str) -> str:
    """A light English stemmer: enough to match plurals and common verb forms ("named", "names", "name")."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
    elif word.endswith("e") and len(word) > 3:
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]  # "stopp(ed)" -> "stop"
    return word


def _analyse(text: str, units: Units) -> _Doc:
    # Each unit is lowercased on its own: no lowercase copy of the whole input. Units start and end
    # next to whitespace (or a CJK mark), so context-dependent lowercasing (a final Greek sigma)
    # gives what lowercasing the whole text would.
    vocabulary = _Vocabulary()
    get = vocabulary.__getitem__
    findall = _TOKEN.findall
    term_ids = array("i")
    term_starts = array("q", [0])
    sizes = array("q")
    every = array("i")  # every content-term occurrence, for the term frequencies
    starts, ends = units.starts, units.ends
    for i in range(len(units)):
        tokens = findall(text[starts[i] : ends[i]].lower())
        ids = list(filter(None, map(get, tokens)))
        every.extend(ids)
        term_ids.extend(dict.fromkeys(ids))
        term_starts.append(len(term_ids))
        sizes.append(max(1, len(tokens)))
    size = len(vocabulary.ids) + 1
    frequency = [0] * size
    for term_id, n in Counter(every).items():
        frequency[term_id] = n
    del every
    document_frequency = [0] * size
    for term_id, n in Counter(term_ids).items():
        document_frequency[term_id] = n
    count = len(units)
    idf = [math.log(1.0 + count / df) if df else 0.0 for df in document_frequency]
    # The centroid: tf-idf of the words the document repeats (all of them if it repeats none).
    floor = _MIN_TF if any(tf >= _MIN_TF for tf in frequency) else 1
    weights = [tf * w if tf >= floor else 0.0 for tf, w in zip(frequency, idf, strict=True)]
    return _Doc(units=units, term_ids=term_ids, term_starts=term_starts, sizes=sizes, weights=weights, idf=idf,
                vocabulary=vocabulary)


# --- selection ----------------------------------------------------------------


class _Selector:
    def __init__(
        self, strategy: ExtractiveStrategy, doc: _Doc, text: str, tokenizer: Tokenizer, budget: int, query: str
    ) -> None:
        self.doc = doc
        self.tokenizer = tokenizer
        self.budget = budget
        self.lead_share = strategy.lead_share
        self.position_weight = strategy.position_weight
        self.keep = 1.0 - strategy.redundancy  # factor applied to a term each time it is covered
        self.limit = strategy.max_sentences or len(doc.units)
        self.joiner = _Joiner(text, doc.units)
        self.chosen: list[int] = []  # selected units, in input order
        self.picked: list[int] = []  # the same, in the order they were picked
        self.taken: set[int] = set()
        self.total = 0  # tokens of the output so far
        self.current = list(doc.weights)  # centroid weights, decayed as terms get covered
        self.signatures: set[str] = set()  # of the selected units, to skip repeats
        self._signatures: dict[int, str] = {}
        self.query_weights = [0.0] * len(doc.weights)
        for token in dict.fromkeys(_TOKEN.findall(query.lower())):
            term_id = doc.vocabulary.lookup(token)
            if term_id:
                self.query_weights[term_id] = doc.idf[term_id]
        self.query_initial = list(self.query_weights)
        query_total = sum(self.query_weights)
        self.query_scale = strategy.query_weight / query_total if query_total else 0.0
        self._prepare(strategy)

    def _prepare(self, strategy: ExtractiveStrategy) -> None:
        doc, weights, terms = self.doc, self.doc.weights, self.doc.terms
        self.exponent = strategy.length_exponent
        n = len(doc.units)
        exponent, sizes = self.exponent, doc.sizes
        content = array("d", (sum(map(weights.__getitem__, terms(i))) / sizes[i] ** exponent for i in range(n)))
        top = max(content, default=0.0)
        self.scale = 1.0 / top if top > 0 else 0.0
        # score = centroid weight covered * factor + prior (+ query relevance); factor and prior are
        # worked out per unit when needed, the same way every time, instead of kept for every unit.
        scale, prior, shape = self.scale, self._prior, self._shape
        self.initial = array("d", (content[i] * scale * shape(i) + prior(i) for i in range(n)))
        del content
        if self.query_scale:
            query, q_scale, initial = self.query_weights, self.query_scale, self.initial
            for i in range(n):
                initial[i] = initial[i] + sum(map(query.__getitem__, terms(i))) * q_scale

    def _shape(self, i: int) -> float:
        """Fragments (fewer than _MIN_TERMS content words) count for less."""
        return min(1.0, self.doc.term_count(i) / _MIN_TERMS)

    def _prior(self, i: int) -> float:
        return (_position_prior(self.doc.units, i, self.position_weight) + _BASE_SCORE) * self._shape(i)

    def _factor(self, i: int) -> float:
        factor: float = self.scale / self.doc.sizes[i] ** self.exponent * self._shape(i)
        return factor

    def score(self, i: int) -> float:
        """The unit's score given what is selected so far (its initial score before any selection).

        Words the selection already covers count for less each time they are
        covered again (``redundancy``).
        """
        terms = self.doc.terms(i)
        score: float = sum(map(self.current.__getitem__, terms)) * self._factor(i) + self._prior(i)
        if self.query_scale:
            score += sum(map(self.query_weights.__getitem__, terms)) * self.query_scale
        return score

    def run(self) -> tuple[list[int], dict[str, Any]]:
        order = _Order(self.initial)
        # Candidates come in pools of the best-scored units worth a few budgets; a next pool is
        # opened only while a good share of the budget is still free (the first pool was mostly
        # repeats, say); the top-up pass fills the last few tokens.
        seen = 0
        enough = self.budget - max(1, self.budget // _OPEN_POOL_SLACK)
        while seen < len(order) and (not seen or self.total < enough) and len(self.chosen) < self.limit:
            pool = self._pool(order, seen)
            seen += len(pool)
            self._greedy(pool)
        greedy_tokens = self.total
        self._top_up(order)
        lead_won = self._prefer_lead()
        tokens, refits = self._verify()
        stats = {
            "candidates": seen,
            "selected": len(self.chosen),
            "greedy_tokens": greedy_tokens,
            "lead": lead_won,
            "tokens": tokens,
            "budget": self.budget,
            "refits": refits,
        }
        return self.chosen, stats

    def _prefer_lead(self) -> bool:
        """Keep the opening instead when it covers nearly as much of the document as the selection.

        An opening that covers, in one stretch, at least ``lead_share`` of
        what the picked units cover is a summary its writer put first (an
        abstract, a news lead); it reads better than scattered sentences and,
        on ACLSum, scores higher (benchmarks/bench_extractive_quality.py).
        Openings that merely introduce cover far less (about 0.3-0.7 of the
        selection on ACLSum introductions, 0.7-0.95 for abstracts).
        """
        greedy = (self.chosen, self.picked, self.taken, self.total, self.signatures, self.current, self.query_weights)
        if self.query_scale or self.lead_share > 1 or not self.position_weight:
            return False  # a question asks for the answer, wherever it is; no prior, no lead
        value = self.coverage(self.picked)
        self.chosen, self.picked, self.taken, self.total, self.signatures = [], [], set(), 0, set()
        self.current, self.query_weights = list(self.doc.weights), list(self.query_initial)
        for i in range(len(self.doc.units)):
            if self.total >= self.budget or len(self.chosen) >= self.limit:
                break
            if self._signature(i) in self.signatures:
                continue  # a verbatim repeat adds nothing
            cost = self._delta(i)
            if self.total + cost > self.budget:
                break
            self._take(i, cost)
        if self.picked and self.coverage(self.picked) >= self.lead_share * value:
            return True
        self.chosen, self.picked, self.taken, self.total, self.signatures, self.current, self.query_weights = greedy
        return False

    def coverage(self, picked: list[int]) -> float:
        """How much of the centroid (and of the query) the units cover, repeats counting less each time."""
        current, query = list(self.doc.weights), list(self.query_initial)
        keep, scale, total = self.keep, self.query_scale, 0.0
        for i in picked:
            for t in self.doc.terms(i):
                total += current[t] + query[t] * scale
                current[t] *= keep
                query[t] *= keep
        return total

    def _pool(self, order: _Order, start: int) -> list[int]:
        wanted = _POOL_FACTOR * self.budget
        total = 0
        end = start
        while end < len(order) and (total < wanted or end - start < _MIN_POOL):
            total += self.doc.sizes[order[end]]
            end += 1
        return [order[k] for k in range(start, end)]

    def _greedy(self, pool: list[int]) -> None:
        """Lazy greedy: scores only fall as the selection grows, so a stale score is an upper bound.

        A unit whose fresh score is within a few percent of the best stale one is
        taken without re-scoring the rest, and after a few re-queues per candidate
        the rest are taken in the order reached so far (still skipping units
        that add nothing): on long repetitive text exact lazy greedy re-queues
        dozens of units per pick.
        """
        heap = [(-self.initial[i], i) for i in pool]
        heapq.heapify(heap)
        rescores = _RESCORE_LIMIT * len(pool)
        while heap and self.total < self.budget and len(self.chosen) < self.limit:
            _, i = heapq.heappop(heap)
            if self.doc.sizes[i] > 2 * (self.budget - self.total) + 2:
                continue  # far too long for what is left (the estimate errs on the long side)
            if self._signature(i) in self.signatures:
                continue  # a repeat of a selected unit
            now = self.score(i)
            if rescores > 0 and heap and now < -heap[0][0] * _LAZY_TOLERANCE:
                rescores -= 1
                heapq.heappush(heap, (-now, i))
                continue
            cost = self._delta(i)
            if self.total + cost <= self.budget:
                self._take(i, cost)
            # else dropped for good: what is left of the budget only shrinks

    def _top_up(self, order: _Order) -> None:
        """Fill what the greedy pass left with the best-scored units that still fit, pool or not."""
        misses = 0
        for i in order.walk(self.doc.sizes, lambda: 2 * (self.budget - self.total) + 2):
            slack = self.budget - self.total
            if slack <= 0 or misses >= _MAX_TOP_UP_MISSES or len(self.chosen) >= self.limit:
                return
            if i in self.taken or self.doc.sizes[i] > 2 * slack + 2 or self._signature(i) in self.signatures:
                continue
            cost = self._delta(i)
            if cost <= slack:
                self._take(i, cost)
            else:
                misses += 1

    def _signature(self, i: int) -> str:
        """What two units share when one repeats the other: their text, up to case and spacing."""
        known = self._signatures.get(i)
        if known is None:
            known = self._signatures[i] = " ".join(self.joiner.piece(i).lower().split())
        return known

    def _take(self, i: int, cost: int) -> None:
        bisect.insort(self.chosen, i)
        self.taken.add(i)
        self.picked.append(i)
        self.total += cost
        self.signatures.add(self._signature(i))
        keep, current, query = self.keep, self.current, self.query_weights
        for t in self.doc.terms(i):
            current[t] *= keep
            if query[t]:
                query[t] *= keep

    def _delta(self, i: int) -> int:
        """Exactly how many tokens adding unit ``i`` to the current selection adds.

        Only the unit and the ends of its selected neighbours are counted: tokens
        never reach further than one break across a join.
        """
        chosen, joiner, count = self.chosen, self.joiner, self.tokenizer.count
        k = bisect.bisect_left(chosen, i)
        left = chosen[k - 1] if k else -1
        right = chosen[k] if k < len(chosen) else -1
        middle = joiner.piece(i)
        head = joiner.piece(left, last=_JOIN_WINDOW) if left >= 0 else ""
        tail = joiner.piece(right, first=_JOIN_WINDOW) if right >= 0 else ""
        before = head + (joiner.separator(left, i) if head else "") + middle
        before += (joiner.separator(i, right) if tail else "") + tail
        after = head + (joiner.separator(left, right) if head and tail else "") + tail
        return count(before) - (count(after) if after else 0)

    def _verify(self) -> tuple[int, int]:
        """Re-count the real output; drop the last picks in the rare case the joins cost more than measured."""
        tokens = self.tokenizer.count(self.joiner.join(self.chosen))
        refits = 0
        while tokens > self.budget and self.picked:
            self.chosen.remove(self.picked.pop())
            tokens = self.tokenizer.count(self.joiner.join(self.chosen))
            refits += 1
        return tokens, refits


class _Order:
    """The units best first by initial score (a stable sort: ties keep their position), worked out as far as read.

    Selection usually reads only the first few thousand; those are found
    without sorting (``heapq.nlargest`` equals the sorted prefix, ties
    included), so a large input is never sorted whole unless needed.
    """

    def __init__(self, initial: array[float]) -> None:
        self.initial = initial
        self.known = array("q")
        self.complete = not initial

    def __len__(self) -> int:
        return len(self.initial)

    def __getitem__(self, k: int) -> int:
        if k >= len(self.known) and not self.complete:
            self._extend(k + 1)
        return self.known[k]

    def walk(self, sizes: array[int], limit: Callable[[], int]) -> Iterator[int]:
        """The whole order, leaving out units longer than ``limit()`` once past the ranked prefix.

        For a caller that skips such units anyway and whose limit only
        shrinks: past the prefix, only the units that can still matter are
        sorted, and the sequence it sees is the same.
        """
        if not self.known and not self.complete:
            self._extend(1)
        yield from self.known
        if self.complete:
            return
        ranked = bytearray(len(self.initial))
        for i in self.known:
            ranked[i] = 1
        most = limit()
        rest = [i for i in range(len(self.initial)) if not ranked[i] and sizes[i] <= most]
        del ranked
        yield from sorted(rest, key=self.initial.__getitem__, reverse=True)  # stable: rest is in position order

    def _extend(self, needed: int) -> None:
        count, key = len(self.initial), self.initial.__getitem__
        prefix = max(_ORDER_PREFIX, count // 32)
        if not self.known and needed <= prefix and 8 * prefix < count:
            self.known = array("q", heapq.nlargest(prefix, range(count), key=key))
        else:
            self.known = array("q", sorted(range(count), key=key, reverse=True))
            self.complete = True


def _position_prior(units: Units, rank: int, weight: float) -> float:
    """Early units and paragraph openers first; decays with the unit's rank."""
    if weight <= 0:
        return 0.0
    opener = _FIRST_IN_PARAGRAPH / (1.0 + units.blocks[rank] / _PARAGRAPH_SPAN) if units.firsts[rank] else 0.0
    return weight * max(1.0 / (1.0 + rank / _LEAD_SPAN), opener)


# --- output -------------------------------------------------------------------


class _Joiner:
    """Joins units as the module docstring describes; separators are found in O(1)."""

    def __init__(self, text: str, units: Units) -> None:
        self.text = text
        self.starts, self.ends = units.starts, units.ends
        newline = "\r\n" if "\r\n" in text else "\n"
        self.breaks = ("", " ", newline, newline * 2)
        # The gap after unit k: 0 empty, 1 spaces, 2 a line break, 3 a blank line.
        # at_least[level][k] = how many of the first k gaps reach ``level``.
        at_least = [array("q", [0]) for _ in range(4)]
        starts, ends, count = self.starts, self.ends, text.count
        for k in range(1, len(units)):
            end, start = ends[k - 1], starts[k]
            lines = count("\n", end, start)
            level = 3 if lines >= 2 else 2 if lines else 1 if start > end else 0
            for threshold in (1, 2, 3):
                row = at_least[threshold]
                row.append(row[-1] + (level >= threshold))
        self.at_least = at_least

    def piece(self, i: int, *, first: int = 0, last: int = 0) -> str:
        """Unit ``i``'s text, or only its ``first`` or ``last`` characters."""
        start, end = self.starts[i], self.ends[i]
        if first:
            end = min(end, start + first)
        elif last:
            start = max(start, end - last)
        return self.text[start:end]

    def separator(self, a: int, b: int) -> str:
        """What goes between selected units ``a < b``."""
        if b == a + 1:
            return self.text[self.ends[a] : self.starts[b]]
        for level in (3, 2, 1):
            row = self.at_least[level]
            if row[b] - row[a] > 0:
                return self.breaks[level]
        return ""

    def join(self, chosen: list[int]) -> str:
        """The chosen units (indices in increasing order) with their separators."""
        pieces: list[str] = []
        previous = -1
        for i in chosen:
            if previous >= 0:
                pieces.append(self.separator(previous, i))
            pieces.append(self.piece(i))
            previous = i
        return "".join(pieces)
