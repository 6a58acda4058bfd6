"""``python -m compact_memory.community``: check index files, regenerate docs/community_strategies.md.

    python -m compact_memory.community --check [INDEX ...]
    python -m compact_memory.community --write docs/community_strategies.md [--index INDEX]

``--check`` prints ``file:line:col: error CODE message (hint: ...)`` for
every problem (``--format github`` for workflow annotations) and exits 1 when
there is one. ``--write`` rewrites the page only when it changed. Without
INDEX both use the index shipped with compact-memory (the checkout's
``community/strategies.yaml`` in an editable install).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m compact_memory.community", description=__doc__.split("\n")[0],
                                     epilog="Exit codes: 0 success, 1 errors found, 2 usage error.")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true", help="check index files against the schema")
    action.add_argument("--write", metavar="PAGE", help="write the Markdown page generated from the index")
    parser.add_argument("--format", choices=("text", "github"), default="text", dest="fmt",
                        help="how --check prints findings")
    parser.add_argument("--index", metavar="INDEX", help="the index --write renders")
    parser.add_argument("files", nargs="*", metavar="INDEX", help="index files for --check")
    args = parser.parse_args(argv)
    try:
        if args.check:
            if args.index:
                parser.error("--check takes the index files as arguments, not with --index")
            return check([Path(f) for f in args.files], fmt=args.fmt)
        if args.files:
            parser.error("--write takes the index with --index")
        return write(Path(args.write), Path(args.index) if args.index else None)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def check(paths: list[Path], *, fmt: str = "text") -> int:
    from compact_memory import output
    from compact_memory.community.index import load_index, shipped_index_path
    from compact_memory.diagnostics.render import github_line, text_line

    indexes = [load_index(p) for p in (paths or [shipped_index_path()])]
    line = github_line if fmt == "github" else text_line
    text = "".join(line(finding) + "\n" for index in indexes for finding in index.findings)
    errors = sum(index.errors for index in indexes)
    entries = sum(len(index.entries) for index in indexes)
    verdict = "passed" if errors == 0 else f"failed: {errors} error{'s' if errors != 1 else ''}"
    count = len(indexes)
    output.write_text(text + f"{count} index file{'s' if count != 1 else ''} checked ({entries} valid entries), "
                      f"{verdict}\n")
    return 0 if errors == 0 else 1


def write(page: Path, index_path: Path | None) -> int:
    from compact_memory.community.index import load_index, shipped_index_path
    from compact_memory.community.render import render_markdown
    from compact_memory.diagnostics.render import text_line
    from compact_memory.errors import CompactMemoryError
    from compact_memory.io import atomic_write_text

    index = load_index(index_path or shipped_index_path())
    if not index.passed:
        for finding in index.findings:
            print(text_line(finding), file=sys.stderr)
        print(f"error: {index.display} has errors; {page} was not written", file=sys.stderr)
        return 1
    text = render_markdown(index)
    try:
        current = page.read_text(encoding="utf-8") if page.exists() else None
    except OSError as exc:
        print(f"error: cannot read {page}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if current == text:
        print(f"{page} is up to date", file=sys.stderr)
        return 0
    try:
        atomic_write_text(page, text, overwrite=True)
    except CompactMemoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {page}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
