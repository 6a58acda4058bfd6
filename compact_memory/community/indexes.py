"""The indexes in effect, in precedence order, and looking an id up in them.

Earlier wins: every ``--index`` (a file or an http(s) URL) in the order
given, then the URLs of ``COMPACT_MEMORY_INDEX_URL`` in order, then the index
shipped with compact-memory. A URL is read through the cache of
:mod:`.remote`; when neither a fresh nor a cached copy can be had it is left
out with a note (the shipped index is always there).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from compact_memory.community.index import Entry, Index, load_index, shipped_index_path
from compact_memory.errors import CompactMemoryError


def indexes_in_effect(options: Sequence[str], *, refresh: bool = False) -> list[Index]:
    """Every index to consult, best first; notes about stand-in copies go to stderr."""
    from compact_memory.community.remote import fetch_index, index_urls, is_url

    loaded: list[Index] = []
    sources = [(value, value) for value in options] + [(url, None) for url in index_urls()]
    for value, option in sources:
        if not is_url(value):
            loaded.append(load_index(Path(value), option=option))
            continue
        fetched = fetch_index(value, refresh=refresh)
        if fetched.note:
            from compact_memory.diagnostics.render import printable

            print(printable(fetched.note, newlines=False), file=sys.stderr)
        if fetched.path is not None:
            loaded.append(load_index(fetched.path, display=value, option=option))
    loaded.append(load_index(shipped_index_path()))
    return loaded


def merge(indexes: Sequence[Index]) -> list[Entry]:
    """All entries; an id listed in several indexes comes from the earliest."""
    by_id: dict[str, Entry] = {}
    for index in indexes:
        for entry in index.entries:
            by_id.setdefault(entry.id, entry)
    return sorted(by_id.values(), key=lambda e: e.id)


def find(strategy_id: str, indexes: Sequence[Index]) -> Entry:
    """The entry for ``strategy_id``; an unknown id names the closest ones of all indexes."""
    import difflib

    entries = {entry.id: entry for entry in merge(indexes)}
    if strategy_id in entries:
        return entries[strategy_id]
    close = difflib.get_close_matches(strategy_id, list(entries), n=3, cutoff=0.6)
    broken = [index.display for index in indexes if not index.passed]
    where = f"{len(indexes)} index{'es' if len(indexes) != 1 else ''}"
    hint = (f"did you mean {' or '.join(close)}?" if close
            else "compact-memory dev search lists what the indexes hold")
    if broken:
        hint += f"; {', '.join(broken)} had errors, listed above"
    raise CompactMemoryError(f"no strategy {strategy_id!r} in the {where} in effect", hint=hint)
