"""The community index and the installation of directory strategy packages.

:mod:`.index` reads and checks ``community/strategies.yaml`` (findings with
file:line:col), :mod:`.render` turns it into ``docs/community_strategies.md``,
:mod:`.search` matches entries and tells which are installed, and
:mod:`.install` copies a validated package into a plugin directory and takes
it out again. ``python -m compact_memory.community`` checks index files and
regenerates the page.

Nothing here is imported by ``import compact_memory`` or ``compress``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compact_memory.community.index import Entry, Index, load_index, shipped_index_path
    from compact_memory.community.render import render_markdown

__all__ = ["Entry", "Index", "load_index", "render_markdown", "shipped_index_path"]


def __getattr__(name: str) -> Any:
    if name in ("Entry", "Index", "load_index", "shipped_index_path"):
        from compact_memory.community import index

        return getattr(index, name)
    if name == "render_markdown":
        from compact_memory.community.render import render_markdown

        return render_markdown
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
