"""What an experiment measures on one document; every value is computed from text and counts.

The definitions are documented in docs/experiments.md; tests check them
against numbers worked out by hand.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

ALL_METRICS = (
    "compression_ratio",
    "budget_fill",
    "budget_compliance",
    "latency",
    "peak_memory",
    "rouge",
    "qa_retention",
    "span_retention",
)
ROUGE_KEYS = ("rouge1", "rouge2", "rougeL")
BYTES_PER_MB = 1_000_000

NEGATIONS = ("not", "no", "never", "nor", "none", "nothing", "neither", "cannot", "without")
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?%?")
# Capitalised words that do not start a sentence or a line: names of people, products, places.
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*\b", re.MULTILINE)
_NEGATION = re.compile(r"\b(?:" + "|".join(NEGATIONS) + r"|\w+n't)\b", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def compression_ratio(input_tokens: int, output_tokens: int) -> float | None:
    """Output tokens over input tokens: 1.0 keeps everything, 0.25 keeps a quarter (None for empty input)."""
    return output_tokens / input_tokens if input_tokens else None


def budget_fill(output_tokens: int, budget: int, input_tokens: int) -> float:
    """How much of the usable budget was used: output over min(budget, input); 1.0 when nothing was usable."""
    usable = min(budget, input_tokens)
    return output_tokens / usable if usable else 1.0


def per_mb(latency_ms: float, input_bytes: int) -> float | None:
    """Milliseconds per megabyte (10^6 bytes of UTF-8 input)."""
    return latency_ms * BYTES_PER_MB / input_bytes if input_bytes else None


def protected_spans(text: str) -> Counter[str]:
    """Numbers, capitalised names and negations, with how often each occurs."""
    spans: Counter[str] = Counter(m.group(0).rstrip(",") for m in _NUMBER.finditer(text))
    spans.update(_SPACE.sub(" ", m.group(0)) for m in _NAME.finditer(text))
    spans.update(m.group(0).lower() for m in _NEGATION.finditer(text))
    return spans


def span_retention(source: str, output: str) -> float | None:
    """Share of the source's protected span occurrences still in the output (None when it has none).

    Counted as multisets: a source with "not" three times and an output with
    it once keeps one of three.
    """
    wanted = _source_spans(source)
    if not wanted:
        return None
    found = protected_spans(output)
    kept = sum(min(count, found[span]) for span, count in wanted.items())
    return kept / sum(wanted.values())


# The same source is measured once per variant and budget: work out its side once.
_source_spans = lru_cache(maxsize=32)(protected_spans)


def qa_retention(source: str, output: str, answers: Sequence[str]) -> float | None:
    """Share of the answers found in the source that are still in the output (None when none are).

    Matching is case-insensitive, on whole words, with runs of white space
    treated as one space (compression may re-wrap lines).
    """
    src, out = _normal(source), _normal(output)
    present = [a for a in (_normal(a) for a in answers) if a and _contains(src, a)]
    if not present:
        return None
    return sum(1 for a in present if _contains(out, a)) / len(present)


@lru_cache(maxsize=32)
def _normal(text: str) -> str:
    return _SPACE.sub(" ", text).strip().lower()


def _contains(haystack: str, needle: str) -> bool:
    """Whole-word containment, so "no" is not found inside "know"."""
    return re.search(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", haystack) is not None


def rouge(reference: str, output: str) -> dict[str, float]:
    """ROUGE-1/2/L F1 (rouge-score, Porter stemming on; extra: rouge)."""
    scores = _rouge_scorer().score(reference, output)
    return {name: round(float(scores[name].fmeasure), 6) for name in ROUGE_KEYS}


@lru_cache(maxsize=1)
def _rouge_scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(list(ROUGE_KEYS), use_stemmer=True)


def mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
