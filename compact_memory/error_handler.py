"""The one place that turns exceptions into messages and exit codes.

0 success, 1 findings or a failed operation, 2 usage error, 130 interrupted.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from compact_memory.errors import CompactMemoryError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143


class Terminated(BaseException):
    """SIGTERM arrived: raised where the program is, so every ``finally`` cleans up on the way out."""


def terminate_on_sigterm() -> None:
    try:  # the C module under `signal`: importing `signal` itself builds its enums, 1.4 ms of every command
        import _signal as signal  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - an interpreter without it
        import signal

    def raise_terminated(signum: int, frame: object) -> None:
        raise Terminated

    try:
        signal.signal(signal.SIGTERM, raise_terminated)
    except ValueError:  # not the main thread (an embedding application): leave its handler alone
        pass


class Exit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


@contextmanager
def error_handler(debug: Callable[[], bool]) -> Iterator[None]:
    try:
        yield
    except CompactMemoryError as exc:
        if debug():
            import traceback

            traceback.print_exc()
        from compact_memory.diagnostics.render import printable

        print(f"error: {printable(str(exc), newlines=False)}", file=sys.stderr)
        raise Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise Exit(EXIT_INTERRUPTED) from None
    except Terminated:
        print("terminated", file=sys.stderr)
        raise Exit(EXIT_TERMINATED) from None
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); nothing more to say.
        sys.stderr.close()
        raise Exit(EXIT_FAILED) from None
    except Exception as exc:
        if debug():
            import traceback

            traceback.print_exc()
        else:
            print(
                f"error: unexpected {type(exc).__name__}: {exc} "
                "(this is a bug in compact-memory; rerun with --debug for the traceback and please report it)",
                file=sys.stderr,
            )
        raise Exit(EXIT_FAILED) from None
