"""Where compact-memory keeps its own files: platformdirs' user directories for the app ``compact_memory``.

``user_data("plugins")`` is the user plugin directory
(``~/.local/share/compact_memory/plugins`` on Linux); the caches (validator
class checks, manifests read for listing, fetched indexes) live under
``user_cache(...)``. platformdirs is imported only when a path is asked for.
"""

from __future__ import annotations

from pathlib import Path

APP = "compact_memory"


def user_data(*parts: str) -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP)).joinpath(*parts)


def user_cache(*parts: str) -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP)).joinpath(*parts)
