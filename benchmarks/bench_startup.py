"""Startup and listing cost, as ratios to `python -c pass` measured in the same run.

    python benchmarks/bench_startup.py [--repeat 15]

Targets (issue 2): `compact-memory --version` <= 2.5x `python -c pass`;
`dev list-strategies --json` with 100 entry-point plugins and 100 local plugin
directories <= 8x, growing linearly with the number of plugins.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from plugin_factory import installed_dist, local_plugin, strategy_module


def wall(cmd: list[str], env: dict[str, str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cli_command() -> list[str]:
    script = Path(sys.executable).parent / "compact-memory"
    if script.exists():
        return [str(script)]
    found = shutil.which("compact-memory")
    return [found] if found else [sys.executable, "-m", "compact_memory"]


def make_plugins(root: Path, n: int) -> dict[str, str]:
    site, plugins = root / "site", root / "plugins"
    for i in range(n):
        local_plugin(plugins, f"local_{i:04d}", f"local_{i:04d}")
        pkg = f"ep_pkg_{i:04d}"
        installed_dist(site, f"ep-pkg-{i:04d}", {f"ep_{i:04d}": f"{pkg}.strategy:S"},
                       modules={f"{pkg}/__init__.py": "", f"{pkg}/strategy.py": strategy_module("S", f"ep_{i:04d}")})
    return {"COMPACT_MEMORY_PLUGINS_PATH": str(plugins), "PYTHONPATH": str(site)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        base_env = {**os.environ, "HOME": home, "XDG_DATA_HOME": f"{home}/share"}
        base_env.pop("COMPACT_MEMORY_PLUGINS_PATH", None)
        baseline = wall([sys.executable, "-c", "pass"], base_env, args.repeat)
        cli = cli_command()
        version = wall([*cli, "--version"], base_env, args.repeat)
        print(f"python -c pass                    {baseline * 1000:7.1f} ms   1.00x")
        print(f"compact-memory --version          {version * 1000:7.1f} ms  "
              f"{version / baseline:5.2f}x  (target <= 2.5x)")
        listing = wall([*cli, "dev", "list-strategies", "--json"], base_env, args.repeat)
        print(f"list-strategies --json, 0 plugins {listing * 1000:7.1f} ms  {listing / baseline:5.2f}x")
        per_n = {}
        for n in (50, 100, 200, 400):
            with tempfile.TemporaryDirectory() as tmp:
                env = {**base_env, **make_plugins(Path(tmp), n)}
                t = wall([*cli, "dev", "list-strategies", "--json"], env, max(5, args.repeat // 2))
            per_n[n] = t
            target = "  (target <= 8x)" if n == 100 else ""
            print(f"list-strategies --json, {n:3d}+{n:<3d}  {t * 1000:7.1f} ms  {t / baseline:5.2f}x{target}")
        slope = [(per_n[b] - per_n[a]) / (b - a) * 1000 for a, b in ((50, 100), (100, 200), (200, 400))]
        print("marginal cost per (entry point + local dir) pair: " + ", ".join(f"{s:.3f} ms" for s in slope)
              + "  (linear when these are close)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
