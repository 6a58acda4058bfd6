"""Reading text inputs strictly and writing outputs without ever losing data.

Inputs are decoded from bytes so errors can name the byte offset; outputs are
written to a temporary file in the target directory, synced, then moved into
place, so a failure never leaves a half-written file or harms an existing one.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path

from compact_memory.errors import CompactMemoryError, InputError, UsageError

DEFAULT_ENCODING = "utf-8"


def file_kind(mode: int) -> str:
    """What a file is, for messages: "a directory", "a named pipe (FIFO)", ..."""
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "not a regular file"


def read_regular_file(path: str | os.PathLike[str], limit: int, *, private: bool = False) -> bytes:
    """The bytes of the regular file at ``path``; anything else is refused before it is read.

    The file is opened without blocking, so a named pipe cannot make us wait,
    and checked to be a regular file (a FIFO, a device such as /dev/zero, a
    socket or a directory raise ``OSError(EINVAL)``). More than ``limit``
    bytes raise ``OSError(EFBIG)``, also when the file grows while it is read.
    ``private`` (our caches) also refuses, with ``OSError(EPERM)``, a file
    another user owns or that group or others may write.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        mode = st.st_mode
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, f"{file_kind(mode)}, not a regular file", os.fspath(path))
        if private and hasattr(os, "getuid") and (st.st_uid != os.getuid() or mode & (stat.S_IWGRP | stat.S_IWOTH)):
            raise OSError(errno.EPERM, "not a private file of this user", os.fspath(path))
        chunks = []
        size = 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size) or 1)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise OSError(errno.EFBIG, f"larger than {limit:,} bytes", os.fspath(path))
        return b"".join(chunks)
    finally:
        os.close(fd)


def check_encoding(name: str) -> str:
    """The codec's canonical name; an unknown encoding is a usage error."""
    try:
        "a".encode(name)  # also refuses codecs that are not text encodings, such as hex
        return codecs.lookup(name).name
    except LookupError:
        raise UsageError(f"unknown text encoding {name!r}", hint="try utf-8, utf-16, latin-1 or cp1252") from None


def decode(raw: bytes, encoding: str, source: str) -> str:
    """Decode ``raw`` strictly; ``source`` names the input in error messages.

    A UTF-8 byte order mark is dropped. Text containing NUL characters is
    refused as binary.
    """
    codec = check_encoding(encoding)
    skipped = 0
    if codec == "utf-8" and raw.startswith(codecs.BOM_UTF8):
        skipped = len(codecs.BOM_UTF8)
    try:
        text = raw[skipped:].decode(codec)
    except UnicodeDecodeError as exc:
        if b"\0" in raw:
            raise _binary(source, raw.index(b"\0")) from None
        offset = skipped + exc.start
        line = raw.count(b"\n", 0, offset) + 1
        raise InputError(
            f"{source}: not valid {codec}: byte 0x{raw[offset]:02x} at offset {offset} (line {line})",
            hint="pass --encoding with the file's encoding, e.g. --encoding latin-1",
        ) from None
    except (UnicodeError, ValueError) as exc:  # codecs such as punycode raise their own errors
        raise InputError(f"{source}: not valid {codec}: {str(exc).splitlines()[0] if str(exc) else exc}",
                         hint="pass --encoding with the file's encoding, e.g. --encoding utf-8") from None
    if "\0" in text:
        raise _binary(source, raw.index(b"\0") if b"\0" in raw else text.index("\0"))
    return text


def _binary(source: str, offset: int) -> InputError:
    return InputError(
        f"{source}: looks like a binary file (NUL byte at offset {offset}); only text can be compressed",
        hint="if it is UTF-16 or UTF-32 text, pass --encoding utf-16 or --encoding utf-32",
    )


# Inputs are read whole; past this a file is refused rather than exhausting memory.
MAX_INPUT_BYTES = 1 << 30


def read_text_file(path: Path, encoding: str = DEFAULT_ENCODING) -> str:
    """The decoded contents of a regular file, or one clear :class:`InputError`.

    A named pipe, a device such as /dev/zero or a directory is refused before
    anything is read, so nothing can make the read block or run forever.
    """
    try:
        raw = read_regular_file(path, MAX_INPUT_BYTES)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        if exc.errno == errno.EINVAL and os.path.isdir(path):
            raise InputError(f"{path}: is a directory, not a file",
                             hint="use --dir to compress the files in a directory") from None
        if exc.errno == errno.EFBIG:
            raise InputError(f"{path}: {exc.strerror}", hint="split the input into smaller files") from None
        if exc.errno == errno.EINVAL:
            raise InputError(f"{path}: is {exc.strerror}", hint="give a regular text file") from None
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return decode(raw, encoding, str(path))


