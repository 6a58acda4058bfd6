"""Compress many texts: in input order, on several cores if asked, one failure never stopping the rest.

>>> from compact_memory import compress_many
>>> for result in compress_many(["first text ...", "second text ..."], 300, "extractive", jobs=2):
...     print(result.index, result.text)

``texts`` may be strings, sequences of chunks, or :class:`TextFile` items,
which the workers read themselves (so the caller holds only paths). Results
are :class:`BatchResult` objects in input order. With ``jobs=1`` (the
default) everything runs in this process; with ``jobs=N`` N worker processes
do the work (``jobs=0``: one per available core), each building the strategy
once, and at most a few items per worker are in flight, so memory does not
grow with the number of texts. Results are the same, byte for byte, for any
number of jobs; ``trace.processing_ms`` is measured inside the worker that
ran the strategy.

How workers get the same strategy:

- An id (``"extractive"``, a plugin's id) or a plugin class is resolved by id
  in every worker with the same plugin settings as here
  (``COMPACT_MEMORY_PLUGINS_PATH``, ``COMPACT_MEMORY_DISABLE_PLUGINS``, the user
  plugin directory), and each worker checks that it found the very same
  plugin (same id and origin) or fails before any text is compressed.
- A class registered in this process with ``register_compression_strategy``,
  any other class and an instance are sent by pickle: a class must be
  importable by its module and name in a fresh interpreter (defined at the
  top level of a module or of the script being run, not in a notebook or a
  function), or the run fails at once with a hint; ``jobs=1`` has no such
  limit. Workers start with ``spawn``, so a script that calls
  ``compress_many(..., jobs=N)`` needs the usual ``if __name__ == "__main__":``
  guard.

Failures: with ``errors="raise"`` (the default) the first failed text, in
order, raises its :class:`~compact_memory.errors.CompactMemoryError`; with
``errors="return"`` it comes back as a result whose ``error`` is set and the
rest go on. A worker process that dies (a plugin calling ``os._exit``, the
system killing it) fails only the text it was compressing.
"""

from __future__ import annotations

import contextlib
import io as _io
import os
import pickle
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from compact_memory.compression.strategies_abc import CompressedMemory, CompressionStrategy, TextOrChunks
from compact_memory.compression.trace import CompressionTrace
from compact_memory.errors import CompactMemoryError, PluginError, UsageError
from compact_memory.factory import StrategySpec
from compact_memory.tokenizers import Tokenizer

__all__ = ["BatchResult", "TextFile", "available_cores", "compress_many", "parse_jobs"]

Errors = Literal["raise", "return"]


@dataclass(frozen=True)
class TextFile:
    """A text to read from ``path`` (strictly, as ``compress --file`` reads) where it is compressed."""

    path: Path | str
    encoding: str = "utf-8"


