"""Peak memory of ``extractive`` on one large file, as a whole ``compress --file`` process.

Usage: python benchmarks/bench_memory.py [--mb 200] [--budget 1000] [--tokenizer words]

The input is Python's pydoc topics (``pydoc_data.topics``) repeated to
``--mb`` MB and written to a temporary file. It holds a few non-ASCII
characters (an ellipsis, dashes), so Python keeps it as 2 bytes a character:
the decoded text alone is twice the file's size.

Measured, each in a fresh process, peak resident set from ``wait4``:

1. baseline: reading and decoding the file (``read_bytes().decode()``);
2. ``compact-memory compress --file FILE --budget 1000 --strategy extractive -o OUT``.

Target (issue 14): the command's peak at most 4x the file's size (it was
about 11x before the strategy kept its data in arrays). Exits 1 when missed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import pydoc_text

TARGET_RATIO = 4.0


def peak_of(argv: list[str]) -> tuple[float, int]:
    """Wall seconds and peak resident bytes of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{stderr}")
    return elapsed, usage.ru_maxrss * 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=200)
    parser.add_argument("--budget", type=int, default=1000)
    parser.add_argument("--tokenizer", default="words")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench_memory_") as tmp:
        big = Path(tmp) / "big.txt"
        unit, wanted, written = pydoc_text(), int(args.mb * 1_000_000), 0
        with big.open("w", encoding="utf-8") as handle:
            while written < wanted:
                piece = unit[: wanted - written]
                handle.write(piece)
                written += len(piece)
        size = big.stat().st_size
        read_s, read_peak = peak_of([sys.executable, "-c", f"open({str(big)!r}, 'rb').read().decode()"])
        run_s, run_peak = peak_of([sys.executable, "-m", "compact_memory", "compress", "--file", str(big),
                                   "--budget", str(args.budget), "--tokenizer", args.tokenizer,
                                   "--strategy", "extractive", "-o", str(Path(tmp) / "out.txt")])
    mb = 1_000_000
    print(f"input: {size / mb:.1f} MB file of pydoc topics, budget {args.budget} ({args.tokenizer})")
    print(f"{'read and decode (baseline)':<34} {read_s:>7.1f} s {read_peak / mb:>8.0f} MB  {read_peak / size:.2f}x")
    print(f"{'compress --file, extractive':<34} {run_s:>7.1f} s {run_peak / mb:>8.0f} MB  {run_peak / size:.2f}x "
          f"the file, {run_peak / read_peak:.2f}x the baseline")
    ok = run_peak <= TARGET_RATIO * size
    print(f"target: peak <= {TARGET_RATIO:.0f}x the file size: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
