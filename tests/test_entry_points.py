"""The light entry-point reader agrees with importlib.metadata.entry_points()."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

COMPARE = """
import json, sys
from importlib.metadata import entry_points as stdlib
from compact_memory.plugins.entry_points import entry_points
groups = json.loads(sys.argv[1])
out = {}
for group in groups:
    ours = sorted([ep.name, ep.value, ep.dist_name, ep.dist_version] for ep in entry_points(group))
    theirs = sorted([ep.name, ep.value, ep.dist.metadata["Name"], ep.dist.version] for ep in stdlib(group=group))
    out[group] = [ours, theirs]
print(json.dumps(out))
"""


def dist(site: Path, dirname: str, name: str, version: str, entry_points: str | None, meta: str = "METADATA") -> None:
    d = site / dirname
    d.mkdir(parents=True)
    (d / meta).write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nName: not-a-header\n")
    if entry_points is not None:
        (d / "entry_points.txt").write_text(entry_points)


def compare(paths: list[Path], groups: list[str]) -> dict[str, list[list[list[str]]]]:
    # -S: only the given paths (and the checkout, which holds no distribution) are searched.
    code = f"import sys; sys.path[:0] = {[str(p) for p in paths] + [str(ROOT)]!r}\n" + COMPARE
    result = subprocess.run([sys.executable, "-S", "-c", code, json.dumps(groups)], capture_output=True, text=True,
                            check=True, timeout=60)
    return json.loads(result.stdout)


def test_same_entry_points_as_importlib_metadata(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    points = "# comment\n[compact_memory.strategies]\nalpha = alpha.s:Alpha\n beta=beta.s:Beta \n"
    points += "\n[console_scripts]\na = x:y\n"
    dist(first, "alpha_pkg-1.0.dist-info", "alpha-pkg", "1.0", points)
    # The same distribution again, later on the path, under another spelling: the first one wins.
    dist(second, "Alpha.Pkg-2.0.dist-info", "Alpha.Pkg", "2.0", "[compact_memory.strategies]\nold = old:Old\n")
    dist(second, "gamma-0.3.egg-info", "gamma", "0.3", "[compact_memory.strategies]\ngamma = g.m:G\n", "PKG-INFO")
    dist(second, "no_points-1.dist-info", "no-points", "1", None)
    (second / "single-1.0.egg-info").write_text("Name: single\nVersion: 1.0\n")
    # A single-file egg-info earlier on the path claims its name: the later directory is not read.
    (first / "shadowed-0.1.egg-info").write_text("Name: shadowed\nVersion: 0.1\n")
    dist(second, "shadowed-2.0.dist-info", "shadowed", "2.0", "[compact_memory.strategies]\nshadowed = s:S\n")
    dist(second, "other-1.dist-info", "other", "1", "[other.group]\nx = y:z\n")
    seen = compare([first, second], ["compact_memory.strategies", "console_scripts", "other.group", "missing"])
    for group, (ours, theirs) in seen.items():
        assert ours == theirs, group
    assert [row[0] for row in seen["compact_memory.strategies"][0]] == ["alpha", "beta", "gamma"]


def test_a_zip_on_the_path_is_left_to_importlib_metadata(tmp_path: Path) -> None:
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("zipped-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: zipped\nVersion: 1.0\n")
        zf.writestr("zipped-1.0.dist-info/entry_points.txt", "[compact_memory.strategies]\nzipped = z:Z\n")
    ours, theirs = compare([archive], ["compact_memory.strategies"])["compact_memory.strategies"]
    assert ours == theirs == [["zipped", "z:Z", "zipped", "1.0"]]
