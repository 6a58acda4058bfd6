"""Split text into the units ``extractive`` selects: sentences, headings, list items, code blocks, lines.

Every unit is a span ``text[start:end]`` that starts and ends on a
non-whitespace character. Units appear in text order, never overlap, and
together cover every non-whitespace character, so the text between two
consecutive units is whitespace only (possibly empty, as between CJK
sentences).

The rules, line by line:

- A fenced code block (a line starting with three or more backticks or
  tildes, up to the matching closing fence) is one ``code`` unit: it is never
  cut. A fence that is never closed, and a bare run of tildes or backticks
  right under a line of text (a reStructuredText underline), are lines of
  their own.
- A Markdown heading (``# Title``), a horizontal rule or setext underline
  (``---``, ``===``), a table row (``| a | b |``) and an interactive prompt
  line (``>>> x``) are each one unit of their own.
- A list item (``- x``, ``* x``, ``+ x``, ``1. x``, ``2) x``) starts a new
  paragraph; its indented continuation lines belong to it. Inside prose, a
  line starting with a number other than 1 (``2025. The``) continues the
  sentence: as in CommonMark, only a list starting at 1 interrupts a paragraph.
- Other lines form paragraphs, ended by blank lines; a paragraph is split into
  sentences that may span line breaks (hard-wrapped prose).

Sentences end at ``.``, ``!``, ``?`` or ``…`` (with any closing quotes or
brackets) followed by whitespace and a character that is not a lowercase
letter, and right after the CJK full stop, exclamation and question marks
(U+3002, U+FF01, U+FF1F, U+FF61), which need no space. A period does not end a sentence
after a title or a common abbreviation (``Dr.``, ``e.g.``, ``Fig.``), after a
single-letter initial, or inside a number (``3.14``). After abbreviations that
are often part of a name (``Inc.``, dotted acronyms such as ``U.S.``) it does
only when the next word is a typical sentence opener (``The``, ``It``); after
``etc.`` or ``No.`` it does unless a number follows.

A "sentence" that runs over more than :data:`MAX_WRAPPED_LINES` lines and
does not look hard-wrapped (continuation lines with one indentation, every
line but the last well filled, some line starting with a letter) is taken to
be line-structured text (code, logs, verse) and split into its lines.
"""

from __future__ import annotations

import re
from array import array
from typing import NamedTuple

from compact_memory.strategies.sentence_ends import ends_sentence

__all__ = ["KINDS", "MAX_WRAPPED_LINES", "Unit", "Units", "split_sentences", "split_unit_table", "split_units"]

MAX_WRAPPED_LINES = 4

# Sentence-ending marks: . ! ? and the ellipsis, double marks, CJK full stop, exclamation and question marks.
_LATIN_MARKS = ".!?\u2026\u203c\u2047\u2048\u2049"
_CJK_MARKS = "\u3002\uff01\uff1f\uff61"
_CLOSERS = "\"'\u201d\u2019\u00bb)\\]\u300d\u300f\uff09\u3011\u3015"  # closing quotes and brackets
# A mark with any further marks and closers, then whitespace (or, after a CJK mark, nothing).
# It starts with a plain character class so that the regex engine scans for it quickly.
_TERMINATOR = re.compile(
    rf"[{_LATIN_MARKS}{_CJK_MARKS}]"
    rf"(?:[{_LATIN_MARKS}{_CJK_MARKS}{_CLOSERS}]*\s+|(?<=[{_CJK_MARKS}])[{_CJK_MARKS}{_CLOSERS}]*)"
)
_NON_SPACE = re.compile(r"\S")
_BLANK_LINE = re.compile(r"\n[^\S\n]*(?:\n|$)")
# A line that might be a fence, heading, rule, table row, list item or prompt.
_SPECIAL_LINE = re.compile(r"^[ \t]*[-#*_=|>+\u2022\u2023\u25e60-9`~]", re.M)
_FENCE = re.compile(r"(`{3,}|~{3,})")
_STRUCTURE = re.compile(
    r"(?P<heading>#{1,6}(?:\s|$))"
    r"|(?P<rule>(?P<mark>[-*_=])(?:[ \t]*(?P=mark)){2,}\s*$)"
    r"|(?P<row>\|)"
    r"|(?P<prompt>>>> )"
    r"|(?P<item>(?:[-*+\u2022\u2023\u25e6]|\d{1,9}[.)])(?:[ \t]|$))"
)
_STRUCTURE_START = frozenset("#-*_=|>+\u2022\u2023\u25e60123456789")


