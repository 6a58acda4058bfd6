"""Startup and listing cost, as ratios to `python -c pass` measured in the same run.

    python benchmarks/bench_startup.py [--repeat 15]

Targets (issue 2, tightened by issue 10 to the ratios of the day it was
filed): `compact-memory --version` <= 2.2x `python -c pass`;
`dev list-strategies --json` with 100 entry-point plugins and 100 local plugin
directories <= 7.0x, growing linearly with the number of plugins. The
listing rows run with the manifest cache warm, as every listing after the
first does; the cold-cache and cache-off rows are reported beside them.

Bytecode is compiled first and PYTHONDONTWRITEBYTECODE is dropped for the
measured processes, as for a package installed by pip. Every case runs once
per round, rounds interleaved; medians are compared. Exits 1 when a target is
missed.
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

COLD = "list-strategies --json, 100+100, cold cache"


def run_once(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


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
    parser.add_argument("--baseline", metavar="REV", help="also run --version and 100+100 listing from this "
                        "commit (a git worktree first on PYTHONPATH), interleaved, and report this/baseline")
    args = parser.parse_args()
    sizes = (0, 50, 100, 200, 400)
    with tempfile.TemporaryDirectory() as home:
        base_env = {**os.environ, "HOME": home, "XDG_DATA_HOME": f"{home}/share", "XDG_CACHE_HOME": f"{home}/cache"}
        base_env.pop("COMPACT_MEMORY_NO_CACHE", None)
        base_env.pop("COMPACT_MEMORY_PLUGINS_PATH", None)
        # As after `pip install`, which compiles every module: use and keep bytecode.
        base_env.pop("PYTHONDONTWRITEBYTECODE", None)
        import compact_memory

        subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(compact_memory.__file__).parent)],
                       check=True, env=base_env)
        cli = cli_command()
        listing = [*cli, "dev", "list-strategies", "--json"]
        cases: dict[str, tuple[list[str], dict[str, str]]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], base_env),
            "compact-memory --version": ([*cli, "--version"], base_env),
        }
        for n in sizes:
            env = base_env if n == 0 else {**base_env, **make_plugins(Path(home, f"p{n}"), n)}
            cases[f"list-strategies --json, {n}+{n}"] = (listing, env)
        # The manifest cache: the rows above run with it warm (as every listing after the first does);
        # "cold" empties it before each run (the first listing after manifests change), "off" disables it.
        hundred = cases["list-strategies --json, 100+100"][1]
        cases[COLD] = (listing, {**hundred, "XDG_CACHE_HOME": f"{home}/cold-cache"})
        cases["list-strategies --json, 100+100, cache off"] = (listing, {**hundred, "COMPACT_MEMORY_NO_CACHE": "1"})
        time.sleep(2.5)  # manifests younger than two seconds are never cached
        if args.baseline:
            tree = Path(home, "baseline")
            subprocess.run(["git", "-C", str(Path(__file__).resolve().parent.parent), "worktree", "add", "--detach",
                            "-q", str(tree), args.baseline], check=True)
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "compact_memory")], check=True)
            for name in ("compact-memory --version", "list-strategies --json, 100+100"):
                cmd, env = cases[name]
                path = os.pathsep.join(filter(None, [str(tree), env.get("PYTHONPATH", "")]))
                cases[f"{name} @ {args.baseline}"] = (cmd, {**env, "PYTHONPATH": path})
        for cmd, env in cases.values():  # warm the file system cache; not measured
            run_once(cmd, env)
        # Interleaved rounds, so a slow moment of the machine hits every case alike.
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.repeat):
            for name, (cmd, env) in cases.items():
                if name == COLD:
                    shutil.rmtree(env["XDG_CACHE_HOME"], ignore_errors=True)
                times[name].append(run_once(cmd, env))
        if args.baseline:
            subprocess.run(["git", "-C", str(Path(__file__).resolve().parent.parent), "worktree", "remove",
                            "--force", str(Path(home, "baseline"))], check=False)
    median = {name: statistics.median(values) for name, values in times.items()}
    baseline = median["python -c pass"]
    targets = {"compact-memory --version": 2.2, "list-strategies --json, 100+100": 7.0}
    print(f"medians of {args.repeat} interleaved rounds; entry points and local plugin directories as N+N")
    ok = True
    for name, value in median.items():
        ratio = value / baseline
        target = targets.get(name)
        note = f"  (target <= {target}x: {'met' if ratio <= target else 'MISSED'})" if target else ""
        ok = ok and (target is None or ratio <= target)
        print(f"{name:<36} {value * 1000:7.1f} ms  {ratio:5.2f}x{note}")
    for name in targets:
        if f"{name} @ {args.baseline}" in median:
            print(f"{name}: this / {args.baseline} = {median[name] / median[f'{name} @ {args.baseline}']:.2f}x")
    # Least squares over N > 0 (the first plugin adds fixed costs, such as importing PyYAML):
    # the cost per (entry point + local dir) pair, and how well a line fits.
    xs = [n for n in sizes if n]
    ys = [median[f"list-strategies --json, {n}+{n}"] * 1000 for n in xs]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    residual = sum((y - (my + slope * (x - mx))) ** 2 for x, y in zip(xs, ys, strict=True))
    total = sum((y - my) ** 2 for y in ys)
    r2 = 1 - residual / total if total else 1.0
    print(f"listing cost per plugin pair: {slope:.3f} ms (line fit over N = {', '.join(map(str, xs))}: "
          f"R^2 {r2:.3f})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
