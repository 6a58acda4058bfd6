"""The class checks read the syntax tree: aliases, local bases, compatibility paths, no code run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from validate_helpers import write_package

from compact_memory.validation import cache
from compact_memory.validation.package import validate

COMPRESS = (
    "    def compress(self, text_or_chunks, llm_token_budget, **kwargs):\n"
    "        raise NotImplementedError\n"
)


def codes_for(tmp_path: Path, module: str, files: dict[str, str] | None = None,
              strategy_module: str = "strategy") -> list[str]:
    pkg = write_package(tmp_path / "pkg", module=module)
    for name, text in (files or {}).items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(text)
    if strategy_module != "strategy":
        manifest = pkg / "strategy_package.yaml"
        manifest.write_text(manifest.read_text().replace("strategy_module: strategy",
                                                         f"strategy_module: {strategy_module}"))
    report = validate([str(pkg)], cwd=tmp_path)
    return [f.code for f in report.all_findings()]


@pytest.mark.parametrize("header", [
    "from compact_memory.compression import CompressionStrategy\n",
    "from compact_memory.compression.strategies_abc import CompressionStrategy\n",
    "from compact_memory import CompressionStrategy\n",
    "from compact_memory.compression import CompressionStrategy as Base\nCompressionStrategy = Base\n",
    "import compact_memory.compression.strategies_abc as abc\nCompressionStrategy = abc.CompressionStrategy\n",
    "from compact_memory import compression\nCompressionStrategy = compression.CompressionStrategy\n",
    "try:\n    from compact_memory.compression import CompressionStrategy\n"
    "except ImportError:\n    CompressionStrategy = object\n",
    "from typing import Generic, TypeVar\nfrom compact_memory.compression import CompressionStrategy as _B\n"
    "CompressionStrategy = _B\n",
], ids=["public", "compat", "top-level", "alias", "module-alias", "attribute", "try-except", "private-alias"])
def test_accepted_ways_to_derive(tmp_path: Path, header: str) -> None:
    module = header + '\n\nclass Demo(CompressionStrategy):\n    id = "demo"\n\n' + COMPRESS
    assert codes_for(tmp_path, module) == []


def test_base_class_in_another_module_of_the_package(tmp_path: Path) -> None:
    base = ("from compact_memory.compression import CompressionStrategy\n\n\n"
            "class Base(CompressionStrategy):\n" + COMPRESS)
    module = 'from .lib.base import Base\n\n\nclass Demo(Base):\n    id = "demo"\n'
    assert codes_for(tmp_path, module, {"lib/__init__.py": "", "lib/base.py": base}) == []


def test_class_reexported_from_a_subpackage(tmp_path: Path) -> None:
    impl = ("from compact_memory.compression import CompressionStrategy\n\n\n"
            'class Demo(CompressionStrategy):\n    id = "demo"\n\n' + COMPRESS)
    files = {"impl/__init__.py": "from .core import Demo\n", "impl/core.py": impl}
    assert codes_for(tmp_path, "", files, strategy_module="impl") == []


def test_id_and_compress_inherited_from_a_local_base(tmp_path: Path) -> None:
    module = ("from compact_memory.compression import CompressionStrategy\n\n\n"
              'class Base(CompressionStrategy):\n    id = "demo"\n\n' + COMPRESS +
              "\n\nclass Demo(Base):\n    pass\n")
    assert codes_for(tmp_path, module) == []


def test_mixin_from_elsewhere_is_a_warning(tmp_path: Path) -> None:
    module = ("from compact_memory.compression import CompressionStrategy\nfrom somewhere import Mixin\n\n\n"
              'class Demo(Mixin, CompressionStrategy):\n    id = "demo"\n')
    # It derives for sure; whether Mixin brings compress is unknown, so no CM408.
    assert codes_for(tmp_path, module) == []


def test_star_import_cannot_be_followed(tmp_path: Path) -> None:
    assert codes_for(tmp_path, "from somewhere import *\n") == ["CM404"]


def test_class_name_bound_to_a_function(tmp_path: Path) -> None:
    assert codes_for(tmp_path, "def Demo():\n    pass\n") == ["CM402"]


def test_class_is_the_base_itself(tmp_path: Path) -> None:
    assert codes_for(tmp_path, "from compact_memory.compression import CompressionStrategy as Demo\n") == ["CM403"]


def test_relative_import_above_the_package(tmp_path: Path) -> None:
    assert codes_for(tmp_path, "from ..outside import Demo\n") == ["CM404"]


def test_base_cycle_does_not_loop(tmp_path: Path) -> None:
    module = "class A(B):\n    pass\n\n\nclass B(A):\n    pass\n\n\nDemo = A\n"
    assert codes_for(tmp_path, module) == ["CM404"]


def test_non_utf8_module(tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg")
    (pkg / "strategy.py").write_bytes(b"x = '\xff'\n")
    report = validate([str(pkg)], cwd=tmp_path)
    assert [f.code for f in report.all_findings()] == ["CM401"]


GOOD_CLASS = ("from compact_memory.compression import CompressionStrategy\n\n\n"
              'class Demo(CompressionStrategy):\n    id = "demo"\n\n' + COMPRESS)


@pytest.mark.parametrize(("module", "words"), [
    ("import os\nfrom __future__ import annotations\n" + GOOD_CLASS, "from __future__ imports must occur"),
    ("return 1\n" + GOOD_CLASS, "'return' outside function"),
    ("def f(a, a):\n    pass\n" + GOOD_CLASS, "duplicate argument"),
    ("nonlocal x\n" + GOOD_CLASS, "nonlocal declaration not allowed at module level"),
    ("await something()\n" + GOOD_CLASS, "'await' outside function"),
], ids=["late-future", "return", "duplicate-arg", "nonlocal", "await"])
def test_every_compile_time_error_is_found_without_running_code(tmp_path: Path, module: str, words: str) -> None:
    """What ast.parse accepts but the compiler refuses, the fast hook reports (the import would fail)."""
    pkg = write_package(tmp_path / "pkg", module=module)
    findings = validate([str(pkg)], cwd=tmp_path).all_findings()
    assert [f.code for f in findings] == ["CM401"]
    assert words in findings[0].message and findings[0].line is not None


def test_nothing_is_executed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    module = (f"open({str(marker)!r}, 'w').close()\n"
              "from compact_memory.compression import CompressionStrategy\n\n\n"
              'class Demo(CompressionStrategy):\n    id = "demo"\n\n' + COMPRESS)
    assert codes_for(tmp_path, module) == []
    assert not marker.exists()


# --- the cache of class checks ----------------------------------------------------------------


def run_codes(pkg: Path) -> list[str]:
    return [f.code for f in validate([str(pkg)], cwd=pkg.parent).all_findings()]


def test_cache_is_used_and_invalidated_by_any_module_read(tmp_path: Path) -> None:
    base = ("from compact_memory.compression import CompressionStrategy\n\n\n"
            "class Base(CompressionStrategy):\n" + COMPRESS)
    pkg = write_package(tmp_path / "pkg", module='from .base import Base\n\n\nclass Demo(Base):\n    id = "demo"\n')
    (pkg / "base.py").write_text(base)
    assert run_codes(pkg) == []
    from platformdirs import user_cache_dir

    cached = Path(user_cache_dir("compact_memory")).glob(f"validate/v{cache.FORMAT}/*.json")
    assert list(cached), "the result was cached"
    # A change in a module that was only imported invalidates the entry.
    (pkg / "base.py").write_text(base.replace("class Base(CompressionStrategy)", "class Base(object)"))
    assert run_codes(pkg) == ["CM403"]
    # So does a module appearing where none was.
    (pkg / "base.py").unlink()
    assert run_codes(pkg) == ["CM404"]
    (pkg / "base.py").write_text(base)
    assert run_codes(pkg) == []


def test_cached_findings_follow_the_manifest_layout(tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg", module="class Other:\n    pass\n")
    first = validate([str(pkg)], cwd=tmp_path).all_findings()
    manifest = pkg / "strategy_package.yaml"
    manifest.write_text("# a comment moves every line down\n" + manifest.read_text())
    second = validate([str(pkg)], cwd=tmp_path).all_findings()
    assert [(f.code, f.line) for f in first] == [("CM402", 3)]
    assert [(f.code, f.line) for f in second] == [("CM402", 4)]


def test_no_cache_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from platformdirs import user_cache_dir

    monkeypatch.setenv("COMPACT_MEMORY_NO_CACHE", "1")
    pkg = write_package(tmp_path / "pkg")
    assert run_codes(pkg) == []
    assert not (Path(user_cache_dir("compact_memory")) / "validate").exists()


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_a_cache_entry_others_may_write_is_ignored(tmp_path: Path) -> None:
    from platformdirs import user_cache_dir

    pkg = write_package(tmp_path / "pkg", module="class Other:\n    pass\n")
    assert run_codes(pkg) == ["CM402"]
    (entry,) = Path(user_cache_dir("compact_memory")).glob(f"validate/v{cache.FORMAT}/*.json")
    forged = json.loads(entry.read_text(encoding="utf-8"))
    forged["findings"] = []  # what someone else would write to hide the problem
    entry.write_text(json.dumps(forged), encoding="utf-8")
    entry.chmod(0o666)
    assert run_codes(pkg) == ["CM402"]
    entry.chmod(0o600)
    entry.write_text(json.dumps(forged), encoding="utf-8")
    assert run_codes(pkg) == []  # ours: used as it is (the control that shows the entry was read)
