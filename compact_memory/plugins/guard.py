"""Plugin code that tries to end the process is reported as the plugin's failure instead."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class HardExit(BaseException):
    """A strategy called ``os._exit`` while compressing."""

    def __init__(self, code: object) -> None:
        super().__init__(code)
        self.code = code


@contextlib.contextmanager
def no_hard_exit() -> Iterator[None]:
    """While a strategy runs, ``os._exit(n)`` raises :class:`HardExit` instead of ending the process silently.

    Best effort: a plugin that kills its own process another way (a signal,
    ``os.abort``, a crash in an extension) still ends it; see docs/plugins.md.
    """
    import os

    real = os._exit

    def refuse(code: int) -> None:
        raise HardExit(code)

    os._exit = refuse  # type: ignore[assignment]
    try:
        yield
    finally:
        os._exit = real
