"""What the compress command reports for each input: the outcome, its statistics and its JSON form."""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compact_memory.compression.trace import CompressionTrace


@dataclass
class Outcome:
    """What happened to one input."""

    label: str
    output: Path | None = None
    text: str = ""
    trace: CompressionTrace | None = None
    error: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)


CompressOne = Callable[[str, str], Outcome]
CompressFiles = Callable[[list[Path]], Generator[Outcome, None, None]]


def with_newline(text: str) -> str:
    return text + "\n" if text and not text.endswith("\n") else text


def stats(strategy: str, budget: int, trace: CompressionTrace) -> dict[str, Any]:
    in_tokens = trace.input_summary.get("tokens")
    out_tokens = trace.output_summary.get("tokens")
    return {
        "strategy": strategy,
        "tokenizer": trace.tokenizer,
        "budget": budget,
        "input_tokens": in_tokens,
        "output_tokens": out_tokens,
        "input_chars": trace.input_summary.get("chars"),
        "output_chars": trace.output_summary.get("chars"),
        "compression_ratio": round(out_tokens / in_tokens, 4) if in_tokens and out_tokens is not None else None,
        "processing_ms": trace.processing_ms,
    }


def print_stats(outcome: Outcome) -> None:
    s = outcome.stats
    ratio = f", ratio {s['compression_ratio']}" if s["compression_ratio"] is not None else ""
    print(f"{outcome.label}: {s['input_tokens']} -> {s['output_tokens']} tokens{ratio} (budget {s['budget']}, "
          f"{s['strategy']}, {s['tokenizer']}, {s['processing_ms']} ms)", file=sys.stderr)


def trace_dict(outcome: Outcome) -> dict[str, Any]:
    assert outcome.trace is not None
    return outcome.trace.to_dict()


def result_dict(outcome: Outcome) -> dict[str, Any]:
    result: dict[str, Any] = {"input": outcome.label, "output": str(outcome.output) if outcome.output else None}
    if outcome.error is not None:
        result["error"] = outcome.error
    else:
        result.update(text=outcome.text, stats=outcome.stats, trace=trace_dict(outcome))
    return result
