"""How :func:`compact_memory.context.compress_context` shares one budget across documents.

Pure functions on token counts; the rules are documented in
:mod:`compact_memory.context` and docs/integrations.md.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["allocate", "priority_order"]


def priority_order(count: int, scores: Sequence[float] | None) -> list[int]:
    """Document indices, best first: by score (highest first) when given, else by position; ties keep position."""
    if scores is None:
        return list(range(count))
    return sorted(range(count), key=lambda i: (-scores[i], i))


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
