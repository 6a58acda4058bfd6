"""``first_last``: keep the start and the end of the text, joined by an elision marker.

Beginnings (titles, the question asked) and endings (conclusions, the latest
turn) usually matter most. The head is a prefix of the text, the tail a
suffix, both verbatim, and the marker between them counts toward the budget.

When the text fits, it is returned unchanged. When the marker would take more
than half of the budget (or leave fewer than two tokens for text), the
strategy keeps the head only, with no marker: a marker that crowds out the
text it stands between is worse than no marker.
"""

from __future__ import annotations

from typing import Any

from compact_memory.compression.strategies_abc import (
    CompressedMemory,
    CompressionStrategy,
    Param,
    TextOrChunks,
)
from compact_memory.compression.trace import CompressionTrace
from compact_memory.errors import UsageError
from compact_memory.tokenizers import Tokenizer, head, tail

DEFAULT_MARKER = "\n[...]\n"
# Concatenating pieces can shift token boundaries at the joins; after this
# many attempts to shrink the pieces we settle for the head alone.
_MAX_REFITS = 8


class FirstLastStrategy(CompressionStrategy):
    """Head and tail of the text with a marker between them; tokenizes only what it keeps."""

    id = "first_last"
    display_name = "First and last"
    params = (
        Param("marker", str, DEFAULT_MARKER, "text put between head and tail; its tokens count toward the budget"),
        Param("head_fraction", float, 0.5, "share of the tokens left after the marker given to the head (0 to 1)"),
    )

    def __init__(self, marker: str = DEFAULT_MARKER, head_fraction: float | str = 0.5) -> None:
        if not isinstance(marker, str):
            raise UsageError(f"first_last: marker must be text, got {marker!r}")
        fraction = _fraction(head_fraction)
        self.marker = marker
        self.head_fraction = fraction

    def compress(
        self, text_or_chunks: TextOrChunks, llm_token_budget: int, **kwargs: Any
    ) -> tuple[CompressedMemory, CompressionTrace]:
        job = self.begin(text_or_chunks, llm_token_budget, kwargs,
                         params={"marker": self.marker, "head_fraction": self.head_fraction})
        if job.fits():
            return job.unchanged()
        tokenizer, text, budget, trace = job.tokenizer, job.text, job.budget, job.trace
        marker_tokens = tokenizer.count(self.marker)
        room = budget - marker_tokens
        output = None
        if room >= 2 and marker_tokens <= budget // 2:
            output = self._head_and_tail(tokenizer, text, room, budget, trace)
        if output is None:
            kept = head(tokenizer, text, budget)
            trace.add_step(
                "head_only",
                {"reason": "budget too small for the marker", "marker_tokens": marker_tokens,
                 "kept_chars": len(kept), "dropped_chars": len(text) - len(kept)},
            )
            output = kept
        return job.result(output)

    def _head_and_tail(
        self, tokenizer: Tokenizer, text: str, room: int, budget: int, trace: CompressionTrace
    ) -> str | None:
        head_tokens = min(room, int(room * self.head_fraction))
        tail_tokens = room - head_tokens
        wanted = (head_tokens > 0, tail_tokens > 0)  # a side asked for never shrinks to nothing
        for attempt in range(_MAX_REFITS):
            first = head(tokenizer, text, head_tokens)
            last = tail(tokenizer, text, tail_tokens)
            if len(last) > len(text) - len(first):
                # The tail reaches into the head: take it from what the head left (a short copy here).
                last = tail(tokenizer, text[len(first) :], tail_tokens)
            output = first + self.marker + last
            if tokenizer.count(output) <= budget:
                trace.add_step(
                    "head_tail",
                    {"head_chars": len(first), "tail_chars": len(last),
                     "dropped_chars": len(text) - len(first) - len(last), "head_tokens": head_tokens,
                     "tail_tokens": tail_tokens, "refits": attempt},
                )
                return output
            # Token boundaries shifted at a join: give one token less to the larger side.
            if head_tokens >= tail_tokens and head_tokens > 0:
                head_tokens -= 1
            elif tail_tokens > 0:
                tail_tokens -= 1
            if (wanted[0] and head_tokens == 0) or (wanted[1] and tail_tokens == 0) or head_tokens + tail_tokens == 0:
                break  # the marker would stand for almost all of the text: keep the head only
        return None


def _fraction(value: float | str) -> float:
    try:
        fraction = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"first_last: head_fraction must be a number from 0 to 1, got {value!r}") from None
    if not 0.0 <= fraction <= 1.0:
        raise UsageError(f"first_last: head_fraction must be from 0 to 1, got {fraction}")
    return fraction
