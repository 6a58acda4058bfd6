"""The one way to build a strategy and to call it.

:func:`make_strategy` turns a strategy id, class or instance and raw
parameters into an instance; the CLI, :func:`compact_memory.compress`, the
pipeline, experiments and the testing kit all use it, so a parameter is typed
and refused with the same words everywhere. :func:`call_compress` calls a
strategy's ``compress`` and turns a plugin's misbehaviour into that plugin's
error (with its id and origin), never into "a bug in compact-memory".

Parameter rules:

- A class that declares ``params`` takes exactly those names; a string value
  is converted by the declared type (``"0.5"`` -> 0.5 for a float).
- A class that declares none (strategies written for the original Compact
  Memory) takes what its constructor's signature names; a string value is
  read as a YAML scalar (``10`` -> 10, ``true`` -> True, ``x`` -> "x").
- Other values are passed as they are.
"""

from __future__ import annotations

import contextlib
import difflib
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from compact_memory.compression.strategies_abc import (
    CompressedMemory,
    CompressionStrategy,
    Param,
    TextOrChunks,
)
from compact_memory.compression.trace import CompressionTrace
from compact_memory.errors import CompactMemoryError, PluginError, UsageError
from compact_memory.plugins.guard import HardExit, no_hard_exit

StrategySpec = str | CompressionStrategy | type[CompressionStrategy]


def parse_param_items(items: Sequence[str], option: str = "--param") -> dict[str, str]:
    """``["k=v", ...]`` -> ``{"k": "v"}``; the last of a repeated key wins."""
    values: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"{option} {item!r}: expected KEY=VALUE")
        values[key] = value
    return values


def strategy_class(strategy: StrategySpec) -> type[CompressionStrategy]:
    """The class of an id (resolved like ``--strategy``), a class or an instance."""
    if isinstance(strategy, CompressionStrategy):
        return type(strategy)
    if isinstance(strategy, str):
        from compact_memory.plugins.registry import get_compression_strategy

        return get_compression_strategy(strategy)
    if isinstance(strategy, type) and issubclass(strategy, CompressionStrategy):
        return strategy
    raise UsageError(f"{strategy!r} is not a strategy id, a CompressionStrategy subclass or an instance")


def make_strategy(strategy: StrategySpec, params: Mapping[str, Any] | None = None, *,
                  context: str = "") -> CompressionStrategy:
    """An instance of ``strategy`` built with ``params`` typed by the rules above.

    ``context`` starts every message (``"pipeline: step 2"``,
    ``"experiments/x.yaml"``). An instance is returned as it is and takes no
    params.
    """
    prefix = f"{context}: " if context else ""
    if isinstance(strategy, CompressionStrategy):
        if params:
            raise UsageError(f"{prefix}params cannot be given with a strategy instance",
                             hint="pass the strategy id or class instead")
        return strategy
    cls = strategy_class(strategy)
    typed = typed_params(cls, params or {}, context=context)
    try:
        with contextlib.redirect_stdout(sys.stderr), no_hard_exit():
            return cls(**typed)
    except (CompactMemoryError, KeyboardInterrupt):
        raise
    except TypeError as exc:
        if is_builtin(cls) or _signature_rejects(cls, typed):
            raise UsageError(f"{prefix}strategy {strategy_id(cls)!r} rejected its parameters: {_first_line(exc)}",
                             hint=f"known parameters: {', '.join(accepted_names(cls) or ['none'])}") from None
        raise plugin_failure(cls, "could not be created", exc, context=context) from None
    except (Exception, SystemExit, HardExit) as exc:
        if is_builtin(cls) and isinstance(exc, Exception):
            raise
        raise plugin_failure(cls, "could not be created", exc, context=context) from None


def typed_params(cls: type[CompressionStrategy], raw: Mapping[str, Any], *, context: str = "") -> dict[str, Any]:
    """Constructor arguments for ``cls`` from ``raw``; unknown names and bad values are usage errors."""
    prefix = f"{context}: " if context else ""
    sid = strategy_id(cls)
    declared = declared_params(cls)
    accepted = accepted_names(cls)
    typed: dict[str, Any] = {}
    for key, value in raw.items():
        if accepted is not None and key not in accepted:
            raise UsageError(f"{prefix}unknown parameter {key!r} for strategy {sid!r}",
                             hint=_known_hint(sid, key, accepted))
        param = declared.get(key) if declared is not None else None
        if isinstance(value, str):
            if param is not None and param.type is not str:
                try:
                    value = param.convert(value)
                except (TypeError, ValueError):
                    type_name = getattr(param.type, "__name__", str(param.type))
                    raise UsageError(f"{prefix}parameter {key}={value!r} for strategy {sid!r}: expected "
                                     f"{_a(type_name)} {type_name}") from None
            elif declared is None:
                value = yaml_scalar(value)
                from compact_memory import console

                console.note(f"{prefix}parameter {key} of {sid!r} (not declared) taken as "
                             f"{type(value).__name__} {value!r}")
        typed[key] = value
    return typed


