"""Import compact_memory_section_digest from this source tree, whatever the directory is called.

The repository root is the package (see README.md, "Layout"), so the tests
load it from here rather than from site-packages.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "compact_memory_section_digest"


def _load_from_source() -> None:
    spec = importlib.util.spec_from_file_location(
        PACKAGE, ROOT / "__init__.py", submodule_search_locations=[str(ROOT)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    spec.loader.exec_module(module)


_loaded = sys.modules.get(PACKAGE)
if _loaded is None or Path(getattr(_loaded, "__file__", "") or "").resolve().parent != ROOT:
    _load_from_source()
