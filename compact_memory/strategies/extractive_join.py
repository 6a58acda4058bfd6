"""How ``extractive`` joins the units it keeps: neighbours keep the whitespace between them, units
across skipped text are separated by that text's strongest break (see :mod:`compact_memory.strategies.extractive`)."""

from __future__ import annotations

from array import array

from compact_memory.strategies.sentences import Units


class Joiner:
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