@dataclass
class BatchResult:
    """The outcome for ``texts[index]``: ``memory`` and ``trace``, or the ``error`` that failed it."""

    index: int
    memory: CompressedMemory | None = None
    trace: CompressionTrace | None = None
    error: CompactMemoryError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def text(self) -> str:
        """The compressed text; raises the error of a failed item."""
        return self.unwrap()[0].text

    def unwrap(self) -> tuple[CompressedMemory, CompressionTrace]:
        """``(memory, trace)`` as :func:`compact_memory.compress` returns them; raises the error of a failed item."""
        if self.error is not None:
            raise self.error
        assert self.memory is not None and self.trace is not None
        return self.memory, self.trace


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's count)."""
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if counter is not None:
        return int(counter() or 1)
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def parse_jobs(value: object, option: str = "jobs") -> int:
    """A number of jobs: a whole number >= 1, or 0 for one per available core; anything else is a usage error.

    Returns the number of processes to use (0 resolved to :func:`available_cores`).
    """
    prefix = f"{option} " if option else ""
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise UsageError(f"{prefix}must be a whole number of processes (0: one per core), got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"{prefix}must be a whole number of processes (0: one per core), got {value!r}")
    if value < 0:
        raise UsageError(f"{prefix}must be >= 0 (0: one per core), got {value}")
    return value or available_cores()


def compress_many(
    texts: Iterable[TextOrChunks | TextFile],
    budget: int | Iterable[int],
    strategy: StrategySpec = "extractive",
    *,
    tokenizer: str | Tokenizer | None = None,
    query: str | None = None,
    params: Mapping[str, Any] | None = None,
    jobs: int = 1,
    count_input: bool = True,
    errors: Errors = "raise",
) -> Generator[BatchResult, None, None]:
    """Compress every text with one strategy; yield a :class:`BatchResult` per text, in input order.

    ``budget`` is one budget for all, or one per text (an iterable as long as
    ``texts``). ``strategy``, ``tokenizer``, ``query``, ``params`` and
    ``count_input`` mean what they mean for :func:`compact_memory.compress`.
    Arguments are checked, and the strategy built, before this returns; the
    work happens as the result is iterated. Close the iterator (or use it up)
    to stop the workers early.
    """
    from compact_memory.factory import make_strategy
    from compact_memory.tokenizers import get_tokenizer

    if errors not in ("raise", "return"):
        raise UsageError(f"errors must be 'raise' or 'return', got {errors!r}")
    jobs = parse_jobs(jobs)
    if query is not None and not isinstance(query, str):
        raise UsageError(f"query must be text, got {query!r}")
    instance = make_strategy(strategy, params)
    tok = get_tokenizer(tokenizer)
    items = _pair(texts, budget)
    if isinstance(texts, (list, tuple)):
        jobs = min(jobs, len(texts))
    if jobs <= 1:
        results = _in_process(items, instance, tok, query, count_input)
    else:
        results = _in_workers(items, jobs, strategy, params, instance, tokenizer, tok, query, count_input)
    return _check(results) if errors == "raise" else results


def _check(results: Generator[BatchResult, None, None]) -> Generator[BatchResult, None, None]:
    with contextlib.closing(results):
        for result in results:
            if result.error is not None:
                raise result.error
            yield result


def _pair(texts: Iterable[TextOrChunks | TextFile], budget: int | Iterable[int]) -> Iterator[tuple[Any, int]]:
    from compact_memory.runtime import check_budget

    if isinstance(budget, int):
        same = check_budget(budget)
        return ((text, same) for text in texts)
    if isinstance(budget, (str, bytes)) or not isinstance(budget, Iterable):
        check_budget(budget)  # raises with the usual wording
    return _zip_budgets(texts, budget)


def _zip_budgets(texts: Iterable[Any], budgets: Iterable[int]) -> Iterator[tuple[Any, int]]:
    from compact_memory.runtime import check_budget

    try:
        for text, each in zip(texts, budgets, strict=True):
            yield text, check_budget(each)
    except ValueError as exc:
        if "zip()" not in str(exc):
            raise
        raise UsageError("budget: give one budget, or exactly one per text") from None


def _compress_item(instance: CompressionStrategy, tok: Tokenizer, query: str | None, count_input: bool,
                   item: Any, budget: int) -> tuple[CompressedMemory, CompressionTrace]:
    from compact_memory.runtime import compress

    if isinstance(item, TextFile):
        from compact_memory import io

        item = io.read_text_file(Path(item.path), io.check_encoding(item.encoding))
    return compress(item, budget, instance, tokenizer=tok, query=query, count_input=count_input)


def _in_process(items: Iterator[tuple[Any, int]], instance: CompressionStrategy, tok: Tokenizer,
                query: str | None, count_input: bool) -> Generator[BatchResult, None, None]:
    for index, (item, budget) in enumerate(items):
        try:
            memory, trace = _compress_item(instance, tok, query, count_input, item, budget)
        except CompactMemoryError as exc:
            yield BatchResult(index, error=exc)
            continue
        yield BatchResult(index, memory, trace)


# --- worker processes ----------------------------------------------------------


def _in_workers(items: Iterator[tuple[Any, int]], jobs: int, strategy: StrategySpec,
                params: Mapping[str, Any] | None, instance: CompressionStrategy, tokenizer: str | Tokenizer | None,
                tok: Tokenizer, query: str | None, count_input: bool) -> Generator[BatchResult, None, None]:
    from compact_memory import parallel
    from compact_memory.factory import describe
    from compact_memory.plugins import DISABLE_ENV, PATH_ENV

    cls = type(instance)
    # An id or a class is rebuilt from its class and params in the worker; an instance travels as it is.
    spec: Any = instance if isinstance(strategy, CompressionStrategy) else cls
    settings = {name: os.environ.get(name) for name in (PATH_ENV, DISABLE_ENV)}
    # A name or path is loaded again in the worker (relative paths: the worker has our working directory).
    worker_tokenizer: Any = tok if tokenizer is not None and not isinstance(tokenizer, str) else tokenizer
    rest = _dumps((spec, dict(params or {}) if spec is cls else None, worker_tokenizer, query, count_input),
                  what=f"{describe(cls)} or the tokenizer {tok.name!r}")
    payload = pickle.dumps((settings, rest))
    outcomes = parallel.run_ordered(_setup_worker, payload, items, jobs, died=lambda reason: _died(cls, reason))
    with contextlib.closing(outcomes):
        for outcome in outcomes:
            if outcome.error is not None:
                yield BatchResult(outcome.index, error=outcome.error)
            else:
                memory, trace = outcome.value
                yield BatchResult(outcome.index, memory, trace)


def _died(cls: type[CompressionStrategy], reason: str) -> CompactMemoryError:
    from compact_memory.factory import describe, is_builtin, plugin_failure

    who = describe(cls)
    if is_builtin(cls):
        return CompactMemoryError(f"the worker process running {who} died: {reason}",
                                  hint="compress this input alone with one job to see what happens; "
                                       "a very large input may need more memory")
    error = PluginError(f"{who} failed while compressing: its worker process died: {reason}",
                        hint=plugin_failure(cls, "", RuntimeError()).hint)
    error.reason = f"its worker process died: {reason}"
    return error


class _Pickler(pickle.Pickler):
    """Sends plugin classes by id (and origin), since a local plugin's module cannot be imported by name."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, type) and issubclass(obj, CompressionStrategy) and _is_active_plugin(obj):
            from compact_memory.factory import describe

            return _plugin_class, (obj.id, describe(obj))
        return NotImplemented


def _is_active_plugin(cls: type[CompressionStrategy]) -> bool:
    from compact_memory.compression import get_compression_strategy
    from compact_memory.factory import is_builtin
    from compact_memory.plugins.registration import registrations

    sid = getattr(cls, "id", None)
    if is_builtin(cls) or not isinstance(sid, str) or any(r.cls is cls for r in registrations()):
        return False
    try:
        return get_compression_strategy(sid) is cls
    except CompactMemoryError:
        return False


def _plugin_class(strategy_id: str, origin: str) -> type[CompressionStrategy]:
    """In a worker: the active plugin for ``strategy_id``, which must come from where the parent's came from."""
    from compact_memory.compression import get_compression_strategy
    from compact_memory.factory import describe

    cls: type[CompressionStrategy] = get_compression_strategy(strategy_id)
    if describe(cls) != origin:
        raise PluginError(f"a worker process found {describe(cls)} where this process uses {origin}",
                          hint="plugin directories or installed packages changed during the run; run it again")
    return cls


def _dumps(value: Any, *, what: str) -> bytes:
    buffer = _io.BytesIO()
    try:
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    except Exception as exc:
        raise UsageError(f"the {what} cannot be sent to worker processes: {type(exc).__name__}: {exc}",
                         hint="pass the strategy id and tokenizer name, or use one job") from None
    return buffer.getvalue()


def _setup_worker(payload: bytes) -> Any:
    """In a worker: apply the parent's plugin settings, then rebuild the strategy and tokenizer once."""
    from compact_memory.factory import make_strategy
    from compact_memory.tokenizers import get_tokenizer

    settings, rest = pickle.loads(payload)
    for name, value in settings.items():  # read when the strategy's id is resolved, below
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        spec, params, tokenizer, query, count_input = pickle.loads(rest)
    except CompactMemoryError:
        raise
    except Exception as exc:
        raise UsageError(f"the strategy cannot be loaded in a worker process: {type(exc).__name__}: {exc}",
                         hint="define the class at the top level of an importable module (not in a notebook or "
                              "a function), pass a plugin's id, or use one job") from None
    instance = make_strategy(spec, params) if params is not None else spec
    tok = get_tokenizer(tokenizer)

    def handle(item: tuple[Any, int]) -> tuple[CompressedMemory, CompressionTrace]:
        return _compress_item(instance, tok, query, count_input, item[0], item[1])

    return handle
