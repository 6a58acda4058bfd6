"""Import the one strategy that is actually used, and turn any failure into one line."""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import sys
import types
from pathlib import Path
from typing import Any

from compact_memory.compression.strategies_abc import CompressionStrategy
from compact_memory.errors import PluginError
from compact_memory.package import VALIDATE_HINT, StrategyPackage, locate_module
from compact_memory.plugins.candidates import ENTRY_POINT, LOCAL, Candidate
from compact_memory.plugins.guard import HardExit, no_hard_exit

_NAMESPACE = "compact_memory_plugins"
_ORIGINS: dict[type, str] = {}  # class -> where it was loaded from, for messages about it


def origin_of(cls: type) -> str:
    """Where ``cls`` came from: ``local /path``, ``entry point dist==1.0``, or its module."""
    return _ORIGINS.get(cls) or f"{cls.__module__}.{cls.__qualname__}"


def load_package(pkg: StrategyPackage) -> type[CompressionStrategy]:
    """The class of a strategy package directory, imported under a private name, installed or not."""
    candidate = Candidate(id=pkg.strategy_id or "?", source=LOCAL, origin=str(pkg.root), order=0,
                          display_name=pkg.display_name, version=pkg.version, module=pkg.module,
                          attr=pkg.class_name, path=pkg.root, package=pkg)
    problem = pkg.problem()
    if problem:
        candidate.error = f"{problem}; {VALIDATE_HINT.format(path=pkg.root)}"
    return load_candidate(candidate)


def load_candidate(candidate: Candidate) -> type[CompressionStrategy]:
    """The strategy class of ``candidate``; raises :class:`PluginError` with one line."""
    if candidate.obj is not None:
        return candidate.obj  # type: ignore[no-any-return]
    if candidate.error:
        raise PluginError(f"strategy {candidate.id!r} ({candidate.describe()}) is broken: {candidate.error}")
    if candidate.source == LOCAL:
        assert candidate.path is not None and candidate.module is not None
        module_name = _local_module_name(candidate.path, candidate.module)
    else:
        assert candidate.module is not None
        module_name = candidate.module
    module = _guarded_import(candidate, module_name)
    obj: Any = module
    for part in (candidate.attr or "").split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise _failure(candidate, f"{module_name.split('.')[-1]} defines no {candidate.attr!r}")
    if not (isinstance(obj, type) and issubclass(obj, CompressionStrategy)):
        raise _failure(candidate, f"{candidate.attr} is not a CompressionStrategy subclass")
    class_id = getattr(obj, "id", None)
    if class_id != (candidate.alias_of or candidate.id):
        where = "entry point name" if candidate.source == ENTRY_POINT else "strategy_id"
        raise _failure(candidate, f"class id {class_id!r} does not match the {where} {candidate.id!r}")
    candidate.obj = obj
    _ORIGINS.setdefault(obj, candidate.describe())
    return obj


COMPAT_DOCS = "docs/plugins.md, 'Coming from the original Compact Memory'"


def _failure(candidate: Candidate, reason: str, hint: str | None = None) -> PluginError:
    if hint is None:
        hint = VALIDATE_HINT.format(path=candidate.path) if candidate.path else None
    if hint is None and candidate.source == ENTRY_POINT:
        dist = candidate.origin.split("==")[0]
        hint = f"reinstall or upgrade {dist}, or disable it with --disable-plugin {candidate.id}"
    return PluginError(f"strategy {candidate.id!r} ({candidate.describe()}) failed to load: {reason}", hint=hint)


def _guarded_import(candidate: Candidate, module_name: str) -> types.ModuleType:
    # Plugin output at import time must not corrupt machine output on stdout.
    try:
        with contextlib.redirect_stdout(sys.stderr), no_hard_exit():
            return importlib.import_module(module_name)
    except KeyboardInterrupt:
        raise
    except (SystemExit, HardExit) as exc:
        how = "sys.exit" if isinstance(exc, SystemExit) else "os._exit"
        raise _failure(candidate, f"called {how}({exc.code!r}) while being imported") from None
    except SyntaxError as exc:
        where = f"{Path(exc.filename).name}:{exc.lineno}" if exc.filename else f"line {exc.lineno}"
        raise _failure(candidate, f"syntax error at {where}: {exc.msg}") from None
    except BaseException as exc:
        message = str(exc).splitlines()[0] if str(exc) else ""
        hint = None
        missing = getattr(exc, "name", None) if isinstance(exc, ImportError) else None
        if isinstance(missing, str) and missing.split(".")[0] == "compact_memory":
            hint = (f"the plugin imports {missing}, which this compact-memory does not have: it belongs to the "
                    f"original Compact Memory and was not carried over (see {COMPAT_DOCS})")
        raise _failure(candidate, f"{type(exc).__name__}: {message}".rstrip(": "), hint) from None


def _local_module_name(package: Path, module: str) -> str:
    """Import a local package under a private name so same-named modules never collide."""
    root = package.resolve()
    file, problem = locate_module(root, module)
    if file is None:
        raise PluginError(f"{package}: {problem}", hint=VALIDATE_HINT.format(path=package))
    if _NAMESPACE not in sys.modules:
        namespace = types.ModuleType(_NAMESPACE)
        namespace.__path__ = []
        sys.modules[_NAMESPACE] = namespace
    digest = hashlib.sha1(str(root).encode()).hexdigest()[:12]
    package_name = f"{_NAMESPACE}.p{digest}"
    if package_name not in sys.modules:
        pkg = types.ModuleType(package_name)
        pkg.__path__ = [str(root)]
        pkg.__file__ = None
        sys.modules[package_name] = pkg
    return f"{package_name}.{module}"
