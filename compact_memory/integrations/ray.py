"""Compress a Ray Data dataset across a cluster with any strategy, built-in or plugin.

Install with ``pip install 'compact-memory[ray]'``. Nothing else in
compact-memory imports Ray.

:class:`CompressBatch` is a callable class for ``Dataset.map_batches``::

    import ray
    from compact_memory.integrations.ray import CompressBatch

    ds = ray.data.read_parquet("s3://bucket/chunks/")
    ds = ds.map_batches(CompressBatch, fn_constructor_kwargs={"budget": 300, "strategy": "extractive"},
                        compute=ray.data.ActorPoolStrategy(min_size=1, max_size=8), batch_size=64)

Each actor builds the strategy and tokenizer once, in its own process, and
compresses the batch's ``text_column`` with
:func:`compact_memory.compress_many`; the batch comes back with
``output_column`` (default ``compressed``), ``input_tokens`` and
``output_tokens`` added (and ``compression_error`` with
``errors="return"``). Batches may be numpy dicts (Ray's default), pandas
DataFrames or pyarrow Tables; text values may be ``str`` or UTF-8 ``bytes``
(as ``ray.data.read_binary_files`` gives them).

:func:`compress_dataset` reads text files or Parquet, runs that map step and
writes Parquet.

Plugins on the workers: a worker resolves the strategy id like the CLI does,
from its own environment. Make the plugin available there with the job's
runtime environment, ``ray.init(runtime_env=...)`` (Ray uploads local paths
only at the job level; per-call ``runtime_env`` takes URIs and ``pip``):

- an installed package (entry point): ``{"pip": ["my-strategy==1.0"]}``, or a
  built wheel: ``{"py_modules": ["dist/my_strategy-1.0-py3-none-any.whl"]}``;
- local plugin directories: ``{"working_dir": "project", "env_vars":
  {"COMPACT_MEMORY_PLUGINS_PATH": "plugins"}}`` uploads ``project/`` to every
  worker and starts the worker in it, so ``plugins/`` (relative to it) is
  searched like a local plugin path; ``COMPACT_MEMORY_DISABLE_PLUGINS`` goes in
  ``env_vars`` the same way.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from compact_memory.errors import CompactMemoryError, InputError, UsageError

__all__ = ["CompressBatch", "compress_dataset", "require_ray"]

INSTALL_HINT = "pip install 'compact-memory[ray]'"
ERROR_COLUMN = "compression_error"


def require_ray() -> Any:
    """The ``ray`` module with Ray Data, or one clear error saying how to install it."""
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise CompactMemoryError(f"the Ray integration needs Ray Data, which is not installed ({exc})",
                                 hint=INSTALL_HINT) from None
    return ray


class CompressBatch:
    """Compresses one column of each batch; use it as ``Dataset.map_batches(CompressBatch, fn_constructor_kwargs=...)``.

    ``budget`` applies to every row unless ``budget_column`` names a column
    of per-row budgets. ``strategy``, ``tokenizer``, ``params`` and ``query``
    mean what they mean for :func:`compact_memory.compress`. With
    ``errors="raise"`` a row that fails fails the batch (and, after Ray's
    retries, the dataset); with ``errors="return"`` its ``output_column`` is
    empty and ``compression_error`` says why.
    """

    def __init__(self, *, budget: int | None = None, strategy: str = "extractive", text_column: str = "text",
                 output_column: str = "compressed", tokenizer: str | None = None,
                 params: Mapping[str, Any] | None = None, query: str | None = None,
                 budget_column: str | None = None, errors: Literal["raise", "return"] = "raise") -> None:
        from compact_memory.factory import make_strategy
        from compact_memory.runtime import check_budget
        from compact_memory.tokenizers import get_tokenizer

        if (budget is None) == (budget_column is None):
            raise UsageError("CompressBatch: give budget or budget_column (one of them)")
        if errors not in ("raise", "return"):
            raise UsageError(f"CompressBatch: errors must be 'raise' or 'return', got {errors!r}")
        self.budget = None if budget is None else check_budget(budget)
        self.budget_column = budget_column
        self.strategy = make_strategy(strategy, params)  # resolved here, on the worker, from its environment
        self.tokenizer = get_tokenizer(tokenizer)
        self.text_column = text_column
        self.output_column = output_column
        self.query = query
        self.errors = errors

    def __call__(self, batch: Any) -> Any:
        from compact_memory.batch import compress_many

        values = _column(batch, self.text_column)
        budgets: list[int] = [self.budget] * len(values) if self.budget is not None else \
            [int(b) for b in _column(batch, self.budget_column or "")]
        compressed: list[str] = [""] * len(values)
        input_tokens: list[int | None] = [None] * len(values)
        output_tokens: list[int | None] = [None] * len(values)
        failures: list[str | None] = [None] * len(values)
        rows: list[int] = []
        texts: list[str] = []
        for row, value in enumerate(values):
            try:
                texts.append(_text(value, self.text_column))
                rows.append(row)
            except InputError as exc:
                if self.errors == "raise":
                    raise
                failures[row] = str(exc)
        for row, result in zip(rows, compress_many(texts, [budgets[r] for r in rows], self.strategy,
                                                   tokenizer=self.tokenizer, query=self.query, errors=self.errors),
                               strict=True):
            if result.error is not None:
                failures[row] = str(result.error)
                continue
            memory, trace = result.unwrap()
            compressed[row] = memory.text
            input_tokens[row] = trace.input_summary.get("tokens")
            output_tokens[row] = trace.output_summary.get("tokens")
        columns: dict[str, list[Any]] = {self.output_column: compressed, "input_tokens": input_tokens,
                                         "output_tokens": output_tokens}
        if self.errors == "return":
            columns[ERROR_COLUMN] = failures
        return _with_columns(batch, columns)


def _text(value: Any, column: str) -> str:
    """A row's text; bytes are decoded as UTF-8, anything else that is not text is an :class:`InputError`."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        from compact_memory import io

        return io.decode(bytes(value), "utf-8", f"column {column!r}")
    if value is None:
        raise InputError(f"column {column!r}: the row has no text (null)")
    raise InputError(f"column {column!r}: expected text, got {type(value).__name__}")


