"""The shape of strategy ids, class names and module names.

Written once, in ``schemas/strategy_package.schema.json`` (``$defs``); the
other schemas refer to it, and everything in Python reads it from there:
discovery, the loader, registration, the validator, installs, the package
template's naming rules and the testing kit.
"""

from __future__ import annotations

import functools
import json
import re

TYPE_CHECKING = False  # typing costs a few ms at startup; only the type checker needs it
if TYPE_CHECKING:
    from typing import TypeGuard


@functools.cache
def _pattern(name: str) -> re.Pattern[str]:
    from compact_memory.resources import schema_path

    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    return re.compile(schema["$defs"][name]["pattern"])


def id_pattern() -> re.Pattern[str]:
    """The strategy id pattern: lowercase letters, digits and _, starting with a letter, at most 64 characters."""
    return _pattern("strategy_id")


def class_name_pattern() -> re.Pattern[str]:
    return _pattern("class_name")


def module_name_pattern() -> re.Pattern[str]:
    return _pattern("module_name")


def is_strategy_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and id_pattern().match(value) is not None


ID_RULE = "lowercase letters, digits and _, starting with a letter, at most 64 characters"
