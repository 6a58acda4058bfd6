"""``prune``: drop filler words, then keep the head of what is left.

Only whole, free-standing words from :data:`FILLER_WORDS` are removed (case
does not matter): a word counts as free-standing when whitespace or a line
edge is on both sides, so ``the,``, ``(a)``, ``that's`` and ``the_value`` stay.
By construction the strategy keeps

- negations (:data:`NEGATIONS`: not, no, never, nor, and every ``n't`` form),
- numbers, identifiers (``snake_case``, ``camelCase``, ``dotted.names``) and
  URLs, since none of them is a filler word,
- code: fenced blocks (three or more backticks or tildes), lines indented by
  a tab or four spaces, and inline code spans in backticks are copied untouched,
- line structure: every line break is kept, as is each line's indentation.

Text that already fits the budget is returned unchanged (unless ``always``
is set: then it is pruned all the same, for example as the first step of a
pipeline); otherwise the pruned text is cut to the budget from its start, so
the output keeps the input's order. Words are removed, not rewritten, with one exception: when a
capitalized filler that starts a sentence goes ("The cat"), a plain
lowercase word right after it is capitalized ("Cat"), so sentences still
start with a capital letter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from compact_memory.compression.strategies_abc import (
    CompressedMemory,
    CompressionStrategy,
    Param,
    TextOrChunks,
)
from compact_memory.compression.trace import CompressionTrace
from compact_memory.errors import UsageError
from compact_memory.tokenizers import head

FILLER_WORDS: frozenset[str] = frozenset(
    {
        # articles
        "a", "an", "the",
        # intensifiers and hedges
        "very", "really", "quite", "rather", "fairly", "somewhat", "extremely", "truly", "totally",
        "completely", "absolutely", "definitely", "certainly", "simply", "merely", "literally",
        # discourse fillers
        "basically", "actually", "essentially", "just", "indeed", "anyway", "honestly", "obviously",
        "clearly", "that", "um", "uh", "erm", "hmm",
    }
)

NEGATIONS: frozenset[str] = frozenset({"not", "no", "never", "nor", "none", "nobody", "nothing", "neither", "without"})

# A lowercase word, maybe with closing punctuation: safe to capitalize.
_PLAIN_WORD = re.compile(r"[a-z]+[,.;:!?]?$")
_SENTENCE_END = re.compile(r"[.!?][\"')\]\u201d\u2019]*$")
_TRUE, _FALSE = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off"})
_LINE_BREAK = re.compile(r"(\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029])")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_INDENTED_CODE = re.compile(r"^(?:\t| {4})")
# One line splits into inline code spans, horizontal whitespace and words.
_UNIT = re.compile(
    r"(?P<code>(?P<ticks>`+)(?!`)(?:(?!(?P=ticks)).)+?(?P=ticks)(?!`))"
    r"|(?P<space>[^\S\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+)"
    r"|(?P<word>[^\s`]+|`+)"
)


class PruneStrategy(CompressionStrategy):
    """Removes free-standing filler words outside code, keeps lines, then fits the budget."""

    id = "prune"
    display_name = "Prune filler words"
    params = (
        Param("extra_words", str, "", "more words to remove, comma-separated (negations are always kept)"),
        Param("keep_words", str, "", "filler words to keep after all, comma-separated"),
        Param("always", bool, False, "prune even text that already fits the budget"),
    )

    def __init__(self, extra_words: str = "", keep_words: str = "", always: bool | str = False) -> None:
        extra, keep = _word_list(extra_words, "extra_words"), _word_list(keep_words, "keep_words")
        negations = sorted(w for w in extra if _is_negation(w))
        if negations:
            raise UsageError(f"prune: negations are always kept, cannot remove {', '.join(negations)}")
        self.extra_words = extra_words
        self.keep_words = keep_words
        self.fillers = (FILLER_WORDS | extra) - keep
        self.always = _flag(always)

    def compress(
        self, text_or_chunks: TextOrChunks, llm_token_budget: int, **kwargs: Any
    ) -> tuple[CompressedMemory, CompressionTrace]:
        job = self.begin(text_or_chunks, llm_token_budget, kwargs,
                         params={"extra_words": self.extra_words, "keep_words": self.keep_words, "always": self.always})
        tokenizer, text, budget, trace = job.tokenizer, job.text, job.budget, job.trace
        if budget <= 0:
            trace.add_step("truncate", {"kept_chars": 0, "dropped_chars": len(text)})
            return job.result("")
        if not self.always and job.fits():
            return job.unchanged()
        pruned: list[str] = []
        size = 0
        removed = 0
        # Prune only as far as the budget can reach: past a window several
        # times the budget in characters, check whether the head is full.
        check_at = max(256, budget * 16)
        complete = True
        for piece, dropped in self._pruned_lines(text):
            pruned.append(piece)
            size += len(piece)
            removed += dropped
            if size >= check_at:
                joined = "".join(pruned)
                if head(tokenizer, joined, budget) != joined:
                    complete = False
                    break
                check_at = size * 2
        joined = "".join(pruned)
        output = head(tokenizer, joined, budget)
        trace.add_step(
            "prune",
            {"removed_words": removed, "pruned_chars": len(joined), "whole_text_pruned": complete},
        )
        trace.add_step("truncate", {"kept_chars": len(output), "dropped_chars": len(joined) - len(output)})
        return CompressedMemory(text=output), trace

    def _pruned_lines(self, text: str) -> Iterator[tuple[str, int]]:
        """Each line (with its line break) after pruning, and how many words it lost."""
        parts = _LINE_BREAK.split(text)
        fence: str | None = None
        previous = ""
        for i in range(0, len(parts), 2):
            line = parts[i]
            brk = parts[i + 1] if i + 1 < len(parts) else ""
            opening = _FENCE.match(line)
            if opening and fence is None and _is_underline(line, previous):
                opening = None  # a reStructuredText title underline, not a code fence
            previous = line
            if fence is not None:
                if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence) \
                        and not line[opening.end() :].strip():
                    fence = None
                yield line + brk, 0
            elif opening:
                fence = opening.group(1)
                yield line + brk, 0
            elif _INDENTED_CODE.match(line):
                yield line + brk, 0
            else:
                pruned, dropped = self._prune_line(line)
                yield pruned + brk, dropped

    def _prune_line(self, line: str) -> tuple[str, int]:
        units = [(m.lastgroup, m.group()) for m in _UNIT.finditer(line)]
        n = len(units)
        out: list[str] = []
        dropped = 0
        lead = units[0][1] if n and units[0][0] == "space" else ""
        trail = units[-1][1] if n > 1 and units[-1][0] == "space" else ""
        pending_space = ""
        started = False
        capitalize = False
        for index, (kind, value) in enumerate(units):
            if kind == "space":
                pending_space = value
                continue
            before_ok = index == 0 or units[index - 1][0] == "space"
            after_ok = index == n - 1 or units[index + 1][0] == "space"
            if kind == "word" and before_ok and after_ok and value.lower() in self.fillers:
                dropped += 1
                # A capitalized filler starting a sentence passes its capital on.
                at_start = not started or _SENTENCE_END.search(out[-1]) is not None
                capitalize = capitalize or (value[0].isupper() and at_start)
                continue
            if capitalize and kind == "word" and _PLAIN_WORD.match(value):
                value = value[0].upper() + value[1:]
            capitalize = False
            # A kept unit keeps the whitespace just before it, unless it is the
            # first kept unit of the line: then the line's indentation leads.
            out.append(pending_space if started else lead)
            out.append(value)
            started = True
            pending_space = ""
        if not dropped:
            return line, 0
        if not started:
            return lead + trail, dropped
        out.append(trail)
        return "".join(out), dropped


def _is_negation(word: str) -> bool:
    return word in NEGATIONS or word.endswith(("n't", "n\u2019t"))


def _flag(value: bool | str) -> bool:
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered not in _TRUE | _FALSE:
        raise UsageError(f"prune: always must be true or false, got {value!r}")
    return lowered in _TRUE


def _word_list(raw: str, name: str) -> frozenset[str]:
    if not isinstance(raw, str):
        raise UsageError(f"prune: {name} must be comma-separated words, got {raw!r}")
    return frozenset(w.strip().lower() for w in raw.split(",") if w.strip())


def _is_underline(line: str, previous: str) -> bool:
    """A line of tildes only, right under a line of text at least as long: a reStructuredText title."""
    stripped = line.strip()
    title = previous.strip()
    return bool(title) and set(stripped) == {"~"} and len(stripped) >= len(title)
