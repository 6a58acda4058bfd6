"""The section_digest strategy: a heading-aware extractive summary that keeps every section in view.

Long documents (notes, docs, tickets, chat logs with headings) lose their
shape when a compressor keeps only the head or only the "best" sentences:
whole sections vanish. This strategy

1. splits the text into sections at Markdown headings (``# ...``) and the
   sections into sentences and list items; a fenced code block is one unit;
2. drops sentences that repeat an earlier one (same words, any case);
3. scores each sentence by how much of the document's vocabulary it carries,
   with a bonus for opening its paragraph and for words of ``query=``;
4. keeps the best sentences that fit, together with their section heading,
   and prints them in document order.

The output is re-counted with the tokenizer in effect and never exceeds the
budget; text that already fits comes back unchanged.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from compact_memory.compression import (
    CompressedMemory,
    CompressionStrategy,
    CompressionTrace,
    Param,
)
from compact_memory.compression.strategies_abc import TextOrChunks
from compact_memory.tokenizers import Tokenizer, head

_HEADING = re.compile(r"^#{1,6}\s+\S")
_FENCE = re.compile(r"^\s*(```|~~~)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
_ABBREVIATION = re.compile(
    r"(?:\b(?:Dr|Mr|Mrs|Ms|Prof|St|No|Fig|vs|etc|e\.g|i\.e|approx)|\b[A-Z])\.$"
)
_WORD = re.compile(r"\w+")
_STOPWORDS = frozenset(
    """a an and are as at be been but by can do does for from has have he her his how i if in into
    is it its me more most my no nor not of on or our she so such than that the their them then
    there these they this to too very was we were what when where which who why will with would
    you your""".split()
)
_CHUNK_SEPARATOR = "\n\n"


@dataclass
class _Sentence:
    text: str
    section: int
    paragraph: int
    position: int  # reading order over the whole document
    item: bool = False  # a list item: printed on its own line
    score: float = 0.0


@dataclass
class _Section:
    heading: str | None
    sentences: list[_Sentence] = field(default_factory=list)


class SectionDigestStrategy(CompressionStrategy):
    """Keeps each section's heading and its most informative sentences within the budget."""

    id = "section_digest"
    display_name = "Section digest"
    version = "0.1.0"
    params = (
        Param(
            "keep_headings",
            bool,
            True,
            "print the heading of every section a kept sentence comes from",
        ),
        Param("dedupe", bool, True, "drop sentences whose words repeat an earlier sentence"),
    )

    def __init__(self, keep_headings: bool = True, dedupe: bool = True) -> None:
        self.keep_headings = keep_headings
        self.dedupe = dedupe

    def compress(
        self, text_or_chunks: TextOrChunks, llm_token_budget: int, **kwargs: Any
    ) -> tuple[CompressedMemory, CompressionTrace]:
        # begin() joins chunks, takes the runtime's tokenizer and starts the trace;
        # fits() reads only about as far as the budget reaches.
        job = self.begin(text_or_chunks, llm_token_budget, kwargs,
                         params={"keep_headings": self.keep_headings, "dedupe": self.dedupe})
        if job.fits():
            return job.unchanged()
        tokenizer, text, trace = job.tokenizer, job.text, job.trace

        sections = _split(text)
        sentences = [s for section in sections for s in section.sentences]
        duplicates = _drop_duplicates(sections) if self.dedupe else 0
        candidates = [s for section in sections for s in section.sentences]
        _score(candidates, str(kwargs.get("query") or ""))
        trace.add_step(
            "split",
            {
                "sections": len(sections),
                "sentences": len(sentences),
                "duplicates_dropped": duplicates,
            },
        )

        kept = self._select(sections, candidates, tokenizer, llm_token_budget)
        output = _render(sections, kept, self.keep_headings)
        while kept and tokenizer.count(output) > llm_token_budget:
            # Joined text can count more than its parts (BPE merges): drop the weakest.
            kept.remove(min(kept, key=lambda s: (s.score, -s.position)))
            output = _render(sections, kept, self.keep_headings)
        if not kept:
            output = head(tokenizer, text, llm_token_budget)
        trace.add_step(
            "select",
            {
                "kept_sentences": len(kept),
                "kept_sections": len({s.section for s in kept}),
                "fallback_head": not kept,
            },
        )
        return job.result(output)

    def _select(
        self,
        sections: list[_Section],
        candidates: list[_Sentence],
        tokenizer: Tokenizer,
        budget: int,
    ) -> list[_Sentence]:
        separator = tokenizer.count(_CHUNK_SEPARATOR)
        used = 0
        kept: list[_Sentence] = []
        open_sections: set[int] = set()
        for sentence in _coverage_order(candidates):
            cost = tokenizer.count(sentence.text) + (separator if kept else 0)
            heading = sections[sentence.section].heading
            if self.keep_headings and heading and sentence.section not in open_sections:
                cost += tokenizer.count(heading) + separator
            if used + cost <= budget:
                kept.append(sentence)
                used += cost
                open_sections.add(sentence.section)
        return kept


