"""The section_digest compression strategy for compact-memory."""

from __future__ import annotations

from .strategy import SectionDigestStrategy

__all__ = ["SectionDigestStrategy"]
__version__ = "0.1.0"
