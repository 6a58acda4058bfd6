"""The error raised when an adapter's framework is not installed."""

from __future__ import annotations


def missing_framework(module: str, requirement: str, extra: str) -> ImportError:
    """An ImportError that says which extra installs ``requirement``."""
    return ImportError(
        f"{module} needs {requirement}, which is not installed (hint: pip install 'compact-memory[{extra}]')"
    )
