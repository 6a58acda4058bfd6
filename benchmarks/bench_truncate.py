"""``truncate`` on a 50 MB text with a budget of 1000 tokens: time and peak memory.

Usage: python benchmarks/bench_truncate.py [--mb 50] [--budget 1000] [--tokenizer words] [--repeat 5]

The text is Python's own pydoc topics (``pydoc_data.topics``) repeated to the
size asked for. It is written to a temporary file first; the baseline is the
time to read that file back once, in the same run. Wall time is the median
over ``--repeat`` calls; peak memory is measured with tracemalloc in a
separate call (tracing slows Python down, so it is not timed). Exits 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import subprocess
import sys
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from common import median_seconds, pydoc_text

TARGET_SECONDS = 0.5
TARGET_PEAK_MB = 300


def peak_mb(call: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1e6


def max_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1e6 if sys.platform == "darwin" else rss / 1e3  # bytes on macOS, KiB elsewhere


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--budget", type=int, default=1000)
    parser.add_argument("--tokenizer", default="words")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    from compact_memory.runtime import compress
    from compact_memory.strategies.truncate import TruncateStrategy
    from compact_memory.tokenizers import get_tokenizer

    tok = get_tokenizer(args.tokenizer)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "input.txt")
        path.write_text(pydoc_text(1_000_000 * args.mb), encoding="utf-8")
        read_s = median_seconds(lambda: path.read_text(encoding="utf-8"), args.repeat)
        text = path.read_text(encoding="utf-8")
        # The whole command: start, read and check the file, compress, write to stdout.
        cli = [sys.executable, "-m", "compact_memory", "compress", "--file", str(path), "--budget",
               str(args.budget), "--strategy", "truncate", "--tokenizer", tok.name]
        cli_s = median_seconds(lambda: subprocess.run(cli, check=True, stdout=subprocess.DEVNULL), args.repeat)
        os.remove(path)

    strategy = TruncateStrategy()
    rss_before = max_rss_mb()
    strategy_s = median_seconds(lambda: strategy.compress(text, args.budget, tokenizer=tok), args.repeat)
    rss_delta = max_rss_mb() - rss_before
    strategy_peak = peak_mb(lambda: strategy.compress(text, args.budget, tokenizer=tok))
    memory, _ = strategy.compress(text, args.budget, tokenizer=tok)
    assert tok.count(memory.text) <= args.budget and text.startswith(memory.text)
    # The runtime also counts the input's tokens for the trace: a full pass.
    runtime_s = median_seconds(lambda: compress(text, args.budget, strategy, tokenizer=tok), max(1, args.repeat // 2))
    runtime_peak = peak_mb(lambda: compress(text, args.budget, strategy, tokenizer=tok))

    print(f"input: {len(text) / 1e6:.0f} MB of pydoc topics ({len(text):,} characters), "
          f"budget {args.budget}, tokenizer {tok.name}, median of {args.repeat}")
    print(f"{'measurement':<42} {'time':>10} {'peak memory':>12}")
    print(f"{'baseline: read the file once':<42} {read_s * 1000:>8.1f}ms {'':>12}")
    print(f"{'TruncateStrategy.compress':<42} {strategy_s * 1000:>8.1f}ms {strategy_peak:>9.2f} MB")
    print(f"{'compact_memory.compress (runtime, trace)':<42} {runtime_s * 1000:>8.1f}ms {runtime_peak:>9.2f} MB")
    print(f"{'compact-memory compress --file (process)':<42} {cli_s * 1000:>8.1f}ms "
          f"{cli_s / read_s:>9.1f}x the read")
    print(f"ru_maxrss growth during the timed strategy calls: {rss_delta:.1f} MB")
    ok = strategy_s < TARGET_SECONDS and strategy_peak < TARGET_PEAK_MB
    print(f"target: strategy < {TARGET_SECONDS}s and < {TARGET_PEAK_MB} MB peak: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