class Unit(NamedTuple):
    start: int
    end: int
    kind: str  # "sentence", "item", "heading", "code", "line"
    block: int  # index of the paragraph (or standalone line or code block) the unit belongs to
    first: bool  # the first unit of its block


KINDS = ("sentence", "item", "heading", "code", "line")
_KIND_CODES = {kind: code for code, kind in enumerate(KINDS)}


class Units:
    """The units of a text as a table of machine-sized numbers (about 26 bytes a unit, not 200 as objects).

    ``starts``, ``ends`` and ``blocks`` are arrays of int64; ``kinds`` holds an
    index into :data:`KINDS` and ``firsts`` 1 for a block's first unit, a byte
    each. ``units[i]`` is a :class:`Unit`.
    """

    def __init__(self) -> None:
        self.starts = array("q")
        self.ends = array("q")
        self.blocks = array("q")
        self.kinds = bytearray()
        self.firsts = bytearray()

    def add(self, start: int, end: int, kind: str, block: int, first: bool) -> None:
        self.starts.append(start)
        self.ends.append(end)
        self.blocks.append(block)
        self.kinds.append(_KIND_CODES[kind])
        self.firsts.append(first)

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i: int) -> Unit:
        return Unit(self.starts[i], self.ends[i], KINDS[self.kinds[i]], self.blocks[i], bool(self.firsts[i]))


def split_units(text: str) -> list[Unit]:
    """The units of ``text`` in order; see the module docstring for the rules."""
    table = split_unit_table(text)
    return [table[i] for i in range(len(table))]


def split_unit_table(text: str) -> Units:
    """The units of ``text`` as a compact :class:`Units` table (what ``extractive`` uses on large inputs)."""
    return _Splitter(text).run()


def split_sentences(text: str) -> list[str]:
    """The text of each unit of ``text``, in order."""
    return [text[u.start : u.end] for u in split_units(text)]


