"""``compact-memory compress``: compress text, a file or a directory to a token budget."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

from compact_memory.commands import add_command
from compact_memory.commands.compress_results import (
    CompressOne,
    Outcome,
    print_stats,
    result_dict,
    stats,
    trace_dict,
    with_newline,
)
from compact_memory.errors import InputError, UsageError

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
    parser = add_command(
        commands, "compress", parents, summary,
        description="Compress text, a file or every matching file of a directory to at most --budget tokens.",
        epilog=EPILOG, raw=True,
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
        from compact_memory.commands.compress_dir import check_is_dir

        check_is_dir(directory)
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
        outcome = Outcome(label, text=memory.text, trace=trace, stats=stats(strategy, budget, trace))
        if verbose_stats:
            print_stats(outcome)
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
                    outcome = Outcome(str(path), text=memory.text, trace=trace, stats=stats(strategy, budget, trace))
                    if verbose_stats:
                        print_stats(outcome)
                    yield outcome

    if directory is None:
        return _compress_single(text, file, codec, output_file, output_trace, compress_one, as_json=as_json,
                                force=force)
    from compact_memory.commands.compress_dir import compress_directory

    return compress_directory(directory, patterns or [DEFAULT_PATTERN], recursive, output_dir, output_trace,
                               compress_files, as_json=as_json, force=force)


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
        stdout.write_text(with_newline(outcome.text))
    if output_trace is not None:
        io.atomic_write_text(output_trace, stdout.dumps(trace_dict(outcome)), overwrite=force)
    if as_json:
        stdout.write_json(result_dict(outcome))
    return 0


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


def _checked_argument(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(
            f"--text: not valid text: undecodable byte at character {exc.start}",
            hint="pass the bytes on standard input with --text - and --encoding NAME",
        ) from None
    return text