def _column(batch: Any, name: str) -> list[Any]:
    try:
        if hasattr(batch, "column_names") and hasattr(batch, "append_column"):  # pyarrow.Table
            return list(batch.column(name).to_pylist())
        values = batch[name]
    except KeyError:
        columns = list(getattr(batch, "column_names", None) or getattr(batch, "columns", None) or batch.keys())
        raise UsageError(f"CompressBatch: the batch has no column {name!r}",
                         hint=f"columns: {', '.join(map(str, columns))}") from None
    return list(values.tolist() if hasattr(values, "tolist") else values)


def _with_columns(batch: Any, columns: dict[str, list[Any]]) -> Any:
    if hasattr(batch, "column_names") and hasattr(batch, "append_column"):  # pyarrow.Table
        import pyarrow as pa

        for name, values in columns.items():
            if name in batch.column_names:
                batch = batch.drop_columns([name])
            batch = batch.append_column(name, pa.array(values))
        return batch
    if hasattr(batch, "assign"):  # pandas.DataFrame
        return batch.assign(**columns)
    import numpy as np

    out = dict(batch)
    for name, values in columns.items():
        if name == ERROR_COLUMN or any(v is None for v in values):
            out[name] = np.array(values, dtype=object)
        else:
            out[name] = np.array(values)
    return out


