"""``compact-memory compress``: compress text, a file or a directory to a token budget."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compact_memory.commands import RawDescriptionFormatter
from compact_memory.errors import CompactMemoryError, InputError, UsageError

if TYPE_CHECKING:
    from compact_memory.compression.trace import CompressionTrace

DEFAULT_PATTERN = "*.txt"

EPILOG = """\
input: exactly one of --text, --file or --dir. Files and standard input are
  read as UTF-8 (a byte order mark is dropped) unless --encoding says
  otherwise; binary files are refused. Outputs are always UTF-8.

output: the text goes to stdout (with a final newline added if missing), or
  exactly as produced to -o FILE. With --dir, results go to stdout, each after
  a '==> path <==' line, unless --output-dir DIR is given: then each input
  DIR/a/b.txt is written to OUTDIR/a/b.txt. The input walk never enters
  --output-dir and never reads --output-trace, so earlier outputs are not
  compressed again. Hidden files (names starting with '.') are skipped unless
  the --pattern itself starts with '.'; hidden directories such as .git are
  never entered, nor are symbolic links to directories.

safety: every file is written to a temporary file next to it, synced, then
  moved into place, so a failure never leaves a half-written file. Existing
  outputs are refused unless --force; an input file is never overwritten,
  even with --force.

--json prints {"format_version", "input", "output", "text", "stats", "trace"}
  ({"format_version", "results": [...]} with --dir; a file that failed has
  "error" instead of text, stats and trace). --output-trace writes the trace object (with --dir, a list of
  {"input", "trace"}). With --dir, a file that cannot be read or compressed is
  reported and skipped, the rest are compressed, and the exit code is 1.

--jobs N (with --dir): compress on N worker processes (0: one per available
  core). Outputs, messages and their order are the same as with one job; at
  most a few files per worker are in flight; a worker that dies fails only
  the file it was compressing. Plugins are found in the workers exactly as
  here (same plugin paths and switches). See docs/scaling.md.

exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted.
"""


def _budget(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of tokens, got {raw!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _jobs(raw: str) -> int:
    from compact_memory.batch import parse_jobs

    try:
        parse_jobs(raw, option="")
    except UsageError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None
    return int(raw)


def add_parser(commands: Any, parents: list[argparse.ArgumentParser], summary: str) -> None:
    parser = commands.add_parser(
        "compress",
        parents=parents,
        help=summary,
        description="Compress text, a file or every matching file of a directory to at most --budget tokens.",
        epilog=EPILOG,
        formatter_class=RawDescriptionFormatter,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", metavar="TEXT", help="the text to compress; '-' reads standard input")
    source.add_argument("--file", metavar="PATH", type=Path, help="a text file to compress")
    source.add_argument("--dir", metavar="DIR", type=Path, help="compress every file in DIR matching --pattern")
    parser.add_argument("--pattern", "-p", action="append", metavar="GLOB",
                        help=f"with --dir: file names to compress (default {DEFAULT_PATTERN}); repeatable")
    parser.add_argument("--recursive", "-r", action="store_true", help="with --dir: descend into subdirectories")
    parser.add_argument("--encoding", metavar="NAME",
                        help="encoding of --file, --dir files and standard input (default utf-8)")
    parser.add_argument("--budget", type=_budget, required=True, help="maximum tokens in the output (>= 0)")
    parser.add_argument("--strategy", "-s", default="extractive",
                        help="strategy id (default: extractive); see `compact-memory dev list-strategies`")
    parser.add_argument("--tokenizer", default=None,
                        help="words (default), cl100k_base, o200k_base or a tokenizer.json path")
    parser.add_argument("--query", default=None, help="prefer content relevant to this question")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="a strategy parameter, typed as the strategy declares it; repeatable, last wins")
    parser.add_argument("-j", "--jobs", type=_jobs, default=1, metavar="N",
                        help="with --dir: compress on N processes (default 1; 0: one per available core)")
    output = parser.add_argument_group("output")
    output.add_argument("-o", "--output", metavar="FILE",
                        help="write the compressed text to FILE ('-' is stdout); not with --dir")
    output.add_argument("--output-dir", metavar="OUTDIR", type=Path,
                        help="with --dir: write each result to OUTDIR, mirroring the input tree (created if missing)")
    output.add_argument("--output-trace", metavar="FILE", type=Path, help="write the compression trace as JSON to FILE")
    output.add_argument("--json", action="store_true",
                        help="print input, output, text, stats and trace as one JSON document on stdout")
    output.add_argument("--force", action="store_true", help="replace existing output files (atomically)")
    output.add_argument("--verbose-stats", action="store_true",
                        help="print input and output token counts and the compression ratio on stderr")
    parser.set_defaults(handler=run)


@dataclass
class Outcome:
    """What happened to one input."""

    label: str
    output: Path | None = None
    text: str = ""
    trace: CompressionTrace | None = None
    error: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)


def run(args: argparse.Namespace) -> int:
    return compress_command(
        text=args.text, file=args.file, directory=args.dir, patterns=args.pattern, recursive=args.recursive,
        encoding=args.encoding, budget=args.budget, strategy=args.strategy, tokenizer=args.tokenizer,
        query=args.query, raw_params=args.param, output=args.output, output_dir=args.output_dir,
        output_trace=args.output_trace, as_json=args.json, force=args.force, verbose_stats=args.verbose_stats,
        jobs=args.jobs,
    )


def compress_command(
    *,
    text: str | None = None,
    file: Path | None = None,
    directory: Path | None = None,
    patterns: Sequence[str] | None = None,
    recursive: bool = False,
    encoding: str | None = None,
    budget: int,
    strategy: str = "extractive",
    tokenizer: str | None = None,
    query: str | None = None,
    raw_params: Sequence[str] = (),
    output: str | None = None,
    output_dir: Path | None = None,
    output_trace: Path | None = None,
    as_json: bool = False,
    force: bool = False,
    verbose_stats: bool = False,
    jobs: int = 1,
) -> int:
    from compact_memory import io
    from compact_memory.factory import make_strategy, parse_param_items
    from compact_memory.tokenizers import get_tokenizer

    _check_combinations(text, directory, patterns, recursive, encoding, output, output_dir, output_trace)
    codec = io.check_encoding(encoding or io.DEFAULT_ENCODING)
    output_file = None if output in (None, "-") else Path(output)
    if file is not None:
        _check_is_file(file)
    if directory is not None:
        _check_is_dir(directory)
    elif jobs != 1:
        raise UsageError("--jobs needs --dir", hint="one text or file is compressed by one process")
    params = parse_param_items(raw_params)
    instance = make_strategy(strategy, params)
    tok = get_tokenizer(tokenizer)

    def compress_one(label: str, content: str) -> Outcome:
        from compact_memory.runtime import compress

        # Only --json and --output-trace report the input's token count, which
        # costs a pass over the whole input.
        memory, trace = compress(content, budget, instance, tokenizer=tok, query=query,
                                 count_input=as_json or verbose_stats or output_trace is not None)
        outcome = Outcome(label, text=memory.text, trace=trace, stats=_stats(strategy, budget, trace))
        if verbose_stats:
            _print_stats(outcome)
        return outcome

    def compress_files(paths: list[Path]) -> Generator[Outcome, None, None]:
        from compact_memory.batch import TextFile, compress_many

        # One job reuses the instance built above; workers build their own from the class and params.
        results = compress_many([TextFile(p, codec) for p in paths], budget, instance if jobs == 1 else type(instance),
                                tokenizer=tok if jobs == 1 else tokenizer, query=query,
                                params=None if jobs == 1 else params, jobs=jobs, errors="return",
                                count_input=as_json or verbose_stats or output_trace is not None)
        with contextlib.closing(results):
            for path, result in zip(paths, results, strict=True):
                if result.error is not None:
                    yield Outcome(str(path), error=str(result.error))
                else:
                    memory, trace = result.unwrap()
                    outcome = Outcome(str(path), text=memory.text, trace=trace, stats=_stats(strategy, budget, trace))
                    if verbose_stats:
                        _print_stats(outcome)
                    yield outcome

    if directory is None:
        return _compress_single(text, file, codec, output_file, output_trace, compress_one, as_json=as_json,
                                force=force)
    return _compress_directory(directory, patterns or [DEFAULT_PATTERN], recursive, output_dir, output_trace,
                               compress_files, as_json=as_json, force=force)


CompressOne = Callable[[str, str], Outcome]
CompressFiles = Callable[[list[Path]], Generator[Outcome, None, None]]


def _compress_single(
    text: str | None,
    file: Path | None,
    codec: str,
    output_file: Path | None,
    output_trace: Path | None,
    compress_one: CompressOne,
    *,
    as_json: bool,
    force: bool,
) -> int:
    from compact_memory import io
    from compact_memory import output as stdout

    io.refuse_clobbering([p for p in (output_file, output_trace) if p is not None], [file] if file else [], force)
    if file is not None:
        outcome = compress_one(str(file), io.read_text_file(file, codec))
    elif text == "-":
        outcome = compress_one("<stdin>", io.read_stdin(codec))
    else:
        outcome = compress_one("<text>", _checked_argument(text or ""))
    if output_file is not None:
        io.atomic_write_text(output_file, outcome.text, overwrite=force)
        outcome.output = output_file
    elif not as_json:
        stdout.write_text(_with_newline(outcome.text))
    if output_trace is not None:
        io.atomic_write_text(output_trace, stdout.dumps(_trace_dict(outcome)), overwrite=force)
    if as_json:
        stdout.write_json(_result_dict(outcome))
    return 0


def _compress_directory(
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
        traces = [{"input": o.label, "trace": _trace_dict(o)} for o in outcomes if o.error is None]
        io.atomic_write_text(output_trace, stdout.dumps(traces), overwrite=force)
    if as_json:
        stdout.write_json({"results": [_result_dict(o) for o in outcomes]})
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
                    stdout.write_text(header + _with_newline(outcome.text))
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


def _check_combinations(
    text: str | None,
    directory: Path | None,
    patterns: Sequence[str] | None,
    recursive: bool,
    encoding: str | None,
    output: str | None,
    output_dir: Path | None,
    output_trace: Path | None,
) -> None:
    if directory is None:
        for given, name in ((patterns, "--pattern"), (recursive, "--recursive"), (output_dir, "--output-dir")):
            if given:
                raise UsageError(f"{name} needs --dir")
    elif output is not None:
        raise UsageError("-o/--output writes one file; with --dir use --output-dir")
    if encoding is not None and text is not None and text != "-":
        raise UsageError("--encoding applies to files and standard input, not to --text TEXT",
                         hint="pipe the bytes in with --text - --encoding NAME")
    if output_trace is not None and str(output_trace) == "-":
        raise UsageError("--output-trace needs a file name", hint="use --json to get the trace on stdout")
    if output_dir is not None and directory is not None and output_dir.resolve() == directory.resolve():
        raise UsageError("--output-dir is the input directory; the results would overwrite the inputs",
                         hint="choose another --output-dir")


def _check_is_file(path: Path) -> None:
    # os.path (not Path) checks: a directory we may not search answers False instead of raising.
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, not a file", hint="use --dir to compress the files in a directory")
    if not os.path.lexists(path):
        raise InputError(f"{path}: no such file")


def _check_is_dir(path: Path) -> None:
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


def _checked_argument(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(
            f"--text: not valid text: undecodable byte at character {exc.start}",
            hint="pass the bytes on standard input with --text - and --encoding NAME",
        ) from None
    return text


def _with_newline(text: str) -> str:
    return text + "\n" if text and not text.endswith("\n") else text


def _stats(strategy: str, budget: int, trace: CompressionTrace) -> dict[str, Any]:
    in_tokens = trace.input_summary.get("tokens")
    out_tokens = trace.output_summary.get("tokens")
    return {
        "strategy": strategy,
        "tokenizer": trace.tokenizer,
        "budget": budget,
        "input_tokens": in_tokens,
        "output_tokens": out_tokens,
        "input_chars": trace.input_summary.get("chars"),
        "output_chars": trace.output_summary.get("chars"),
        "compression_ratio": round(out_tokens / in_tokens, 4) if in_tokens and out_tokens is not None else None,
        "processing_ms": trace.processing_ms,
    }


def _print_stats(outcome: Outcome) -> None:
    s = outcome.stats
    ratio = f", ratio {s['compression_ratio']}" if s["compression_ratio"] is not None else ""
    print(f"{outcome.label}: {s['input_tokens']} -> {s['output_tokens']} tokens{ratio} (budget {s['budget']}, "
          f"{s['strategy']}, {s['tokenizer']}, {s['processing_ms']} ms)", file=sys.stderr)


def _trace_dict(outcome: Outcome) -> dict[str, Any]:
    assert outcome.trace is not None
    return outcome.trace.to_dict()


def _result_dict(outcome: Outcome) -> dict[str, Any]:
    result: dict[str, Any] = {"input": outcome.label, "output": str(outcome.output) if outcome.output else None}
    if outcome.error is not None:
        result["error"] = outcome.error
    else:
        result.update(text=outcome.text, stats=outcome.stats, trace=_trace_dict(outcome))
    return result
