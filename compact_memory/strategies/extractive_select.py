"""How ``extractive`` scores units and picks them within the budget (the method is described in
:mod:`compact_memory.strategies.extractive`)."""

from __future__ import annotations

import bisect
import heapq
from array import array
from typing import Any, Protocol

from compact_memory.strategies.extractive_features import Doc
from compact_memory.strategies.extractive_join import Joiner
from compact_memory.strategies.extractive_order import Order
from compact_memory.strategies.sentences import Units
from compact_memory.tokenizers import Tokenizer
from compact_memory.tokenizers.words import TOKEN_PATTERN  # words, CJK characters, punctuation marks

# Small fixed pieces of the scoring; the tunable ones are the settings.
_FIRST_IN_PARAGRAPH = 0.5  # share of the position prior a paragraph's first unit gets at any depth
_LEAD_SPAN = 3.0  # the lead prior halves after this many units
_PARAGRAPH_SPAN = 10.0  # the paragraph-opener prior halves after this many paragraphs
_BASE_SCORE = 0.01  # every unit's score floor, so novelty still ranks units the centroid ignores
_MIN_TERMS = 4  # units with fewer content words than this are scaled down (fragments, bare headings)
_POOL_FACTOR = 4  # candidate pool: units worth this many times the budget in (estimated) tokens
_MIN_POOL = 256
_OPEN_POOL_SLACK = 50  # open another pool only while more than budget/this tokens are free
_LAZY_TOLERANCE = 0.95  # take a unit whose fresh score is at least this share of the best stale score
_RESCORE_LIMIT = 4  # re-queues allowed per candidate, on average, before the order is frozen
_MAX_TOP_UP_MISSES = 1000  # units measured in vain while topping up the budget after the greedy pass
_JOIN_WINDOW = 64  # characters of each selected neighbour counted with a candidate


class Settings(Protocol):
    """The strategy's tunable parameters (an :class:`~compact_memory.strategies.extractive.ExtractiveStrategy`)."""

    query_weight: float
    position_weight: float
    redundancy: float
    length_exponent: float
    max_sentences: int
    lead_share: float


class Selector:
    def __init__(
        self, strategy: Settings, doc: Doc, text: str, tokenizer: Tokenizer, budget: int, query: str
    ) -> None:
        self.doc = doc
        self.tokenizer = tokenizer
        self.budget = budget
        self.lead_share = strategy.lead_share
        self.position_weight = strategy.position_weight
        self.keep = 1.0 - strategy.redundancy  # factor applied to a term each time it is covered
        self.limit = strategy.max_sentences or len(doc.units)
        self.joiner = Joiner(text, doc.units)
        self.chosen: list[int] = []  # selected units, in input order
        self.picked: list[int] = []  # the same, in the order they were picked
        self.taken: set[int] = set()
        self.total = 0  # tokens of the output so far
        self.current = list(doc.weights)  # centroid weights, decayed as terms get covered
        self.signatures: set[str] = set()  # of the selected units, to skip repeats
        self._signatures: dict[int, str] = {}
        self.query_weights = [0.0] * len(doc.weights)
        for token in dict.fromkeys(TOKEN_PATTERN.findall(query.lower())):
            term_id = doc.vocabulary.lookup(token)
            if term_id:
                self.query_weights[term_id] = doc.idf[term_id]
        self.query_initial = list(self.query_weights)
        query_total = sum(self.query_weights)
        self.query_scale = strategy.query_weight / query_total if query_total else 0.0
        self._prepare(strategy)

    def _prepare(self, strategy: Settings) -> None:
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
        order = Order(self.initial)
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

    def _pool(self, order: Order, start: int) -> list[int]:
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

    def _top_up(self, order: Order) -> None:
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


def _position_prior(units: Units, rank: int, weight: float) -> float:
    """Early units and paragraph openers first; decays with the unit's rank."""
    if weight <= 0:
        return 0.0
    opener = _FIRST_IN_PARAGRAPH / (1.0 + units.blocks[rank] / _PARAGRAPH_SPAN) if units.firsts[rank] else 0.0
    return weight * max(1.0 / (1.0 + rank / _LEAD_SPAN), opener)