class _Splitter:
    def __init__(self, text: str) -> None:
        self.text = text
        self.units = Units()
        self.block = 0
        self.flow_start = -1  # first line of the current paragraph
        self.flow_end = -1
        self.flow_kind = "sentence"
        self.unclosed: dict[str, int] = {}  # fences with no closer from a position on

    def run(self) -> Units:
        text = self.text
        size = len(text)
        pos = 0
        while pos < size:
            found = _NON_SPACE.search(text, pos)
            if found is None:
                break
            first = found.start()
            line_start = max(pos, text.rfind("\n", pos, first) + 1)
            blank = _BLANK_LINE.search(text, first)
            end = size if blank is None else blank.start()
            if _SPECIAL_LINE.search(text, line_start, end) is None:
                # The common case: a paragraph of plain lines.
                self.flow_start, self.flow_end, self.flow_kind = first, end, "sentence"
                self._flush()
                pos = size if blank is None else blank.end()
            else:
                pos = self._lines(line_start, end)
                self._flush()
        return self.units

    def _lines(self, pos: int, end: int) -> int:
        """Go through the lines of a paragraph that has special lines; return where to go on."""
        text = self.text
        while pos < end:
            newline = text.find("\n", pos, end)
            line_end = end if newline < 0 else newline
            next_pos = line_end + 1
            line = text[pos:line_end]
            stripped = line.lstrip()
            first = pos + len(line) - len(stripped)
            opener = _FENCE.match(stripped) if stripped[0] in "`~" else None
            if opener is not None:
                marks = opener.group(1)
                bare = stripped.rstrip() == marks
                under_text = bare and self.flow_start >= 0
                closing = None if under_text else _closing_fence(text, marks, next_pos, self.unclosed)
                self._flush()
                if closing is None:  # an underline, or a fence never closed: a line of its own
                    self._standalone(first, line_end, "line")
                else:
                    self._standalone(first, closing, "code")
                    next_pos = closing + 1
                pos = next_pos
                continue
            match = _STRUCTURE.match(stripped) if stripped[0] in _STRUCTURE_START else None
            if match is not None and match.lastgroup == "item" and self._continues_prose(match.group("item")):
                match = None
            if match is not None and match.lastgroup != "item":
                self._flush()
                kind = "heading" if match.lastgroup == "heading" else "line"
                self._standalone(first, line_end, kind)
            elif match is not None:  # a list item starts its own paragraph
                self._flush()
                self.flow_start, self.flow_end, self.flow_kind = first, line_end, "item"
            elif self.flow_start < 0:
                self.flow_start, self.flow_end, self.flow_kind = first, line_end, "sentence"
            else:
                self.flow_end = line_end
            pos = next_pos
        return pos

    def _continues_prose(self, item: str) -> bool:
        """A number other than 1 at the start of a line inside prose ("... in\n2025. Then") wraps a sentence.

        As in CommonMark, only an ordered list that starts at 1 can interrupt a paragraph.
        """
        in_prose = self.flow_start >= 0 and self.flow_kind == "sentence"
        return in_prose and item[0].isdigit() and int(item.strip()[:-1]) != 1

    def _standalone(self, start: int, end: int, kind: str) -> None:
        end = _rstrip_end(self.text, start, end)
        if end > start:
            self.units.add(start, end, kind, self.block, True)
            self.block += 1

    def _flush(self) -> None:
        if self.flow_start < 0:
            return
        text, start, stop = self.text, self.flow_start, self.flow_end
        spans: list[tuple[int, int]] = []
        for match in _TERMINATOR.finditer(text, start, stop):
            nxt = match.end()  # the next non-whitespace character
            if nxt >= stop:
                break
            term = match.group().rstrip()
            if term[0] not in _CJK_MARKS and (
                text[nxt].islower() or not ends_sentence(text, start, match.start(), term, nxt, stop)
            ):
                continue
            spans.append((start, match.start() + len(term)))
            start = nxt
        spans.append((start, _rstrip_end(text, start, stop)))
        first = True
        for s, e in spans:
            if text.count("\n", s, e) >= MAX_WRAPPED_LINES and not _looks_wrapped(text, s, e):
                for ls, le in _lines(text, s, e):
                    self.units.add(ls, le, "line", self.block, first)
                    first = False
                continue
            kind = self.flow_kind if first else "sentence"
            self.units.add(s, e, kind, self.block, first)
            first = False
        self.block += 1
        self.flow_start = -1


_FENCE_LINE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t\r]*$", re.M)


def _closing_fence(text: str, marks: str, pos: int, failed: dict[str, int]) -> int | None:
    """The end of the line that closes a fence opened with ``marks`` (the same mark, at least as many).

    ``failed`` maps a fence (``marks``) to the earliest position from which no
    closer exists; a later search for it, or for a longer one of the same mark,
    from there on fails at once, so unclosed fences cost one scan, not one each.
    """
    for known, start in failed.items():
        if known[0] == marks[0] and len(known) <= len(marks) and start <= pos:
            return None
    for match in _FENCE_LINE.finditer(text, pos):
        found = match.group(1)
        if found[0] == marks[0] and len(found) >= len(marks):
            return match.end()
    failed[marks] = min(pos, failed.get(marks, pos))
    return None


def _looks_wrapped(text: str, start: int, end: int) -> bool:
    """Hard-wrapped prose: continuation lines share one indentation, all but the last are well filled,
    and not every line starts with a non-letter (as log records, data rows and code often do)."""
    lines = text[start:end].split("\n")
    stripped = [line.strip() for line in lines]
    if not any(line[:1].isalpha() for line in stripped):
        return False
    widths = [len(line.rstrip()) for line in lines]
    indents = {len(line) - len(line.lstrip()) for line in lines[1:]}
    return len(indents) == 1 and min(widths[:-1]) >= 0.6 * max(widths)


def _skip_space(text: str, pos: int, stop: int) -> int:
    while pos < stop and text[pos].isspace():
        pos += 1
    return pos


def _rstrip_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    pos = start
    while pos < end:
        newline = text.find("\n", pos, end)
        line_end = end if newline < 0 else newline
        s = _skip_space(text, pos, line_end)
        e = _rstrip_end(text, s, line_end)
        if e > s:
            spans.append((s, e))
        pos = line_end + 1
    return spans
