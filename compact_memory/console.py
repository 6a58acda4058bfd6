"""Messages for people go to stderr; stdout is kept for results."""

from __future__ import annotations

import sys

_state = {"verbose": 0}
_warned: set[str] = set()


def set_verbosity(level: int) -> None:
    _state["verbose"] = level


def verbose() -> int:
    return _state["verbose"]


def note(message: str) -> None:
    """Shown with -v only."""
    if _state["verbose"]:
        print(f"note: {_printable(message)}", file=sys.stderr)


def warn(message: str, *, once: bool = True) -> None:
    if once:
        if message in _warned:
            return
        _warned.add(message)
    print(f"warning: {_printable(message)}", file=sys.stderr)


def _printable(message: str) -> str:
    # Messages may quote what a package wrote (names, paths): never let it drive the terminal.
    from compact_memory.diagnostics.render import printable

    return printable(message, newlines=False)