def compress_dataset(
    source: str | Path | Sequence[str | Path],
    output: str | Path,
    *,
    budget: int,
    strategy: str = "extractive",
    tokenizer: str | None = None,
    params: Mapping[str, Any] | None = None,
    query: str | None = None,
    input_format: Literal["auto", "parquet", "files"] = "auto",
    text_column: str = "text",
    output_column: str = "compressed",
    concurrency: int | None = None,
    batch_size: int = 64,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Compress text files or a Parquet dataset with Ray and write the result as Parquet to ``output``.

    ``input_format="files"`` reads every file under ``source`` as one UTF-8
    document (columns ``path``, ``compressed``, ``input_tokens``,
    ``output_tokens``, ``compression_error``); ``"parquet"`` keeps the input's
    columns and adds those. ``"auto"`` picks Parquet when every source ends
    in ``.parquet`` or is a directory holding only Parquet files. Rows that
    fail are written with ``compression_error`` set; the summary returned
    (``rows``, ``failed``, ``input_tokens``, ``output_tokens``, ``output``)
    counts them. ``concurrency`` actors (default: one per CPU of the cluster
    but one, for reading) each run one strategy instance; plugins reach them
    through the job's runtime environment (see the module docstring). A local
    ``output`` is written to a temporary directory beside it and moved into
    place when complete; an existing one is refused unless ``overwrite``.
    Call ``ray.init(...)`` first to choose the cluster; without it Ray starts
    a local one.
    """
    ray = require_ray()
    sources = [str(s) for s in ([source] if isinstance(source, (str, Path)) else source)]
    if not sources:
        raise UsageError("compress_dataset: no source given")
    kind = _input_format(sources, input_format)
    out = str(output)
    local = "://" not in out
    target = Path(out)
    if local:
        if (target.exists() or target.is_symlink()) and not overwrite:
            raise CompactMemoryError(f"{target} already exists", hint="pass overwrite=True to replace it")
        if not target.parent.is_dir():
            raise CompactMemoryError(f"cannot write {target}: directory {target.parent} does not exist")
    if kind == "parquet":
        ds = ray.data.read_parquet(sources if len(sources) > 1 else sources[0])
        column = text_column
    else:
        ds = ray.data.read_binary_files(sources if len(sources) > 1 else sources[0], include_paths=True)
        column = "bytes"
    if concurrency is None:
        concurrency = max(1, int(ray.cluster_resources().get("CPU", 2)) - 1)
    ds = ds.map_batches(
        CompressBatch,
        fn_constructor_kwargs={"budget": budget, "strategy": strategy, "text_column": column,
                               "output_column": output_column, "tokenizer": tokenizer,
                               "params": dict(params or {}), "query": query, "errors": "return"},
        compute=ray.data.ActorPoolStrategy(min_size=1, max_size=concurrency),
        batch_size=batch_size,
    )
    if kind == "files":
        ds = ds.drop_columns(["bytes"])
    written = str(target.parent / f".{target.name}.{uuid.uuid4().hex[:12]}.tmp") if local else out
    try:
        ds.write_parquet(written)
        summary = _summarize(ray, written, output_column)
        if local:
            _move_into_place(Path(written), target, overwrite=overwrite)
    finally:
        if local and Path(written).exists():
            import shutil

            shutil.rmtree(written, ignore_errors=True)
    summary["output"] = out
    return summary


def _input_format(sources: list[str], chosen: str) -> str:
    if chosen not in ("auto", "parquet", "files"):
        raise UsageError(f"input_format must be 'auto', 'parquet' or 'files', got {chosen!r}")
    if chosen != "auto":
        return chosen

    def parquet(source: str) -> bool:
        if source.endswith(".parquet"):
            return True
        path = Path(source)
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else []
        return bool(files) and all(p.suffix == ".parquet" for p in files)

    return "parquet" if all(parquet(s) for s in sources) else "files"


def _summarize(ray: Any, written: str, output_column: str) -> dict[str, Any]:
    rows = failed = in_tokens = out_tokens = 0
    table = ray.data.read_parquet(written).select_columns(["input_tokens", "output_tokens", ERROR_COLUMN])
    for batch in table.iter_batches(batch_format="pyarrow"):
        rows += batch.num_rows
        failed += batch.num_rows - batch.column(ERROR_COLUMN).null_count
        in_tokens += sum(v for v in batch.column("input_tokens").to_pylist() if v is not None)
        out_tokens += sum(v for v in batch.column("output_tokens").to_pylist() if v is not None)
    return {"rows": rows, "failed": failed, "input_tokens": in_tokens, "output_tokens": out_tokens,
            "column": output_column}


def _move_into_place(written: Path, target: Path, *, overwrite: bool) -> None:
    if not (target.exists() or target.is_symlink()):
        os.rename(written, target)
        return
    if not overwrite:
        raise CompactMemoryError(f"{target} already exists", hint="pass overwrite=True to replace it")
    if target.is_symlink() or not target.is_dir():
        raise CompactMemoryError(f"{target} is not a directory of Parquet files; not replacing it")
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
    os.rename(target, aside / "old")
    os.rename(written, target)
    import shutil

    shutil.rmtree(aside, ignore_errors=True)
