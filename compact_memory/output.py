"""Everything a command prints on stdout goes through here.

- JSON documents: :func:`write_json` puts ``format_version`` first, makes the
  data plain JSON (a plugin's trace may hold NaN, tuple keys, sets, cycles or
  objects; they become null, string keys, lists, ``"<cycle>"`` and their
  ``repr``) and writes UTF-8 whatever the locale or ``PYTHONIOENCODING`` says:
  JSON is UTF-8 by definition (RFC 8259), so non-ASCII text is kept as is,
  not escaped, and never raises an encoding error.
- Text for people: :func:`write_text` writes UTF-8 to a pipe or file; to a
  terminal it uses the terminal's encoding and replaces what it cannot show.
- Every write is checked: a full disk, a file-size limit or a closed stdout
  is one clear error (exit 1), never a silent short file. A reader that went
  away (``| head``) ends the command quietly.
"""

from __future__ import annotations

import os
import sys

from compact_memory.errors import CompactMemoryError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_INVISIBLE = "[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
# Bumped only when a field of a document changes meaning or disappears; adding fields keeps it.
FORMAT_VERSION = 1
MAX_DEPTH = 200


class OutputError(CompactMemoryError):
    """Standard output could not take what we wrote."""


def write_json(document: dict[str, Any]) -> None:
    """``document`` as one JSON document on stdout, ``format_version`` first."""
    write_bytes(dumps({"format_version": FORMAT_VERSION, **document}).encode("utf-8"))


def dumps(data: Any) -> str:
    """Indented JSON text of ``data`` made plain (see the module docstring), with a final newline.

    A file name that is not valid UTF-8 (from os.listdir) holds lone surrogates: they are written as
    ``\\udcXX`` escapes, which keep the document valid and read back as the same string.
    """
    import json  # not at module level: --version and plain text need no JSON
    import re

    text = json.dumps(plain(data), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    # Characters that reorder or hide text on a terminal (bidi overrides, zero-width, C1 controls) are
    # written as \uXXXX escapes: the document reads back the same, and a terminal shows it as it is.
    text = re.sub(_INVISIBLE, lambda m: f"\\u{ord(m.group()):04x}", text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def write_version() -> None:
    """``compact-memory --version``."""
    from compact_memory import __version__

    write_text(f"compact-memory {__version__}\n")


def write_text(text: str) -> None:
    """Text for people on stdout: UTF-8 to pipes and files, the terminal's encoding on a terminal."""
    out = _stdout()
    if _isatty(out):
        encoding = getattr(out, "encoding", None) or "utf-8"
        write_bytes(text.encode(encoding, errors="replace"))
    else:
        write_bytes(text.encode("utf-8", errors="surrogateescape"))


def write_bytes(data: bytes) -> None:
    """All of ``data`` on stdout, or :class:`OutputError`."""
    out = _stdout()
    try:
        fd = out.fileno()
    except (AttributeError, ValueError, OSError):  # replaced by an in-memory stream (tests, notebooks)
        out.write(data.decode("utf-8", errors="replace"))
        out.flush()
        return
    out.flush()
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except InterruptedError:
            continue
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(f"cannot write to standard output: {exc.strerror or exc}",
                              hint="check the free space and file-size limits where the output goes") from None
        if written <= 0:
            raise OutputError("cannot write to standard output: nothing was written")
        view = view[written:]


def _stdout() -> Any:
    out = sys.stdout
    if out is None:
        raise OutputError("standard output is closed", hint="run the command with its output going somewhere")
    return out


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def plain(value: Any, _seen: frozenset[int] = frozenset(), _depth: int = 0) -> Any:
    """``value`` as data JSON can hold exactly; see the module docstring for what is converted."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if value - value == 0.0 else None  # not NaN or infinite (inf - inf is NaN)
    if _depth > MAX_DEPTH:
        return "<nested too deeply>"
    if id(value) in _seen:
        return "<cycle>"
    seen = _seen | {id(value)}
    if isinstance(value, dict):
        return {_key(k): plain(v, seen, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [plain(v, seen, _depth + 1) for v in items]
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict) and type(value).__module__.startswith("compact_memory."):
        return plain(to_dict(), seen, _depth + 1)
    return repr(value)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if not isinstance(key, (int, float, bool)):
        return repr(key)
    import json

    return json.dumps(key)
