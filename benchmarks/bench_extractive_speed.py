"""Throughput of ``extractive`` against one regex tokenization pass, and against sumy's LexRank.

Usage: python benchmarks/bench_extractive_speed.py [--mb 5] [--budget 1000] [--tokenizer words]
       [--repeat 3] [--lexrank-kb 100]

The text is Python's own pydoc topics (``pydoc_data.topics``) repeated to the
size asked for: real English prose and documentation with code examples.

1. ``ExtractiveStrategy.compress`` on the whole text, against one pass of
   ``re.findall(r"\\w+|[^\\w\\s]", text)`` in the same run (medians of
   ``--repeat``). Targets: at least 1 MB/s, and at most 10x the regex pass.
2. LexRank (sumy) against ``extractive`` on the first ``--lexrank-kb`` KB, at
   the same budget. sumy gets our sentence split and a regex word splitter,
   so it needs no NLTK data; its ranking is filled with whole sentences the
   way the quality benchmark does. Target: ``extractive`` at least 50x
   faster. Skipped, with a message, when sumy is not installed.

Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from common import median_seconds, pydoc_text

TARGET_MB_PER_S = 1.0
TARGET_REGEX_RATIO = 10.0
TARGET_LEXRANK_SPEEDUP = 50.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=5)
    parser.add_argument("--budget", type=int, default=1000)
    parser.add_argument("--tokenizer", default="words")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lexrank-kb", type=int, default=100)
    args = parser.parse_args(argv)

    from compact_memory.strategies.extractive import ExtractiveStrategy
    from compact_memory.tokenizers import get_tokenizer

    tok = get_tokenizer(args.tokenizer)
    text = pydoc_text(int(args.mb * 1_000_000))
    megabytes = len(text.encode("utf-8")) / 1e6
    strategy = ExtractiveStrategy()
    pattern = re.compile(r"\w+|[^\w\s]")

    regex_s = median_seconds(lambda: pattern.findall(text), args.repeat)
    extractive_s = median_seconds(lambda: strategy.compress(text, args.budget, tokenizer=tok), args.repeat)
    memory, _ = strategy.compress(text, args.budget, tokenizer=tok)
    assert tok.count(memory.text) <= args.budget
    ratio = extractive_s / regex_s
    rate = megabytes / extractive_s
    print(
        f"input: {megabytes:.1f} MB of pydoc topics, budget {args.budget} tokens ({tok.name}), "
        f"median of {args.repeat}; output {tok.count(memory.text)} tokens"
    )
    print(f"{'one re.findall pass':<34} {regex_s * 1000:>9.0f} ms {megabytes / regex_s:>7.1f} MB/s")
    print(
        f"{'ExtractiveStrategy.compress':<34} {extractive_s * 1000:>9.0f} ms {rate:>7.1f} MB/s  "
        f"{ratio:.1f}x the regex pass"
    )
    ok = rate >= TARGET_MB_PER_S and ratio <= TARGET_REGEX_RATIO
    print(
        f"target: >= {TARGET_MB_PER_S} MB/s and <= {TARGET_REGEX_RATIO:.0f}x the regex pass: "
        f"{'met' if ok else 'MISSED'}"
    )

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_extractive_quality import sumy_lexrank

    lexrank = sumy_lexrank()
    if lexrank is None:
        print("sumy is not installed: LexRank comparison skipped (pip install sumy)")
        return 0 if ok else 1
    piece = text[: args.lexrank_kb * 1000]
    lexrank_s = median_seconds(lambda: lexrank(piece, args.budget, tok), 1)
    small_s = median_seconds(lambda: strategy.compress(piece, args.budget, tokenizer=tok), args.repeat)
    speedup = lexrank_s / small_s
    print(f"\nfirst {len(piece) / 1000:.0f} KB, budget {args.budget}:")
    print(f"{'LexRank (sumy), ranking + fill':<34} {lexrank_s * 1000:>9.0f} ms")
    print(f"{'ExtractiveStrategy.compress':<34} {small_s * 1000:>9.0f} ms  {speedup:.0f}x faster")
    lexrank_ok = speedup >= TARGET_LEXRANK_SPEEDUP
    print(f"target: >= {TARGET_LEXRANK_SPEEDUP:.0f}x faster than LexRank: {'met' if lexrank_ok else 'MISSED'}")
    return 0 if ok and lexrank_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
