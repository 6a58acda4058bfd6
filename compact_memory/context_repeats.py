"""Sentences repeated across the documents of one context are kept once, in the best-ranked document.

A unit is what the ``extractive`` splitter yields (a sentence, list item,
heading, line or code block; :mod:`compact_memory.strategies.sentences`); a
repeat is a unit of at least :data:`MIN_REPEAT_WORDS` words equal, up to case
and spacing, to a unit of a better-ranked document. Repeats inside one
document are the strategy's business.

:func:`compact_memory.context.compress_context` looks for them twice, so
that it costs little when the documents do not overlap:

1. Before compression, only documents that share a line of text with
   another (overlapping chunks of one source, copied boilerplate: found with
   set operations on their lines) are split, and lose the units a
   better-ranked one of them holds, so their share of the budget goes to
   what is new in them. Splitting every document would cost about a tenth
   of what ``extractive`` spends on it.
2. After compression, the outputs (small) are split and lose the units a
   better-ranked output already shows. This catches the repeats step 1 did
   not look for (the same sentence wrapped differently), and a unit is only
   ever removed where the context still shows it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from compact_memory.strategies.sentences import split_units

__all__ = ["MIN_REPEAT_WORDS", "overlapping", "remove_repeats"]

# Units shorter than this many words ("}", "Yes.", "end") are left in place: repeating them is not redundancy.
MIN_REPEAT_WORDS = 3
_MIN_LINE_CHARS = 12  # lines shorter than this ("See also:", "}") do not make documents overlap
_WORD = re.compile(r"\w+")


def overlapping(texts: Sequence[str]) -> set[int]:
    """The documents that share a line (stripped, lowercased, of at least a few characters) with another."""
    owner: dict[str, int] = {}
    found: set[int] = set()
    for i, text in enumerate(texts):
        lines = {line for line in map(str.strip, text.lower().splitlines()) if len(line) >= _MIN_LINE_CHARS}
        shared = lines & owner.keys()
        if shared:
            found.add(i)
            found.update(owner[line] for line in shared)
        for line in lines - shared:
            owner[line] = i
    return found


def remove_repeats(texts: Sequence[str], order: Sequence[int],
                   among: Collection[int] | None = None) -> tuple[list[str], list[int]]:
    """Drop the units already present in a better-ranked document; only documents in ``among`` (default: all).

    Documents are visited in ``order`` (best first). Returns the new texts (a
    text without repeats is returned as the same object) and how many units
    each lost.
    """
    seen: set[str] = set()
    result = list(texts)
    removed = [0] * len(texts)
    for i in order:
        if among is not None and i not in among:
            continue
        text = texts[i]
        units = split_units(text)
        # What two units share when one repeats the other: their text, up to case and spacing.
        keys = [" ".join(text[u.start:u.end].lower().split()) for u in units]
        drop = {k for k, key in enumerate(keys) if key in seen and len(_WORD.findall(key)) >= MIN_REPEAT_WORDS}
        seen.update(keys)
        if drop:
            result[i] = _without(text, [(u.start, u.end) for u in units], drop)
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