def read_stdin(encoding: str = DEFAULT_ENCODING) -> str:
    stream = sys.stdin
    if stream is None:
        raise InputError("standard input is closed")
    if stream.isatty():
        print("reading standard input; end it with Ctrl-D (Ctrl-Z Enter on Windows)", file=sys.stderr)
    return decode(stream.buffer.read(), encoding, "<stdin>")


def atomic_write_text(path: Path, text: str, *, overwrite: bool = False) -> None:
    """Write ``text`` as UTF-8 to ``path`` all at once, or not at all; see :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"), overwrite=overwrite)


def atomic_write_bytes(path: Path, data: bytes, *, overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` all at once, or not at all.

    Without ``overwrite`` an existing ``path`` is never touched (checked again
    at the moment of the move, so a file created meanwhile survives too).
    """
    directory = path.parent
    if not directory.is_dir():
        raise CompactMemoryError(f"cannot write {path}: directory {directory} does not exist")
    import tempfile

    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise CompactMemoryError(f"cannot write {path}: {exc.strerror or exc}") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _set_mode(tmp, path)
        _move_into_place(tmp, path, overwrite=overwrite)
    except OSError as exc:
        raise CompactMemoryError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    _sync_directory(directory)


def replace_file(path: Path, data: bytes) -> None:
    """Put ``data`` at ``path`` with one rename (a reader sees the old file or the new one); for caches.

    The directory is made if needed; no fsync (a cache lost in a crash is only
    rebuilt). Raises ``OSError``; the temporary file never stays behind.
    """
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def refuse_clobbering(outputs: Sequence[Path], inputs: Sequence[Path], force: bool) -> None:
    """Fail before any work if an output would replace an input, a directory or (without --force) a file."""
    seen: dict[Path, Path] = {}
    for out in outputs:
        resolved = out.resolve()
        if resolved in seen:
            raise UsageError(f"{seen[resolved]} and {out} are the same output file")
        seen[resolved] = out
    input_files = {p.resolve() for p in inputs}
    input_ids = {ident for ident in map(_file_id, inputs) if ident is not None}
    for out in outputs:
        if out.resolve() in input_files or _file_id(out) in input_ids:
            raise CompactMemoryError(f"{out} is an input file; refusing to overwrite it",
                                     hint="write the output somewhere else")
        refuse_special(out)
    existing = [out for out in outputs if os.path.lexists(out)]
    if existing and not force:
        more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
        names = ", ".join(str(p) for p in existing[:3]) + more
        many = len(existing) > 1
        raise CompactMemoryError(
            f"{names} already exist{'' if many else 's'}",
            hint=f"pass --force to replace {'them' if many else 'it'}",
        )


def refuse_special(path: Path) -> None:
    """Refuse, even with --force, to replace what is not a regular file: a link, a pipe, a device, a directory.

    Replacing would turn a FIFO or a device node into a plain file, or cut a
    symbolic link off from what it points to.
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CompactMemoryError(f"cannot write {path}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(mode):
        raise CompactMemoryError(f"{path} is a symbolic link; compact-memory replaces only regular files",
                                 hint="write to the file it points to, or to another name")
    if not stat.S_ISREG(mode):
        raise CompactMemoryError(f"{path} is {file_kind(mode)}; compact-memory writes only regular files",
                                 hint="write to another name (use -o - or no -o for standard output)")


def _file_id(path: Path) -> tuple[int, int] | None:
    """Device and inode, so hard links and symlinks to an input are recognised too."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if st.st_ino else None


class Progress:
    """A one-line ``[i/n] file`` counter on stderr, redrawn with carriage returns."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self.width = 0

    def show(self, index: int, label: str) -> None:
        if not self.enabled:
            return
        import shutil

        columns = shutil.get_terminal_size((80, 24)).columns
        line = f"[{index}/{self.total}] {label}"[: max(columns - 1, 10)]
        sys.stderr.write("\r" + line.ljust(self.width))
        sys.stderr.flush()
        self.width = len(line)

    def clear(self) -> None:
        if self.enabled and self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()
            self.width = 0


def _set_mode(tmp: Path, path: Path) -> None:
    # mkstemp creates 0600; give the file the mode a plain open() would, or keep the replaced file's.
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)


def _move_into_place(tmp: Path, path: Path, *, overwrite: bool) -> None:
    if overwrite:
        refuse_special(path)  # again at the last moment: it may have been swapped since the first check
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails if path exists: no window in which it could be clobbered
    except FileExistsError:
        raise CompactMemoryError(f"{path} already exists", hint="pass --force to replace it") from None
    except OSError:
        # No hard links here (some network or FAT file systems): check, then move.
        if path.exists() or path.is_symlink():
            raise CompactMemoryError(f"{path} already exists", hint="pass --force to replace it") from None
        os.replace(tmp, path)


def _sync_directory(directory: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
