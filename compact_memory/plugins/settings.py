"""Where plugins are looked for and which are switched off, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from compact_memory.plugins import DISABLE_ENV, ENTRY_POINT_GROUP, PATH_ENV

__all__ = ["DISABLE_ENV", "ENTRY_POINT_GROUP", "PATH_ENV", "PluginSettings", "user_plugin_dir"]
_ALL = {"1", "all", "*", "true", "yes"}


class PluginSettings:
    def __init__(
        self,
        plugin_paths: tuple[Path, ...],
        user_dir: Path | None,
        disable_all: bool = False,
        disabled_ids: frozenset[str] = frozenset(),
    ) -> None:
        self.plugin_paths = plugin_paths
        self.user_dir = user_dir
        self.disable_all = disable_all
        self.disabled_ids = disabled_ids

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PluginSettings):
            return NotImplemented
        return vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((self.plugin_paths, self.user_dir, self.disable_all, self.disabled_ids))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PluginSettings:
        env = os.environ if environ is None else environ
        paths = tuple(Path(p).expanduser() for p in env.get(PATH_ENV, "").split(os.pathsep) if p.strip())
        disable = [item.strip() for item in env.get(DISABLE_ENV, "").split(",") if item.strip()]
        disable_all = any(item.lower() in _ALL for item in disable)
        return cls(
            plugin_paths=paths,
            user_dir=user_plugin_dir(),
            disable_all=disable_all,
            disabled_ids=frozenset(disable),
        )

    def is_disabled(self, strategy_id: str) -> bool:
        return self.disable_all or strategy_id in self.disabled_ids


def user_plugin_dir() -> Path:
    from compact_memory.dirs import user_data

    return user_data("plugins")
