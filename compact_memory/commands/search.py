"""``compact-memory dev search [QUERY]``: find shared strategies in the community index, offline."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from compact_memory.commands import add_command

if TYPE_CHECKING:
    from compact_memory.community.index import Index
    from compact_memory.community.search import Hit

DESCRIPTION = (
    "Search the community strategy indexes for entries whose id, name, description, tags or authors "
    "contain every word of QUERY. The indexes, earlier first: each --index (a file or an http(s) URL), "
    "the URLs in COMPACT_MEMORY_INDEX_URL, then the index shipped with this compact-memory; an id listed "
    "in several comes from the earliest. URLs are fetched at most hourly (or with --refresh) into the "
    "user cache; offline, the cached copy is used, with a note saying how old it is. Each result says "
    "whether the strategy is installed and active here, which version, and whether the index lists a "
    "newer one. No plugin code runs. See docs/community_strategies.md."
)


def add_parser(commands: Any, parents: list[argparse.ArgumentParser], summary: str) -> None:
    parser = add_command(
        commands, "search", parents, summary, description=DESCRIPTION,
        epilog="Exit codes: 0 success, 1 an index has errors, 2 usage error, 130 interrupted.",
    )
    parser.add_argument("query", nargs="*", metavar="QUERY", help="words to look for (all must match); none lists all")
    parser.add_argument("--index", action="append", default=[], metavar="FILE_OR_URL", dest="indexes",
                        help="also search this index (repeatable; earlier wins, and all win over the shipped index)")
    parser.add_argument("--refresh", action="store_true", help="fetch index URLs again instead of using the cache")
    parser.add_argument("--json", action="store_true", help="print a JSON document (see docs/community_strategies.md)")
    parser.set_defaults(handler=lambda a: run(" ".join(a.query), indexes=a.indexes, as_json=a.json,
                                              refresh=a.refresh))


def run(query: str, *, indexes: list[str], as_json: bool, refresh: bool = False) -> int:
    from compact_memory.community import search
    from compact_memory.community.indexes import indexes_in_effect, merge
    from compact_memory.plugins.registry import resolve_candidates

    loaded = indexes_in_effect(indexes, refresh=refresh)
    findings = [f for index in loaded for f in index.findings]
    hits = search.match(merge(loaded), query)
    groups, _ = resolve_candidates()
    search.attach_installed(hits, groups)
    if findings:
        from compact_memory.diagnostics.render import text_line

        for finding in findings:
            print(text_line(finding), file=sys.stderr)
    if as_json:
        _write_json(query, loaded, hits)
    else:
        _write_text(query, loaded, hits)
    return 1 if any(not index.passed for index in loaded) else 0


def _write_json(query: str, loaded: list[Index], hits: list[Hit]) -> None:
    from compact_memory import output

    output.write_json({
        "query": query,
        "indexes": [{"path": str(index.path), "name": index.display, "shipped": i == len(loaded) - 1,
                     "entries": len(index.entries), "errors": index.errors} for i, index in enumerate(loaded)],
        "results": [hit.to_json() for hit in hits],
        "findings": [f.to_json() for index in loaded for f in index.findings],
    })


def _write_text(query: str, loaded: list[Index], hits: list[Hit]) -> None:
    from compact_memory import output
    from compact_memory.diagnostics.render import printable

    lines = []
    for hit in hits:
        e = hit.entry
        lines.append(f"{e.id}  {e.display_name}  {e.version}")
        lines.append(f"    {e.description}")
        if e.tags:
            lines.append(f"    tags: {', '.join(e.tags)}")
        lines.append(f"    source: {e.source_text()}")
        lines.append(f"    status: {hit.status_text()}")
        lines += [f"    install: {command}" for command in e.install_commands()]
    output.write_text("".join(printable(line, newlines=False) + "\n" for line in lines))
    entries = sum(len(index.entries) for index in loaded)
    what = f"matching {query!r}" if query.strip() else "listed"
    count = len(hits)
    print(f"{count} strateg{'y' if count == 1 else 'ies'} {what} ({entries} in {len(loaded)} "
          f"index{'es' if len(loaded) != 1 else ''})", file=sys.stderr)