def declared_params(cls: type[CompressionStrategy]) -> dict[str, Param] | None:
    """The declared parameters by name, or None when the class declares no ``params`` of its own."""
    for klass in cls.__mro__:
        if klass is CompressionStrategy:
            return None
        if "params" in vars(klass):
            return {p.name: p for p in getattr(cls, "params", ())}
    return None


def accepted_names(cls: type[CompressionStrategy]) -> list[str] | None:
    """The parameter names ``cls`` accepts, or None when its constructor takes any keyword."""
    declared = declared_params(cls)
    if declared is not None:
        return list(declared)
    import inspect

    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return None
    names = []
    for name, parameter in signature.parameters.items():
        if parameter.kind is parameter.VAR_KEYWORD:
            return None
        if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
            names.append(name)
    return names


def yaml_scalar(text: str) -> Any:
    """``text`` read as a YAML scalar: a number, true/false, null, else the string itself."""
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, (bool, int, float)) or value is None else text


def call_compress(instance: CompressionStrategy, text_or_chunks: TextOrChunks, budget: int,
                  kwargs: Mapping[str, Any], *, context: str = "") -> tuple[CompressedMemory, CompressionTrace]:
    """``instance.compress(text_or_chunks, budget, **kwargs)``, checked.

    What the strategy prints goes to stderr, so machine output on stdout stays
    clean. A plugin that raises, calls ``sys.exit`` or returns the wrong types
    fails with a :class:`PluginError` naming it; a built-in that raises is our
    bug and is left to the error handler.
    """
    cls = type(instance)
    try:
        with contextlib.redirect_stdout(sys.stderr), no_hard_exit():
            result = instance.compress(text_or_chunks, budget, **kwargs)
    except (CompactMemoryError, KeyboardInterrupt):
        raise
    except (Exception, SystemExit, HardExit) as exc:
        if is_builtin(cls) and isinstance(exc, Exception):
            raise
        raise plugin_failure(cls, "failed while compressing", exc, context=context) from None
    return check_result(result, describe(cls), context=context)


def check_result(result: object, who: str, *, context: str = "") -> tuple[CompressedMemory, CompressionTrace]:
    """``result`` of a ``compress`` call, checked to be ``(CompressedMemory, CompressionTrace)``."""
    prefix = f"{context}: " if context else ""
    problem = None
    if not (isinstance(result, tuple) and len(result) == 2):
        problem = f"returned {type(result).__name__}, not (CompressedMemory, CompressionTrace)"
    else:
        memory, trace = result
        if not isinstance(memory, CompressedMemory) or not isinstance(memory.text, str):
            problem = f"returned {type(memory).__name__} instead of CompressedMemory with str text"
        elif not isinstance(trace, CompressionTrace):
            problem = f"returned {type(trace).__name__} instead of CompressionTrace"
    if problem:
        raise PluginError(f"{prefix}{who} {problem}", hint=_plugin_hint(who))
    return result  # type: ignore[return-value]


def strategy_id(cls: type[CompressionStrategy]) -> str:
    sid = getattr(cls, "id", None)
    return sid if isinstance(sid, str) else cls.__qualname__


def is_builtin(cls: type) -> bool:
    return cls.__module__.startswith("compact_memory.")


def describe(cls: type[CompressionStrategy]) -> str:
    """``strategy 'x' (local /path/to/pkg)``: the id and where the class came from."""
    from compact_memory.plugins.loader import origin_of

    return f"strategy {strategy_id(cls)!r} ({origin_of(cls)})"


def plugin_failure(cls: type[CompressionStrategy], what: str, exc: BaseException, *, context: str = "") -> PluginError:
    prefix = f"{context}: " if context else ""
    if isinstance(exc, SystemExit):
        reason = f"called sys.exit({exc.code!r})"
    elif isinstance(exc, HardExit):
        reason = f"called os._exit({exc.code!r})"
    else:
        reason = f"{type(exc).__name__}: {_first_line(exc)}".rstrip(": ")
    who = describe(cls)
    error = PluginError(f"{prefix}{who} {what}: {reason}", hint=_plugin_hint(who))
    error.reason = reason
    return error


def _plugin_hint(who: str) -> str:
    sid = who.split("'")[1] if "'" in who else who
    return (f"this is the plugin's failure, not compact-memory's: report it to its author, or switch it off "
            f"with --disable-plugin {sid}")


def _signature_rejects(cls: type[CompressionStrategy], typed: Mapping[str, Any]) -> bool:
    """Whether the constructor's signature itself refuses these keywords (not something inside it)."""
    import inspect

    try:
        inspect.signature(cls).bind(**typed)
    except TypeError:
        return True
    except ValueError:
        return False
    return False


def _known_hint(sid: str, key: str, accepted: list[str]) -> str:
    if not accepted:
        return f"{sid!r} takes no parameters"
    close = difflib.get_close_matches(key, accepted, n=1)
    known = f"known parameters: {', '.join(sorted(accepted))}"
    return f"did you mean {close[0]!r}? {known}" if close else known


def _a(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""
