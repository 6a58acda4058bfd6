"""``compact_memory.integrations.ray`` on a real local Ray instance (2 CPUs, started once per session).

Plugins reach the workers only through the runtime environments that the
module docstring documents: the driver (this process) never has them.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from plugin_factory import local_plugin, strategy_module

from compact_memory import compress
from compact_memory.errors import CompactMemoryError, UsageError
from compact_memory.integrations.ray import CompressBatch, compress_dataset

# Ray's own modules warn about their own deprecated settings; ours must not warn.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*", "ignore::FutureWarning:ray.*")

TEXTS = [
    f"Record {i} starts here. "
    + " ".join(f"Fact {k} about record {i} is the number {k * i + 3}." for k in range(i % 9 + 2))
    for i in range(40)
]


@pytest.fixture(scope="session")
def plugin_sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A project with a local plugin directory, and a wheel of an entry-point plugin."""
    project = tmp_path_factory.mktemp("project")
    local_plugin(project / "plugins", "marker_pkg", "ray_marker", marker="Marked ")
    return {"project": project, "wheel": plugin_wheel(tmp_path_factory.mktemp("wheel"))}


@pytest.fixture(scope="session")
def ray_local(tmp_path_factory: pytest.TempPathFactory, plugin_sources: dict[str, Path]) -> Iterator[Any]:
    """One local Ray instance for the session, with a temporary home and the documented runtime environment.

    Local paths in a runtime environment are uploaded only at the job level
    (``ray.init``), so that is where the plugins go, as docs/scaling.md shows.
    """
    import ray

    home = tmp_path_factory.mktemp("ray-home")
    names = ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "COMPACT_MEMORY_PLUGINS_PATH",
             "COMPACT_MEMORY_DISABLE_PLUGINS")
    saved = {name: os.environ.get(name) for name in names}
    # The raylet (and every worker it starts) takes the environment it is started with.
    os.environ.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
                      XDG_CACHE_HOME=str(home / "cache"))
    os.environ.pop("COMPACT_MEMORY_PLUGINS_PATH", None)
    os.environ.pop("COMPACT_MEMORY_DISABLE_PLUGINS", None)
    try:
        runtime_env = {
            "working_dir": str(plugin_sources["project"]),  # uploaded; every worker starts in it
            "env_vars": {"COMPACT_MEMORY_PLUGINS_PATH": "plugins"},  # relative to the working directory
            "py_modules": [str(plugin_sources["wheel"])],  # pip-installed into each worker's environment
        }
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env=runtime_env)
        ray.data.DataContext.get_current().enable_progress_bars = False
        yield ray
    finally:
        ray.shutdown()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def compressed_rows(ds: Any) -> list[dict[str, Any]]:
    return sorted(ds.take_all(), key=lambda row: row["id"])


@pytest.mark.slow
def test_map_batches_equals_compress_on_each_row(ray_local: Any) -> None:
    ds = ray_local.data.from_items([{"id": i, "text": t} for i, t in enumerate(TEXTS)])
    ds = ds.map_batches(CompressBatch, fn_constructor_kwargs={"budget": 25, "query": "number 21"},
                        compute=ray_local.data.ActorPoolStrategy(size=1), batch_size=7)
    rows = compressed_rows(ds)
    assert len(rows) == len(TEXTS)
    for row, text in zip(rows, TEXTS, strict=True):
        memory, trace = compress(text, 25, "extractive", query="number 21")
        assert row["compressed"] == memory.text and row["text"] == text
        assert (row["input_tokens"], row["output_tokens"]) == (trace.input_summary["tokens"],
                                                               trace.output_summary["tokens"])


@pytest.mark.slow
def test_local_plugin_directory_through_working_dir_and_the_plugin_path(
        ray_local: Any, plugin_sources: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CompactMemoryError, match="unknown strategy 'ray_marker'"):
        CompressBatch(budget=12, strategy="ray_marker")  # the driver does not have it
    ds = ray_local.data.from_items([{"id": i, "text": t} for i, t in enumerate(TEXTS[:12])])
    ds = ds.map_batches(CompressBatch, fn_constructor_kwargs={"budget": 12, "strategy": "ray_marker"},
                        compute=ray_local.data.ActorPoolStrategy(size=1), batch_size=5)
    rows = compressed_rows(ds)
    monkeypatch.setenv("COMPACT_MEMORY_PLUGINS_PATH", str(plugin_sources["project"] / "plugins"))
    assert [row["compressed"] for row in rows] == [compress(t, 12, "ray_marker")[0].text for t in TEXTS[:12]]
    assert all(row["compressed"].startswith("Marked ") for row in rows)


