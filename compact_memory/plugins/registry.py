"""Precedence: which candidate is active for each id, and why the others are not."""

from __future__ import annotations

import difflib
from collections import defaultdict

from compact_memory import console
from compact_memory.errors import StrategyNotFoundError, UsageError
from compact_memory.names import ID_RULE, is_strategy_id
from compact_memory.plugins.candidates import BUILTIN, LOCAL, REGISTERED, Candidate
from compact_memory.plugins.settings import PluginSettings

TYPE_CHECKING = False  # the contract (dataclasses, typing) loads only when a strategy is used
if TYPE_CHECKING:
    from compact_memory.compression.strategies_abc import CompressionStrategy

_REGISTERED: dict[str, tuple[type[CompressionStrategy], bool]] = {}


def register_compression_strategy(cls: type[CompressionStrategy], *, override_builtin: bool = False) -> None:
    """Register a strategy class in this process (for apps and notebooks).

    A registered class wins over plugins; replacing a built-in needs
    ``override_builtin=True``. Registering a second class under one id is an
    error naming both.
    """
    from compact_memory.compression.strategies_abc import CompressionStrategy

    if not (isinstance(cls, type) and issubclass(cls, CompressionStrategy)):
        raise UsageError(f"{cls!r} is not a CompressionStrategy subclass")
    sid = getattr(cls, "id", None)
    if not is_strategy_id(sid):
        raise UsageError(f"{cls.__qualname__}.id must be a strategy id ({ID_RULE}), got {sid!r}")
    existing = _REGISTERED.get(sid)
    if existing is not None and existing[0] is not cls:
        old = existing[0]
        raise UsageError(
            f"strategy id {sid!r} is already registered by {old.__module__}.{old.__qualname__}; "
            f"cannot also register {cls.__module__}.{cls.__qualname__}"
        )
    from compact_memory.strategies import BUILTINS

    if not override_builtin and any(spec.id == sid for spec in BUILTINS):
        raise UsageError(
            f"{sid!r} is a built-in strategy", hint="pass override_builtin=True to replace it"
        )
    _REGISTERED[sid] = (cls, override_builtin)


def unregister_compression_strategy(strategy_id: str) -> None:
    _REGISTERED.pop(strategy_id, None)


def registered_classes() -> list[tuple[type[CompressionStrategy], bool]]:
    return list(_REGISTERED.values())


def resolve(candidates: list[Candidate], settings: PluginSettings) -> dict[str, list[Candidate]]:
    """Group candidates by id, best first, and set each one's status and reason."""
    groups: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        groups[candidate.id].append(candidate)
    for group in groups.values():
        group.sort(key=lambda c: c.rank)
        _decide(group, settings)
    return dict(sorted(groups.items()))


def _decide(group: list[Candidate], settings: PluginSettings) -> None:
    for c in group:
        if c.error:
            c.status = "error"
        elif c.is_plugin and settings.is_disabled(c.id):
            c.status = "disabled"
            c.reason = "all plugins disabled" if settings.disable_all else f"plugin id {c.id} disabled"
    viable = [c for c in group if c.status not in ("error", "disabled")]
    if not viable:
        return
    base = [c for c in viable if c.source in (REGISTERED, BUILTIN)]
    overriding = [c for c in viable if c.is_plugin and c.overrides_builtin]
    if base and base[0].source == BUILTIN and overriding:
        winner = overriding[0]
    else:
        winner = viable[0]
    winner.status, winner.reason = "active", ""
    for c in viable:
        if c is not winner:
            c.status = "shadowed"
            c.reason = f"shadowed by {winner.describe()}: {_why(winner, c)}"


def _why(winner: Candidate, loser: Candidate) -> str:
    if winner.source == REGISTERED:
        return "strategies registered in-process win"
    if loser.source == BUILTIN:
        return "it declares overrides_builtin: true"
    if winner.source == BUILTIN:
        return "built-ins win unless a plugin sets overrides_builtin: true"
    if loser.rank < winner.rank and winner.overrides_builtin:
        return "only plugins that set overrides_builtin: true can replace a built-in"
    if winner.source != loser.source:
        return "local directories win over entry points"
    if winner.source == LOCAL:
        return "duplicate id; the earlier plugin path, then the first directory by name, wins"
    return "duplicate id; the first distribution by name wins"


def resolve_candidates(settings: PluginSettings | None = None) -> tuple[dict[str, list[Candidate]], list[str]]:
    """Every candidate grouped by id, best first, with status and reason set; and discovery's notes.

    No plugin code runs. ``settings`` default to the environment (plugin
    paths, the user plugin directory, the disable switches).
    """
    from compact_memory.plugins.discovery import discover

    settings = settings or PluginSettings.from_env()
    found = discover(settings, registered_classes())
    for note in found.notes:
        console.note(note)
    return resolve(found.candidates, settings), found.notes


def active_candidate(strategy_id: str) -> Candidate:
    groups, _ = resolve_candidates()
    group = groups.get(strategy_id)
    if group is None:
        available = sorted(sid for sid, g in groups.items() if any(c.status == "active" for c in g))
        close = difflib.get_close_matches(strategy_id, available, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        unreadable = [c for g in groups.values() for c in g if c.id.startswith("?")]
        if unreadable:
            c = unreadable[0]
            more = f" and {len(unreadable) - 1} more" if len(unreadable) > 1 else ""
            hint += f"{c.origin}{more} could not be read: {c.error}; "
        raise StrategyNotFoundError(
            f"unknown strategy {strategy_id!r}",
            hint=f"{hint}available: {', '.join(available)}",
        )
    for c in group:
        if c.status == "active":
            if c.source == BUILTIN:
                for other in group:
                    if other.is_plugin and other.status == "shadowed":
                        console.warn(f"{other.describe()} also has the id {strategy_id!r}; the built-in is used "
                                     "(a plugin replaces a built-in only with overrides_builtin: true)")
            return c
    best = group[0]
    if best.status == "disabled":
        raise StrategyNotFoundError(
            f"strategy {strategy_id!r} ({best.describe()}) is disabled: {best.reason}",
            hint="unset COMPACT_MEMORY_DISABLE_PLUGINS or drop --no-plugins/--disable-plugin",
        )
    from compact_memory.plugins.loader import load_candidate

    load_candidate(best)  # raises the candidate's error as one line
    raise AssertionError("unreachable")


def get_compression_strategy(strategy_id: str) -> type[CompressionStrategy]:
    """The active strategy class for ``strategy_id``; imports only that strategy."""
    from compact_memory.plugins.loader import load_candidate

    candidate = active_candidate(strategy_id)
    for warning in candidate.warnings:
        console.warn(warning)
    return load_candidate(candidate)


def available_strategies() -> list[str]:
    """Ids that have an active strategy (built-in, registered or plugin), sorted."""
    groups, _ = resolve_candidates()
    return [sid for sid, group in groups.items() if any(c.status == "active" for c in group)]
