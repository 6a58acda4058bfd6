"""Throughput of ``compress --dir --jobs N`` and of the Ray map step on 2,000 documents of 20 kB.

Usage: python benchmarks/bench_parallel.py [--docs 2000] [--kb 20] [--budget 300] [--strategy extractive]
       [--repeat 3] [--no-ray]

The documents are slices of Python's pydoc topics (``pydoc_data.topics``),
each from a different offset, written to a temporary directory. Every run is
a fresh process writing a fresh ``--output-dir``; runs are interleaved round
by round and medians compared:

1. the plain loop, the code path before ``--jobs`` without the CLI: build the
   strategy once, then read each file, call ``compact_memory.compress`` and
   ``io.atomic_write_text``, one by one;
2. ``compact-memory compress --dir ... --jobs 1``;
3. ``compact-memory compress --dir ... --jobs 2``, whose peak memory (the sum
   of the resident sets of the command and its workers, sampled every 20 ms)
   is reported too.

Targets: ``--jobs 2`` at least 1.7x the throughput of ``--jobs 1``, and
``--jobs 1`` no slower than the plain loop (within 5%).

Then Ray on a local instance with 2 CPUs (skipped with ``--no-ray`` or when
Ray is not installed): ``read_binary_files`` -> ``CompressBatch`` on an actor
pool of 2 -> ``write_parquet``. Start-up (``ray.init`` and a 20-document run
that starts the actors) is reported separately; throughput after start-up is
(documents) / (full run - small run). Target: at least 0.8x the throughput of
``--jobs 2``. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import pydoc_text

TARGET_SPEEDUP = 1.7
TARGET_PLAIN_RATIO = 1.05
TARGET_RAY_RATIO = 0.8

PLAIN_LOOP = """
import sys
from pathlib import Path
from compact_memory import compress, io
from compact_memory.factory import make_strategy
from compact_memory.tokenizers import get_tokenizer
source, out, budget, strategy = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
out.mkdir()
instance, tokenizer = make_strategy(strategy), get_tokenizer(None)  # once, as the command before --jobs did
for path in sorted(source.iterdir()):
    memory, _ = compress(io.read_text_file(path), budget, instance, tokenizer=tokenizer, count_input=False)
    io.atomic_write_text(out / path.name, memory.text)
"""


def make_corpus(directory: Path, docs: int, size: int) -> None:
    text = pydoc_text()
    step = (len(text) - size) // docs
    for i in range(docs):
        (directory / f"doc{i:05d}.txt").write_text(text[i * step : i * step + size], encoding="utf-8")


def tree_rss_kb(pid: int) -> int:
    """Resident set of ``pid`` and all its descendants, in kB."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        stack.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def timed(argv: list[str], *, sample: bool = False) -> tuple[float, int]:
    """Wall seconds and (when sampled) peak resident kB of the process tree."""
    peak = [0]
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.02):
            peak[0] = max(peak[0], tree_rss_kb(process.pid))

    watcher = threading.Thread(target=watch, daemon=True)
    if sample:
        watcher.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    stop.set()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{stderr}")
    return elapsed, peak[0]


def ray_run(corpus: Path, out: Path, budget: int, strategy: str, limit: int | None) -> float:
    import ray

    from compact_memory.integrations.ray import CompressBatch

    paths = sorted(str(p) for p in corpus.iterdir())[:limit]
    started = time.perf_counter()
    # Two actors take 0.9 CPU each, so reading and writing (0.1 each) can run beside them on 2 CPUs;
    # whole CPUs for the actors leave none for the read tasks and the run waits forever.
    ds = ray.data.read_binary_files(paths, num_cpus=0.1)
    ds = ds.map_batches(CompressBatch, fn_constructor_kwargs={"budget": budget, "strategy": strategy,
                                                              "text_column": "bytes"},
                        compute=ray.data.ActorPoolStrategy(size=2), batch_size=50, num_cpus=0.9)
    ds.drop_columns(["bytes"]).write_parquet(str(out), ray_remote_args={"num_cpus": 0.1})
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--kb", type=int, default=20)
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--strategy", default="extractive")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench_parallel_"))
    try:
        corpus = work / "corpus"
        corpus.mkdir()
        make_corpus(corpus, args.docs, args.kb * 1000)
        cli = [sys.executable, "-m", "compact_memory", "compress", "--dir", str(corpus), "--budget",
               str(args.budget), "--strategy", args.strategy, "--output-dir"]
        runs: dict[str, list[float]] = {"plain loop": [], "--jobs 1": [], "--jobs 2": []}
        peaks: list[int] = []
        for round_ in range(args.repeat):
            for name in runs:
                out = work / f"out-{round_}-{name.replace(' ', '').replace('-', '')}"
                if name == "plain loop":
                    argv = [sys.executable, "-c", PLAIN_LOOP, str(corpus), str(out), str(args.budget), args.strategy]
                else:
                    argv = [*cli, str(out), "--jobs", name.split()[1]]
                seconds, peak = timed(argv, sample=name == "--jobs 2")
                runs[name].append(seconds)
                if peak:
                    peaks.append(peak)
                shutil.rmtree(out)
        medians = {name: statistics.median(times) for name, times in runs.items()}
        megabytes = args.docs * args.kb / 1000
        print(f"{args.docs} documents of {args.kb} kB ({megabytes:.0f} MB), budget {args.budget}, "
              f"{args.strategy}, median of {args.repeat}, {os.cpu_count()} CPUs")
        for name, seconds in medians.items():
            print(f"{name:<12} {seconds:>8.2f} s {args.docs / seconds:>8.1f} docs/s")
        speedup = medians["--jobs 1"] / medians["--jobs 2"]
        plain = medians["--jobs 1"] / medians["plain loop"]
        print(f"--jobs 2 / --jobs 1 throughput: {speedup:.2f}x (target >= {TARGET_SPEEDUP}x): "
              f"{'met' if speedup >= TARGET_SPEEDUP else 'MISSED'}")
        print(f"--jobs 1 time / plain loop time: {plain:.2f}x (target <= {TARGET_PLAIN_RATIO}x): "
              f"{'met' if plain <= TARGET_PLAIN_RATIO else 'MISSED'}")
        print(f"--jobs 2 peak memory (command + workers): {max(peaks) / 1000:.0f} MB")
        ok = speedup >= TARGET_SPEEDUP and plain <= TARGET_PLAIN_RATIO
        if args.no_ray:
            return 0 if ok else 1
        try:
            import ray
        except ImportError:
            print("Ray is not installed: Ray comparison skipped (pip install 'compact-memory[ray]')")
            return 0 if ok else 1
        started = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        ray.data.DataContext.get_current().enable_progress_bars = False
        init_s = time.perf_counter() - started
        small_s = ray_run(corpus, work / "ray-small", args.budget, args.strategy, 20)
        full_s = ray_run(corpus, work / "ray-full", args.budget, args.strategy, None)
        ray.shutdown()
        ray_rate = (args.docs - 20) / max(full_s - small_s, 1e-9)
        jobs2_rate = args.docs / medians["--jobs 2"]
        ratio = ray_rate / jobs2_rate
        print(f"Ray start-up: ray.init {init_s:.2f} s, a 20-document run (actors start) {small_s:.2f} s")
        print(f"Ray full run {full_s:.2f} s; after start-up {ray_rate:.1f} docs/s")
        print(f"Ray / --jobs 2 throughput: {ratio:.2f}x (target >= {TARGET_RAY_RATIO}x): "
              f"{'met' if ratio >= TARGET_RAY_RATIO else 'MISSED'}")
        return 0 if ok and ratio >= TARGET_RAY_RATIO else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
