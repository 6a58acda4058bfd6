"""Ordered work on a few worker processes that survives a worker's death.

:func:`run_ordered` sends items to ``jobs`` worker processes, one item per
worker at a time, and yields the outcomes in input order. It is the engine
under :func:`compact_memory.batch.compress_many` and
``run-package-experiment --jobs``; nothing imports it unless more than one
job is asked for.

- **Bounded.** At most ``2 * jobs * IN_FLIGHT_PER_JOB`` items are taken from
  the input and not yet yielded (one window being worked on or waiting for
  its turn, one handed over to the caller's thread), so memory does not grow
  with the corpus.
- **Ordered.** Outcomes come back in input order whatever order the workers
  finish in.
- **Per-item failures.** A :class:`~compact_memory.errors.CompactMemoryError`
  raised for an item is that item's outcome; the run goes on. A worker that
  dies (a plugin calling ``os._exit``, the kernel's out-of-memory killer)
  fails only the item it was working on, with the reason, and is replaced.
  Any other exception is a bug: it is raised in the caller, in order, with
  the worker's traceback as its cause.
- **Interrupts.** Workers ignore SIGINT: Ctrl-C in a terminal reaches the
  whole process group, and the parent alone decides what to clean up. Closing
  the generator (or an exception in the caller) stops every worker. Workers
  never write files, so stopping one leaves nothing behind.
- **Same environment.** Workers are started with ``spawn`` (a fresh
  interpreter on every platform, never a fork of a process that may hold
  threads or locks): they get the parent's ``sys.path``, working directory
  and environment, and ``setup`` receives everything else it needs as bytes.
  What a worker would print on stdout goes to stderr, so machine output on
  stdout stays clean.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import signal
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from compact_memory.errors import CompactMemoryError
from compact_memory.parallel_worker import Setup, serve

IN_FLIGHT_PER_JOB = 4
STOP_SECONDS = 5.0  # a worker asked to stop gets this long before it is killed


class WorkerDied(CompactMemoryError):
    """The worker process handling an item exited before it answered."""


@dataclass
class Outcome:
    """What became of one item: its value, or the error that failed it."""

    index: int
    value: Any = None
    error: CompactMemoryError | None = None


def run_ordered(setup: Setup, payload: bytes, items: Iterable[Any], jobs: int,
                died: Callable[[str], CompactMemoryError] | None = None) -> Generator[Outcome, None, None]:
    """Yield ``setup(payload)(item)`` for every item, in order, computed by ``jobs`` worker processes.

    ``setup`` must be a module-level function (it is pickled by reference);
    it runs once in each worker, and a :class:`CompactMemoryError` it raises
    is raised here before any item is done. ``died(reason)`` makes the error
    for an item whose worker died.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    pool = _Pool(setup, payload, jobs, died or _default_died)
    try:
        yield from pool.run(iter(items))
    except BaseException:  # an error, Ctrl-C, or the caller closing the generator early
        pool.close(clean=False)
        raise
    pool.close(clean=True)


def _default_died(reason: str) -> CompactMemoryError:
    return WorkerDied(f"the worker process died: {reason}")


