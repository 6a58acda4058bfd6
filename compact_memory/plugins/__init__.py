"""Plugin discovery, precedence and loading (see docs/plugins.md).

The names below are the public switches and the shape of a strategy id.
"""

import re

ENTRY_POINT_GROUP = "compact_memory.strategies"
PATH_ENV = "COMPACT_MEMORY_PLUGINS_PATH"
DISABLE_ENV = "COMPACT_MEMORY_DISABLE_PLUGINS"
# A strategy id: lowercase letters, digits and _, starting with a letter, at most 64 characters.
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
