"""compact-memory: budget-exact text compression with shareable strategies.

Importing this package is cheap: the public names below are loaded on first
use, so ``import compact_memory`` pulls in neither plugins nor heavy
dependencies.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs a few ms at startup; only the type checker needs it
if TYPE_CHECKING:
    from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "CompressionStrategy": "compact_memory.compression",
    "CompressedMemory": "compact_memory.compression",
    "CompressionTrace": "compact_memory.compression",
    "get_compression_strategy": "compact_memory.compression",
    "available_strategies": "compact_memory.compression",
    "register_compression_strategy": "compact_memory.compression",
    "compress": "compact_memory.compression",
    "compress_many": "compact_memory.batch",
    "get_tokenizer": "compact_memory.tokenizers",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'compact_memory' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
