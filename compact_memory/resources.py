"""Locate the data directories (schemas/, templates/) in a wheel or a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_path(*parts: str) -> Path:
    """``schemas/...`` or ``templates/...``: inside the wheel, else in the checkout.

    A wheel carries them under ``compact_memory/_data/`` (hatchling
    force-include); an editable install or a source checkout has them at the
    repository root, next to the package.
    """
    for root in (_PACKAGE / "_data", _PACKAGE.parent):
        candidate = root.joinpath(*parts)
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"compact-memory data file not found: {'/'.join(parts)} (broken install?)")


def schema_path(name: str = "strategy_package") -> Path:
    return data_path("schemas", f"{name}.schema.json")
