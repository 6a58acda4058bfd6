"""Kept from the original Compact Memory: ``NoCompression``, which truncates to the budget (alias ``none``)."""

from compact_memory.compat import NoCompression

__all__ = ["NoCompression"]
