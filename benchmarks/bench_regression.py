"""This checkout against an earlier commit: ``compress --file`` on 50 MB and ``compress --dir`` over 2,000 files.

Usage: python benchmarks/bench_regression.py [--baseline REV] [--mb 50] [--files 2000] [--kb 20] [--repeat 5]

The baseline commit is checked out with ``git worktree`` into a temporary
directory; both checkouts run the same commands in fresh processes (the
checkout first on ``PYTHONPATH``), interleaved round by round, with the same
inputs and fresh output paths; medians are compared. The default baseline is
89cfd01, the last commit before the trust-boundary work (issue 11), whose
new checks (regular files only, bounded reads, special outputs refused,
checked stdout) must stay cheap: the target is at most 1.10x. Exits 1 when
it is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import pydoc_text

REPO = Path(__file__).resolve().parent.parent
DEFAULT_BASELINE = "89cfd01"
TARGET = 1.10


def run(checkout: Path, args: list[str], cwd: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "compact_memory", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: compact-memory {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default=DEFAULT_BASELINE)
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--kb", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cm-regression-"))
    baseline = work / "baseline"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(baseline), args.baseline],
                   check=True)
    try:
        source = pydoc_text(args.mb * 1_000_000)
        big = work / "big.txt"
        big.write_text(source, encoding="utf-8")
        corpus = work / "corpus"
        corpus.mkdir()
        size = args.kb * 1000
        for i in range(args.files):
            start = (i * 7919) % (len(source) - size)
            (corpus / f"doc{i:05d}.txt").write_text(source[start : start + size], encoding="utf-8")
        del source
        cases = {
            f"compress --file ({args.mb} MB, truncate)":
                lambda out: ["compress", "--file", str(big), "--budget", "1000", "--strategy", "truncate",
                             "-o", str(out / "out.txt")],
            f"compress --dir ({args.files} x {args.kb} kB, truncate)":
                lambda out: ["compress", "--dir", str(corpus), "--budget", "300", "--strategy", "truncate",
                             "--output-dir", str(out / "out")],
        }
        times: dict[tuple[str, str], list[float]] = {}
        for round_ in range(args.repeat + 1):  # the first round warms the page cache and is dropped
            for name, make in cases.items():
                for label, checkout in (("baseline", baseline), ("this", REPO)):
                    out = Path(tempfile.mkdtemp(dir=work))
                    seconds = run(checkout, make(out), work)
                    shutil.rmtree(out)
                    if round_:
                        times.setdefault((name, label), []).append(seconds)
        failed = False
        print(f"baseline {args.baseline} vs this checkout, medians of {args.repeat} interleaved rounds")
        for name in cases:
            old = statistics.median(times[name, "baseline"])
            new = statistics.median(times[name, "this"])
            ratio = new / old
            failed |= ratio > TARGET
            print(f"  {name}: baseline {old:.3f} s, this {new:.3f} s, ratio {ratio:.2f}x "
                  f"(target <= {TARGET:.2f}x) {'ok' if ratio <= TARGET else 'MISSED'}")
        return 1 if failed else 0
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(baseline)], check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
