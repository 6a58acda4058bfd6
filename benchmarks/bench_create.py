"""`dev create-strategy-package` against the `cookiecutter --no-input` CLI on the same template.

    python benchmarks/bench_create.py [--repeat 15]

Target (issue 5): create-strategy-package takes at most 1.3x the wall time of
`cookiecutter --no-input templates/strategy_package` in the same run. Both
run as fresh processes of the same Python with a temporary HOME; runs are
interleaved so drift in machine load hits both alike. Exit code 1 when the
target is missed.
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
TARGET = 1.3


def cli_command() -> list[str]:
    script = Path(sys.executable).parent / "compact-memory"
    if script.exists():
        return [str(script)]
    found = shutil.which("compact-memory")
    return [found] if found else [sys.executable, "-m", "compact_memory"]


def cookiecutter_command() -> list[str]:
    script = Path(sys.executable).parent / "cookiecutter"
    return [str(script)] if script.exists() else [sys.executable, "-m", "cookiecutter"]


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    template = REPO / "templates" / "strategy_package"
    ours, theirs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = {**os.environ, "HOME": str(root / "home"), "XDG_CONFIG_HOME": str(root / "home" / ".config")}
        for i in range(args.repeat + 1):  # the first round warms caches and is dropped
            name = f"compact_memory_bench_{i}"
            t_ours = timed(
                [*cli_command(), "dev", "create-strategy-package", "--name", name, "--path", str(root / "ours" / name)],
                env,
                root,
            )
            t_theirs = timed(
                [
                    *cookiecutter_command(),
                    "--no-input",
                    "-o",
                    str(root / "theirs"),
                    str(template),
                    f"package_name={name}",
                ],
                env,
                root,
            )
            if i:
                ours.append(t_ours)
                theirs.append(t_theirs)
    a, b = statistics.median(ours), statistics.median(theirs)
    ratio = a / b
    print(f"cookiecutter --no-input TEMPLATE             {b * 1000:7.1f} ms   1.00x")
    print(f"compact-memory dev create-strategy-package  {a * 1000:7.1f} ms  {ratio:5.2f}x  (target <= {TARGET}x)")
    print(f"medians of {args.repeat} interleaved runs each")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