def _coverage_order(candidates: list[_Sentence]) -> list[_Sentence]:
    """The best sentence of every section first, then the rest, best first."""
    ranked = sorted(candidates, key=lambda s: (-s.score, s.position))
    leaders: dict[int, _Sentence] = {}
    for sentence in ranked:
        leaders.setdefault(sentence.section, sentence)
    chosen = {id(s) for s in leaders.values()}
    return list(leaders.values()) + [s for s in ranked if id(s) not in chosen]


def _split(text: str) -> list[_Section]:
    sections = [_Section(heading=None)]
    paragraph, position = 0, 0
    block: list[str] = []
    in_fence = False
    in_list = False

    def flush() -> None:
        nonlocal paragraph, position
        joined = " ".join(line.strip() for line in block if line.strip())
        block.clear()
        if not joined:
            return
        pieces = [joined] if in_list else _sentences(joined)
        for piece in pieces:
            sections[-1].sentences.append(
                _Sentence(piece, len(sections) - 1, paragraph, position, in_list)
            )
            position += 1
        paragraph += 1

    def add_code(lines: list[str]) -> None:
        nonlocal paragraph, position
        sections[-1].sentences.append(
            _Sentence("\n".join(lines), len(sections) - 1, paragraph, position)
        )
        position += 1
        paragraph += 1

    code: list[str] = []
    for line in text.splitlines():
        if in_fence:
            code.append(line)
            if _FENCE.match(line):
                in_fence = False
                add_code(code)
            continue
        if _FENCE.match(line):
            flush()
            code = [line]
            in_fence = True
            continue
        if _HEADING.match(line):
            flush()
            sections.append(_Section(heading=line.strip()))
            in_list = False
        elif not line.strip():
            flush()
            in_list = False
        elif _LIST_ITEM.match(line) and (in_list or not block):
            # Each item is a unit; "2025. Keeping..." inside a paragraph is not an item.
            flush()
            block.append(line)
            in_list = True
        else:
            block.append(line)
    flush()
    if in_fence:  # an unclosed fence: keep what there is as one unit
        add_code(code)
    return sections


def _sentences(paragraph: str) -> list[str]:
    """Split at . ! ? followed by space, but not after "Dr." or "e.g." and the like."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(paragraph):
        if _ABBREVIATION.search(paragraph, start, match.start()):
            continue
        pieces.append(paragraph[start : match.start()])
        start = match.end()
    pieces.append(paragraph[start:])
    return pieces


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS and len(w) > 1]


def _drop_duplicates(sections: list[_Section]) -> int:
    seen: set[frozenset[str]] = set()
    dropped = 0
    for section in sections:
        unique = []
        for sentence in section.sentences:
            key = frozenset(_WORD.findall(sentence.text.lower()))
            if key and key in seen:
                dropped += 1
                continue
            seen.add(key)
            unique.append(sentence)
        section.sentences = unique
    return dropped


def _score(sentences: list[_Sentence], query: str) -> None:
    frequency = Counter(w for s in sentences for w in set(_words(s.text)))
    query_words = set(_words(query))
    first_of_paragraph = {}
    for s in sentences:
        first_of_paragraph.setdefault(s.paragraph, s.position)
    for s in sentences:
        words = set(_words(s.text))
        if not words:
            s.score = 0.0
            continue
        informative = sum(math.log1p(frequency[w]) for w in words) / math.sqrt(len(words))
        lead = 1.0 if first_of_paragraph[s.paragraph] == s.position else 0.0
        relevant = 3.0 * len(words & query_words) / len(query_words) if query_words else 0.0
        s.score = informative + lead + relevant


def _render(sections: list[_Section], kept: list[_Sentence], keep_headings: bool) -> str:
    chosen = {id(s) for s in kept}
    out: list[str] = []
    for section in sections:
        selected = [s for s in section.sentences if id(s) in chosen]
        if not selected:
            continue
        if keep_headings and section.heading:
            out.extend([_CHUNK_SEPARATOR, section.heading] if out else [section.heading])
        previous: _Sentence | None = None
        for s in selected:
            if out:
                if previous is not None and previous.paragraph == s.paragraph:
                    out.append(" ")
                elif previous is not None and previous.item and s.item:
                    out.append("\n")
                else:
                    out.append(_CHUNK_SEPARATOR)
            out.append(s.text)
            previous = s
    return "".join(out)