def plugin_wheel(directory: Path) -> Path:
    """A real wheel of a distribution with one entry-point strategy (no dependencies)."""
    files = {
        "ray_ep_plugin/__init__.py": "",
        "ray_ep_plugin/strategy.py": strategy_module("EntryPointStrategy", "ray_ep", marker="Wheel "),
        "ray_ep_plugin-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: ray-ep-plugin\nVersion: 1.0\n",
        "ray_ep_plugin-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
                                             "Tag: py3-none-any\n",
        "ray_ep_plugin-1.0.dist-info/entry_points.txt": "[compact_memory.strategies]\n"
                                                        "ray_ep = ray_ep_plugin.strategy:EntryPointStrategy\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    record.append("ray_ep_plugin-1.0.dist-info/RECORD,,")
    path = directory / "ray_ep_plugin-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, text in files.items():
            wheel.writestr(name, text)
        wheel.writestr("ray_ep_plugin-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    return path


@pytest.mark.slow
def test_entry_point_package_through_py_modules(ray_local: Any, plugin_sources: dict[str, Path],
                                                tmp_path: Path) -> None:
    wheel = plugin_sources["wheel"]
    ds = ray_local.data.from_items([{"id": i, "text": t} for i, t in enumerate(TEXTS[:6])])
    ds = ds.map_batches(CompressBatch, fn_constructor_kwargs={"budget": 10, "strategy": "ray_ep"},
                        compute=ray_local.data.ActorPoolStrategy(size=1), batch_size=3)
    rows = compressed_rows(ds)
    assert [row["compressed"][:6] for row in rows] == ["Wheel "] * 6
    sys.path.insert(0, str(tmp_path / "site"))
    try:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(tmp_path / "site")
        assert [row["compressed"] for row in rows] == [compress(t, 10, "ray_ep")[0].text for t in TEXTS[:6]]
    finally:
        sys.path.remove(str(tmp_path / "site"))


@pytest.mark.slow
def test_compress_dataset_from_files_and_from_parquet(ray_local: Any, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = tmp_path / "docs"
    files.mkdir()
    for i, text in enumerate(TEXTS[:10]):
        (files / f"{i:02d}.txt").write_text(text, encoding="utf-8")
    (files / "broken.txt").write_bytes(b"\xff\xfe no text")
    out = tmp_path / "out.parquet"
    summary = compress_dataset(files, out, budget=15, strategy="truncate", concurrency=1)
    assert (summary["rows"], summary["failed"], summary["output"]) == (11, 1, str(out))
    table = pq.read_table(out).to_pylist()
    by_name = {Path(row["path"]).name: row for row in table}
    assert set(table[0]) == {"path", "compressed", "input_tokens", "output_tokens", "compression_error"}
    for i, text in enumerate(TEXTS[:10]):
        assert by_name[f"{i:02d}.txt"]["compressed"] == compress(text, 15, "truncate")[0].text
        assert by_name[f"{i:02d}.txt"]["compression_error"] is None
    assert "not valid utf-8" in by_name["broken.txt"]["compression_error"]
    assert summary["output_tokens"] == sum(row["output_tokens"] or 0 for row in table)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "a temporary directory was left"

    with pytest.raises(CompactMemoryError, match="already exists"):
        compress_dataset(files, out, budget=15)

    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": list(range(20)), "body": TEXTS[:20]}), source)
    again = compress_dataset(source, out, budget=20, text_column="body", output_column="short", overwrite=True)
    assert (again["rows"], again["failed"]) == (20, 0)
    rows = sorted(pq.read_table(out).to_pylist(), key=lambda row: row["id"])
    assert [row["short"] for row in rows] == [compress(t, 20)[0].text for t in TEXTS[:20]]
    assert rows[0]["body"] == TEXTS[0]


# --- without a cluster: the callable on each batch format, and a missing Ray ----


def test_every_batch_format_gets_the_same_columns() -> None:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    texts = TEXTS[:5]
    expected = [compress(t, 9, "truncate")[0].text for t in texts]
    step = CompressBatch(budget=9, strategy="truncate")
    as_numpy = step({"text": np.array(texts, dtype=object)})
    as_pandas = step(pd.DataFrame({"text": texts}))
    as_arrow = step(pa.table({"text": texts}))
    assert list(as_numpy["compressed"]) == list(as_pandas["compressed"]) == as_arrow.column("compressed").to_pylist()
    assert list(as_numpy["compressed"]) == expected
    assert list(as_numpy["output_tokens"]) == [compress(t, 9, "truncate")[1].output_summary["tokens"] for t in texts]


def test_rows_that_fail_are_marked_or_raise() -> None:
    step = CompressBatch(budget=9, strategy="truncate", text_column="body", errors="return")
    out = step({"body": [TEXTS[0], None, b"\xff", "fine text here"], "budget": [1, 2, 3, 4]})
    errors = list(out["compression_error"])
    assert errors[0] is None and errors[3] is None
    assert out["compression_error"][1] == "column 'body': the row has no text (null)"
    assert "not valid utf-8" in out["compression_error"][2]
    per_row = CompressBatch(budget_column="budget", strategy="truncate")({"text": TEXTS[:2], "budget": [1, 3]})
    assert [int(n) for n in per_row["output_tokens"]] == [1, 3]
    with pytest.raises(CompactMemoryError, match="no text"):
        CompressBatch(budget=9)({"text": ["ok", None]})
    with pytest.raises(UsageError, match="no column 'text'"):
        CompressBatch(budget=9)({"body": ["x"]})
    with pytest.raises(UsageError, match="give budget or budget_column"):
        CompressBatch()


def test_without_ray_one_clear_error_with_the_install_hint() -> None:
    probe = ("import sys; sys.modules['ray'] = None\n"
             "from compact_memory.integrations.ray import compress_dataset\n"
             "from compact_memory.errors import CompactMemoryError\n"
             "try:\n    compress_dataset('in', 'out', budget=5)\n"
             "except CompactMemoryError as exc:\n    print(exc)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("the Ray integration needs Ray Data, which is not installed")
    assert result.stdout.strip().endswith("(hint: pip install 'compact-memory[ray]')")
