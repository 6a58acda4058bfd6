"""The public strategy API.

>>> from compact_memory.compression import get_compression_strategy
>>> memory, trace = get_compression_strategy("truncate")().compress("some text", 2)
>>> memory.text
'some text'
"""

from __future__ import annotations

from typing import Any

from compact_memory.compression.strategies_abc import (
    CompressedMemory,
    CompressionStrategy,
    Param,
)
from compact_memory.compression.trace import CompressionTrace

_LAZY = {
    "available_strategies": "compact_memory.plugins.registry",
    "get_compression_strategy": "compact_memory.plugins.registry",
    "register_compression_strategy": "compact_memory.plugins.registry",
    "unregister_compression_strategy": "compact_memory.plugins.registry",
    "get_strategy_metadata": "compact_memory.plugins.registry",
    "all_strategy_metadata": "compact_memory.plugins.registry",
    "compress": "compact_memory.runtime",
}

__all__ = ["CompressedMemory", "CompressionStrategy", "CompressionTrace", "Param", *_LAZY]


def __getattr__(name: str) -> Any:
    # Resolved on first use: the registry imports this package's types.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'compact_memory.compression' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
