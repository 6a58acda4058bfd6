"""What several benchmarks share: real text available offline, and timing."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable


def pydoc_text(size: int | None = None) -> str:
    """Python's pydoc topics (shipped with the standard library), repeated or cut to ``size`` characters."""
    from pydoc_data.topics import topics

    unit = "\n\n".join(topics[key] for key in sorted(topics))
    if size is None:
        return unit
    return (unit * (size // len(unit) + 1))[:size]


def seconds(call: Callable[[], object]) -> float:
    """Wall time of one call, after a garbage collection."""
    gc.collect()
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def median_seconds(call: Callable[[], object], repeat: int) -> float:
    return statistics.median(seconds(call) for _ in range(repeat))
