"""Names for a new strategy package, by the template's own rules.

The rules live in ``templates/strategy_package/local_extensions.py``:
cookiecutter derives its default answers with them and the template's hook
checks the final answers with them. This module loads that same file, so
``create-strategy-package`` derives and refuses exactly what plain
``cookiecutter`` does, with the same words, before anything is written.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import asdict, dataclass
from types import ModuleType

TEMPLATE = ("templates", "strategy_package")


@functools.cache
def rules() -> ModuleType:
    """The template's ``local_extensions`` module, loaded from the template directory."""
    from compact_memory.resources import data_path

    path = data_path(*TEMPLATE, "local_extensions.py")
    spec = importlib.util.spec_from_file_location("compact_memory_template_rules", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class PackageNames:
    """Every answer the template takes, with the keys of ``cookiecutter.json``."""

    package_name: str
    strategy_id: str
    class_name: str
    display_name: str
    author: str
    description: str
    version: str = "0.1.0"
    overrides_builtin: str = "no"

    @property
    def distribution_name(self) -> str:
        return str(rules().derive_distribution_name(self.package_name))

    def context(self) -> dict[str, str]:
        return asdict(self)


def derive_names(name: str, **given: str | None) -> PackageNames:
    """The answers for package ``name``: those ``given``, the rest derived as cookiecutter derives them."""
    return PackageNames(**rules().derive(name.strip(), **given))


def problems(names: PackageNames) -> list[str]:
    """Every reason these names cannot make a package; empty when they can."""
    return list(rules().problems(names.context()))
