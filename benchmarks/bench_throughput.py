"""Throughput on one core of each built-in strategy, and of reading, tokenizing and writing, on 20 kB documents.

Usage: python benchmarks/bench_throughput.py [--docs 500] [--kb 20] [--budget 300]

The numbers docs/scaling.md uses for its arithmetic: one process, documents
already on disk (slices of Python's pydoc topics), each stage timed alone over
the same documents:

- read: ``io.read_text_file`` (read and strict UTF-8 decode);
- tokenize: one ``count`` with the default tokenizer (what ``--json`` adds);
- write: ``io.atomic_write_text`` (temporary file, fsync, link into place);
- each built-in: ``compact_memory.compress`` with ``count_input=False``, as
  ``compress --dir`` calls it.

It reports; it checks no target (the targets are in bench_parallel.py and
bench_memory.py).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from common import pydoc_text

STRATEGIES = ["truncate", "first_last", "prune", "extractive"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=500)
    parser.add_argument("--kb", type=int, default=20)
    parser.add_argument("--budget", type=int, default=300)
    args = parser.parse_args(argv)

    from compact_memory import compress, io
    from compact_memory.factory import make_strategy
    from compact_memory.tokenizers import get_tokenizer

    work = Path(tempfile.mkdtemp(prefix="bench_throughput_"))
    try:
        text, size = pydoc_text(), args.kb * 1000
        step = (len(text) - size) // args.docs
        paths = []
        for i in range(args.docs):
            paths.append(work / f"doc{i:05d}.txt")
            paths[-1].write_text(text[i * step : i * step + size], encoding="utf-8")
        texts = [io.read_text_file(p) for p in paths]
        out = work / "out"
        out.mkdir()
        tok = get_tokenizer("words")
        stages = {
            "read (read_text_file)": lambda: [io.read_text_file(p) for p in paths],
            "tokenize (words count)": lambda: [tok.count(t) for t in texts],
            "write (atomic_write_text)": lambda: [io.atomic_write_text(out / p.name, t, overwrite=True)
                                                  for p, t in zip(paths, texts, strict=True)],
        }
        for strategy in STRATEGIES:
            instance = make_strategy(strategy)  # built once, as compress --dir does
            stages[f"{strategy}, budget {args.budget}"] = lambda s=instance: [
                compress(t, args.budget, s, tokenizer=tok, count_input=False) for t in texts]
        print(f"{args.docs} documents of {args.kb} kB, one process")
        for name, call in stages.items():
            call()  # warm: imports, caches
            started = time.perf_counter()
            call()
            seconds = time.perf_counter() - started
            rate = args.docs / seconds
            print(f"{name:<28} {rate:>9.0f} docs/s {rate * args.kb / 1000:>7.2f} MB/s "
                  f"{seconds * 1000 / args.docs:>8.2f} ms/doc")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
