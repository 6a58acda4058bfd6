"""The order in which ``extractive`` considers units: best initial score first, worked out only as far as read."""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Callable, Iterator

_ORDER_PREFIX = 8192  # at least this many units (and 1/32 of them) are ranked without sorting all


class Order:
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
