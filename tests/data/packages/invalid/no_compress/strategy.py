"""A corpus strategy."""

from __future__ import annotations

from typing import Any

from compact_memory.compression import CompressedMemory, CompressionStrategy, CompressionTrace
from compact_memory.compression.strategies_abc import TextOrChunks
from compact_memory.tokenizers import get_tokenizer, head


class EchoStrategy(CompressionStrategy):
    """Keeps the head of the text."""

    id = "echo"
