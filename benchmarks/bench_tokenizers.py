"""Counting speed of the shipped tokenizers, as ratios to one plain regex pass.

    python benchmarks/bench_tokenizers.py [--repeat 5] [--copies 4]

The text is the Python documentation topics (``pydoc_data``) repeated
``--copies`` times. The baseline is ``re.findall(r"\\w+|[^\\w\\s]")``, the
cheapest count a word tokenizer could do; ``head()`` of 1000 tokens out of
50 MB is timed too, since strategies call it on whole documents.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable
from functools import partial
from pydoc_data.topics import topics

from compact_memory.errors import TokenizerError
from compact_memory.tokenizers import get_tokenizer, head

_BASELINE = re.compile(r"\w+|[^\w\s]")


def best_of(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--copies", type=int, default=4)
    args = parser.parse_args(argv)

    text = "\n\n".join(topics[key] for key in sorted(topics)) * args.copies
    baseline_tokens = len(_BASELINE.findall(text))
    baseline = best_of(args.repeat, lambda: _BASELINE.findall(text))
    print(f"text: {len(text):,} characters; regex baseline: {baseline_tokens / baseline:,.0f} tokens/s")
    print(f"{'tokenizer':<14}{'tokens':>12}{'tokens/s':>14}{'time vs regex':>15}{'head 50 MB':>13}")

    big = (text * (50_000_000 // len(text) + 1))[:50_000_000]
    for name in ("words", "cl100k_base", "o200k_base"):
        try:
            tokenizer = get_tokenizer(name)
        except TokenizerError as exc:
            print(f"{name:<14}skipped: {exc}")
            continue
        tokens = tokenizer.count(text)
        seconds = best_of(args.repeat, partial(tokenizer.count, text))
        cut = best_of(args.repeat, partial(head, tokenizer, big, 1000))
        print(f"{name:<14}{tokens:>12,}{tokens / seconds:>14,.0f}{seconds / baseline:>14.2f}x{cut * 1000:>10.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