class _Worker:
    def __init__(self, process: Any, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.ready = False
        self.task: int | None = None


class _Crash:
    """An unexpected exception in a worker, raised in the caller when its item's turn comes."""

    def __init__(self, exc: BaseException, remote_traceback: str) -> None:
        self.exc = exc
        self.remote_traceback = remote_traceback

    def reraise(self) -> None:
        raise self.exc from RemoteTraceback(self.remote_traceback)


class RemoteTraceback(Exception):
    """Carries a worker's traceback as the ``__cause__`` of the exception raised in the caller."""

    def __str__(self) -> str:
        return "\n" + str(self.args[0]).rstrip()


class _Pool:
    def __init__(self, setup: Setup, payload: bytes, jobs: int, died: Callable[[str], CompactMemoryError]) -> None:
        self.context = multiprocessing.get_context("spawn")
        self.setup = setup
        self.payload = payload
        self.jobs = jobs
        self.died = died
        self.workers: list[_Worker] = []

    def run(self, items: Iterator[Any]) -> Iterator[Outcome]:
        """Yield the outcomes in order while a thread keeps the workers fed.

        The caller may take its time with each outcome (writing a file,
        fsync and all) without the workers waiting for it: the thread hands
        out items and collects results meanwhile, up to the window.
        """
        window = self.jobs * IN_FLIGHT_PER_JOB
        results: queue.Queue[Any] = queue.Queue(maxsize=window)
        self.stopping = threading.Event()
        driver = threading.Thread(target=self._drive_safely, args=(items, results, window),
                                  name="compact-memory-pool", daemon=True)
        driver.start()
        try:
            while True:
                try:
                    got = results.get(timeout=0.2)
                except queue.Empty:
                    continue
                if got is _END:
                    return
                if isinstance(got, _Crash):
                    got.reraise()
                if isinstance(got, BaseException):
                    raise got
                yield got
        finally:
            self.stopping.set()
            driver.join()

    def _drive_safely(self, items: Iterator[Any], results: queue.Queue[Any], window: int) -> None:
        # SIGINT is for the main thread; workers started from here inherit the block and ignore it.
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self._drive(items, results, window)
        except BaseException as exc:  # handed to the caller's thread, raised there
            self._put(results, exc)

    def _put(self, results: queue.Queue[Any], value: Any) -> bool:
        while not self.stopping.is_set():
            try:
                results.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _drive(self, items: Iterator[Any], results: queue.Queue[Any], window: int) -> None:
        done: dict[int, Outcome | _Crash] = {}
        next_in = next_out = 0
        exhausted = False
        self.workers = [self._start() for _ in range(self.jobs)]
        while not self.stopping.is_set():
            while next_out in done:
                outcome = done.pop(next_out)
                if not self._put(results, outcome) or isinstance(outcome, _Crash):
                    return
                next_out += 1
            for worker in self.workers:
                if exhausted or next_in - next_out >= window:
                    break
                if worker.ready and worker.task is None:
                    item = next(items, _END)
                    if item is _END:
                        exhausted = True
                        break
                    worker.conn.send((next_in, item))
                    worker.task = next_in
                    next_in += 1
            if exhausted and next_out == next_in:
                self._put(results, _END)
                return
            self._wait(done)

    def _wait(self, done: dict[int, Outcome | _Crash]) -> None:
        handles: list[Any] = [w.conn for w in self.workers] + [w.process.sentinel for w in self.workers]
        ready = wait(handles, timeout=0.1)
        for worker in list(self.workers):
            if worker.conn in ready or worker.conn.poll():
                try:
                    message = worker.conn.recv()
                except (EOFError, OSError):
                    self._bury(worker, done)
                    continue
                self._receive(worker, message, done)
            elif worker.process.sentinel in ready:
                self._bury(worker, done)

    def _receive(self, worker: _Worker, message: tuple[Any, ...], done: dict[int, Outcome | _Crash]) -> None:
        kind = message[0]
        if kind == "ready":
            worker.ready = True
        elif kind == "init-error":
            raise message[1]
        elif kind == "init-crash":
            _Crash(message[1], message[2]).reraise()
        else:
            index = message[1]
            worker.task = None
            if kind == "ok":
                done[index] = Outcome(index, value=message[2])
            elif kind == "error":
                done[index] = Outcome(index, error=message[2])
            else:
                done[index] = _Crash(message[2], message[3])

    def _bury(self, worker: _Worker, done: dict[int, Outcome | _Crash]) -> None:
        """A worker is gone: fail its item with the reason, start another in its place."""
        worker.process.join(STOP_SECONDS)
        reason = _exit_reason(worker.process.exitcode)
        worker.conn.close()
        self.workers.remove(worker)
        if not worker.ready:
            raise CompactMemoryError(f"a worker process exited while starting: {reason}",
                                     hint="run with one job (--jobs 1) to see the error")
        if worker.task is not None:
            done[worker.task] = Outcome(worker.task, error=self.died(reason))
        self.workers.append(self._start())

    def _start(self) -> _Worker:
        parent_end, child_end = self.context.Pipe(duplex=True)
        process = self.context.Process(target=serve, args=(child_end, self.setup, self.payload), daemon=True,
                                       name="compact-memory-worker")
        # Started from the pool's thread, which blocks SIGINT: the child starts with it blocked (the
        # mask survives exec) and ignores it before unblocking, so a Ctrl-C prints nothing from it.
        process.start()
        child_end.close()
        return _Worker(process, parent_end)

    def close(self, *, clean: bool) -> None:
        """Stop every worker: politely after a clean run, at once after an error or Ctrl-C."""
        for worker in self.workers:
            with contextlib.suppress(OSError, ValueError):
                if clean:
                    worker.conn.send(None)
                else:
                    worker.process.terminate()
        for worker in self.workers:
            worker.process.join(STOP_SECONDS)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        self.workers = []


_END = object()


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "it stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        killed = f"killed by {name}"
        if -code == getattr(signal, "SIGKILL", None):
            killed += " (the system may have run out of memory, or something killed it)"
        return killed
    return f"it exited with code {code}"
