"""The worker side of :mod:`compact_memory.parallel`: set up once, then answer one item at a time.

A worker ignores SIGINT (the parent decides), sends what it would print on
stdout to stderr, and replies ``("ok", index, value)``, ``("error", index,
CompactMemoryError)`` or ``("crash", index, exception, traceback text)``; a
value that cannot be pickled becomes an error reply, and a lost parent ends
the worker quietly.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from compact_memory.errors import CompactMemoryError

Handler = Callable[[Any], Any]
Setup = Callable[[bytes], Handler]



def serve(conn: Connection, setup: Setup, payload: bytes) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    with contextlib.suppress(OSError, ValueError, AttributeError):
        # Nothing a worker runs can reach the parent's stdout, which may carry machine output.
        os.dup2(sys.stderr.fileno(), 1)
    sys.stdout = sys.stderr
    try:
        handler = setup(payload)
    except CompactMemoryError as exc:
        _send(conn, ("init-error", exc))
        return
    except BaseException as exc:
        _send(conn, ("init-crash", *_crash(exc)))
        return
    _send(conn, ("ready",))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        index, item = message
        try:
            reply: tuple[Any, ...] = ("ok", index, handler(item))
        except CompactMemoryError as exc:
            reply = ("error", index, exc)
        except BaseException as exc:
            reply = ("crash", index, *_crash(exc))
        del message, item
        _send(conn, reply, index)


def _send(conn: Connection, reply: tuple[Any, ...], index: int | None = None) -> None:
    try:
        conn.send(reply)
    except (EOFError, BrokenPipeError):
        raise SystemExit(0) from None  # the parent is gone
    except Exception as exc:
        # The value (or error) cannot be pickled, e.g. a plugin put a lock in its trace.
        problem = CompactMemoryError(f"the result could not be sent back from the worker process: "
                                     f"{type(exc).__name__}: {exc}")
        conn.send(("error", index, problem) if index is not None else ("init-error", problem))


def _crash(exc: BaseException) -> tuple[BaseException, str]:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        import pickle

        pickle.loads(pickle.dumps(exc))
    except Exception:
        exc = RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc, text
