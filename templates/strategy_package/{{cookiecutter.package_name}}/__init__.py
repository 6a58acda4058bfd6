"""The {{ cookiecutter.strategy_id }} compression strategy for compact-memory."""

from __future__ import annotations

from .strategy import {{ cookiecutter.class_name }}

__all__ = ["{{ cookiecutter.class_name }}"]
__version__ = "{{ cookiecutter.version }}"
