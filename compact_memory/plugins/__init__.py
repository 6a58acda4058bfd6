"""Plugin discovery, precedence and loading (see docs/plugins.md).

The names below are the public switches.
"""

ENTRY_POINT_GROUP = "compact_memory.strategies"
PATH_ENV = "COMPACT_MEMORY_PLUGINS_PATH"
DISABLE_ENV = "COMPACT_MEMORY_DISABLE_PLUGINS"
