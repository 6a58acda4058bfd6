"""How :func:`compact_memory.context.compress_context` shares one budget across documents.

Pure functions on token counts and texts; the rules are documented in
:mod:`compact_memory.context` and docs/integrations.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from compact_memory.strategies.sentences import split_units

__all__ = ["MIN_REPEAT_WORDS", "allocate", "priority_order", "remove_repeats"]

# Units shorter than this many words ("}", "Yes.", "end") are left in place: repeating them is not redundancy.
MIN_REPEAT_WORDS = 3
_WORD = re.compile(r"\w+")


def priority_order(count: int, scores: Sequence[float] | None) -> list[int]:
    """Document indices, best first: by score (highest first) when given, else by position; ties keep position."""
    if scores is None:
        return list(range(count))
    return sorted(range(count), key=lambda i: (-scores[i], i))


def remove_repeats(texts: Sequence[str], order: Sequence[int]) -> tuple[list[str], list[int]]:
    """Drop units (sentences, list items, lines ...) already present in a better-ranked document.

    Documents are visited in ``order`` (best first); a unit of at least
    :data:`MIN_REPEAT_WORDS` words whose text, up to case and spacing, was
    seen in an earlier-visited document is removed. Repeats inside one
    document are the strategy's business and stay. Returns the new texts (a
    text without repeats is returned as the same object) and how many units
    each lost.
    """
    seen: set[str] = set()
    result = list(texts)
    removed = [0] * len(texts)
    for i in order:
        text = texts[i]
        units = split_units(text)
        # What two units share when one repeats the other: their text, up to case and spacing.
        keys = [" ".join(text[u.start:u.end].lower().split()) for u in units]
        drop = {k for k, key in enumerate(keys) if key in seen and len(_WORD.findall(key)) >= MIN_REPEAT_WORDS}
        seen.update(keys)
        if drop:
            spans = [(u.start, u.end) for u in units]
            result[i] = _without(text, spans, drop)
            removed[i] = len(drop)
    return result, removed


def _without(text: str, spans: list[tuple[int, int]], drop: set[int]) -> str:
    """``text`` without the spans in ``drop``; across a removed stretch the widest original gap is kept.

    The gaps between units are whitespace only, so keeping the one with the
    most line breaks keeps a paragraph break (or a line break) where there
    was one.
    """
    pieces: list[str] = []
    gap = ""
    started = False
    previous_end = 0
    for k, (start, end) in enumerate(spans):
        between = text[previous_end:start] if started else ""
        if between.count("\n") > gap.count("\n") or (not gap and between):
            gap = between
        previous_end = end
        if k in drop:
            continue
        if started:
            pieces.append(gap)
        pieces.append(text[start:end])
        gap = ""
        started = True
    return "".join(pieces)


def allocate(lengths: Sequence[int], order: Sequence[int], budget: int, floor: int) -> list[int]:
    """Tokens for each document; 0 means dropped.

    The document at rank ``r`` in ``order`` (0 = best), counting only
    documents of non-zero length, weighs ``1 / (r + 1)``.
    The budget is divided in proportion to the weights, each document capped
    at its own length, and what a capped document does not need is divided
    again among the others (water-filling), so the shares sum to at most the
    budget. A document whose share is below ``min(floor, its length)`` would
    be cut to less than is useful: the worst-ranked such document is dropped
    and the budget divided again, until every remaining share is useful.
    Documents of length 0 get nothing.
    """
    active = [i for i in order if lengths[i] > 0]  # best first
    weights = [0.0] * len(lengths)
    for rank, i in enumerate(active):
        weights[i] = 1.0 / (rank + 1)
    while True:
        shares = _water_fill(lengths, weights, active, budget)
        short = [i for i in active if shares[i] < min(floor, lengths[i])]
        if not short:
            return shares
        active.remove(short[-1])  # the worst-ranked document that would be mangled


def _water_fill(lengths: Sequence[int], weights: Sequence[float], active: list[int], budget: int) -> list[int]:
    shares = [0] * len(lengths)
    if sum(lengths[i] for i in active) <= budget:
        for i in active:
            shares[i] = lengths[i]
        return shares
    left = float(budget)
    weight = sum(weights[i] for i in active)
    # Documents that need less than their share take their length; the rest share what remains.
    by_need = sorted(active, key=lambda i: lengths[i] / weights[i])
    open_: list[int] = []
    for n, i in enumerate(by_need):
        if lengths[i] <= left * weights[i] / weight:
            shares[i] = lengths[i]
            left -= lengths[i]
            weight -= weights[i]
        else:
            open_ = by_need[n:]
            break
    for i in open_:
        shares[i] = int(left * weights[i] / weight)
    # Rounding down leaves a few tokens: one more each, best-ranked first.
    spare = budget - sum(shares)
    uncapped = set(open_)
    for i in active:
        if spare <= 0:
            break
        if i in uncapped and shares[i] < lengths[i]:
            shares[i] += 1
            spare -= 1
    for i in reversed(active):  # float rounding can never push the sum over the budget
        if spare >= 0:
            break
        taken = min(shares[i], -spare)
        shares[i] -= taken
        spare += taken
    return shares
