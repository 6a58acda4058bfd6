"""``compress --dir``: find the files, compress them in order (in parallel with --jobs), write or print each."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from compact_memory.commands.compress_results import CompressFiles, Outcome, result_dict, trace_dict, with_newline
from compact_memory.errors import CompactMemoryError, InputError


def compress_directory(
    directory: Path,
    patterns: Sequence[str],
    recursive: bool,
    output_dir: Path | None,
    output_trace: Path | None,
    compress_files: CompressFiles,
    *,
    as_json: bool,
    force: bool,
) -> int:
    from compact_memory import io
    from compact_memory import output as stdout

    if output_dir is not None and os.path.lexists(output_dir) and not os.path.isdir(output_dir):
        raise CompactMemoryError(f"--output-dir {output_dir} is a file, not a directory")
    found = find_files(directory, patterns, recursive, skip_dir=output_dir,
                       skip_files=[output_trace] if output_trace is not None else [])
    if not found:
        deeper = "" if recursive else ", --recursive to search subdirectories"
        raise InputError(f"{directory}: no files match {', '.join(patterns)}",
                         hint=f"use --pattern to choose other names{deeper}")
    targets = {rel: (output_dir / rel if output_dir is not None else None) for rel in found}
    planned = [p for p in targets.values() if p is not None] + ([output_trace] if output_trace else [])
    io.refuse_clobbering(planned, [directory / rel for rel in found], force)
    outcomes = _compress_tree(directory, found, targets, compress_files, as_json=as_json, force=force,
                              keep=as_json or output_trace is not None)
    if output_trace is not None:
        traces = [{"input": o.label, "trace": trace_dict(o)} for o in outcomes if o.error is None]
        io.atomic_write_text(output_trace, stdout.dumps(traces), overwrite=force)
    if as_json:
        stdout.write_json({"results": [result_dict(o) for o in outcomes]})
    failed = sum(1 for o in outcomes if o.error is not None)
    if failed:
        raise CompactMemoryError(f"{failed} of {len(outcomes)} files could not be compressed; see above")
    return 0


def _compress_tree(
    directory: Path,
    found: list[Path],
    targets: dict[Path, Path | None],
    compress_files: CompressFiles,
    *,
    as_json: bool,
    force: bool,
    keep: bool,
) -> list[Outcome]:
    """Compress, then write or print, each file in order; ``keep`` the texts and traces (else only failures)."""
    from compact_memory import io
    from compact_memory import output as stdout

    progress = io.Progress(len(found), enabled=sys.stderr is not None and sys.stderr.isatty())
    outcomes: list[Outcome] = []
    printed = False
    try:
        with contextlib.closing(compress_files([directory / rel for rel in found])) as results:
            for index, (rel, outcome) in enumerate(zip(found, results, strict=True)):
                progress.show(index, outcome.label)
                if outcome.error is not None:
                    progress.clear()
                    print(f"error: {outcome.error}", file=sys.stderr)
                    outcomes.append(outcome)
                    continue
                target = targets[rel]
                if target is not None:
                    try:
                        _make_dirs(target.parent, len(rel.parts) - 1)
                        io.atomic_write_text(target, outcome.text, overwrite=force)
                    except CompactMemoryError as exc:  # this file's output only; the rest go on
                        progress.clear()
                        print(f"error: {exc}", file=sys.stderr)
                        outcomes.append(Outcome(outcome.label, error=str(exc)))
                        continue
                    outcome.output = target
                elif not as_json:
                    progress.clear()
                    header = ("\n" if printed else "") + f"==> {outcome.label} <==\n"
                    stdout.write_text(header + with_newline(outcome.text))
                    printed = True
                outcomes.append(outcome if keep else Outcome(outcome.label))
        progress.show(len(found), "done")
    finally:
        progress.clear()
    return outcomes


def find_files(
    root: Path,
    patterns: Sequence[str],
    recursive: bool,
    *,
    skip_dir: Path | None = None,
    skip_files: Sequence[Path] = (),
) -> list[Path]:
    """Paths relative to ``root`` of the regular files whose names match, in a stable order.

    ``skip_dir`` (e.g. the output directory) is never entered and ``skip_files``
    never returned, so earlier outputs are not read back in.
    """
    import fnmatch

    hidden_ok = any(p.startswith(".") for p in patterns)
    skipped_dir = skip_dir.resolve() if skip_dir is not None else None
    skipped = {p.resolve() for p in skip_files}
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if recursive:
            dirnames[:] = [d for d in dirnames if not d.startswith(".") and (here / d).resolve() != skipped_dir]
        else:
            dirnames.clear()
        for name in filenames:
            path = here / name
            if name.startswith(".") and not hidden_ok:
                continue
            if not any(fnmatch.fnmatch(name, p) for p in patterns) or not os.path.isfile(path):
                continue
            if path.resolve() not in skipped:
                found.append(path.relative_to(root))
    return sorted(found, key=lambda p: p.parts)


def check_is_dir(path: Path) -> None:
    if not os.path.lexists(path):
        raise InputError(f"{path}: no such directory")
    if not os.path.isdir(path):
        raise InputError(f"{path}: is a file, not a directory", hint="use --file to compress one file")
    try:
        with os.scandir(path):
            pass
    except OSError as exc:
        raise InputError(f"{path}: cannot list the directory: {exc.strerror or exc}") from None


def _make_dirs(path: Path, depth: int) -> None:
    """Create ``path``; none of its last ``depth`` directories (those below --output-dir) may be a link."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CompactMemoryError(f"cannot create directory {path}: {exc.strerror or exc}") from None
    below = path
    for _ in range(depth):
        if os.path.islink(below):
            raise CompactMemoryError(f"{below} is a symbolic link; compact-memory does not write through linked "
                                     "directories", hint="remove the link from the output directory")
        below = below.parent
