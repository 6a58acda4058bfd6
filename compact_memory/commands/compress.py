"""``compact-memory compress``: compress text, a file or a directory to a token budget."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from compact_memory.errors import UsageError


def _budget(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of tokens, got {raw!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "compress",
        parents=parents,
        help="compress text to a token budget",
        description="Compress text to at most --budget tokens with a built-in or plugin strategy.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", metavar="TEXT", help="the text to compress; '-' reads standard input")
    source.add_argument("--file", metavar="PATH", help="a UTF-8 text file to compress")
    parser.add_argument("--budget", type=_budget, required=True, help="maximum tokens in the output (>= 0)")
    parser.add_argument("--strategy", default="extractive", help="strategy id (default: extractive); see dev list-strategies")
    parser.add_argument("--tokenizer", default=None, help="words (default), cl100k_base, o200k_base or a tokenizer.json path")
    parser.add_argument("--query", default=None, help="prefer content relevant to this question")
    parser.add_argument(
        "--param", action="append", default=[], metavar="KEY=VALUE", help="a strategy parameter; repeatable"
    )
    parser.add_argument("--json", action="store_true", help="print text, trace and stats as one JSON document")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from compact_memory.runtime import compress

    if args.text is not None:
        text = sys.stdin.read() if args.text == "-" else args.text
    else:
        from pathlib import Path

        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except OSError as exc:
            from compact_memory.errors import InputError

            raise InputError(f"{args.file}: cannot read: {exc.strerror}") from None
    params = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--param {item!r}: expected KEY=VALUE")
        params[key] = value
    memory, trace = compress(text, args.budget, args.strategy, tokenizer=args.tokenizer, query=args.query, params=params)
    if args.json:
        sys.stdout.write(json.dumps({"text": memory.text, "trace": trace.to_dict()}, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(memory.text + ("\n" if memory.text and not memory.text.endswith("\n") else ""))
    return 0
