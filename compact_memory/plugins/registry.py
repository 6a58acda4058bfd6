"""Precedence: which candidate is active for each id, and why the others are not."""

from __future__ import annotations

import difflib
from collections import defaultdict

from compact_memory import console
from compact_memory.errors import StrategyNotFoundError
from compact_memory.plugins.candidates import BUILTIN, LOCAL, REGISTERED, Candidate
from compact_memory.plugins.settings import PluginSettings

TYPE_CHECKING = False  # the contract (dataclasses, typing) loads only when a strategy is used
if TYPE_CHECKING:
    from compact_memory.compression.strategies_abc import CompressionStrategy

from compact_memory.plugins.registration import (  # noqa: E402  (public names of the registry)
    register_compression_strategy,
    registrations,
    unregister_compression_strategy,
)

__all__ = ["all_strategy_metadata", "available_strategies", "get_compression_strategy", "get_strategy_metadata",
           "register_compression_strategy", "resolve_candidates", "unregister_compression_strategy"]


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
    found = discover(settings, registrations())
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


def get_strategy_metadata(strategy_id: str) -> dict[str, object] | None:
    """What the listing knows of the strategy used for ``strategy_id``, or None; no plugin code runs.

    Keys, as in the original Compact Memory and more: ``strategy_id``,
    ``display_name``, ``version``, ``source`` (built-in, registered, local,
    entry point), ``origin`` (where it comes from), ``overrides`` (what it
    replaces: the built-in's description, or None), ``alias_of`` and ``status``.
    """
    groups, _ = resolve_candidates()
    return _metadata(groups.get(strategy_id, []))


def all_strategy_metadata() -> dict[str, dict[str, object]]:
    """:func:`get_strategy_metadata` for every id that has an active strategy, by id."""
    groups, _ = resolve_candidates()
    found = {sid: _metadata(group) for sid, group in groups.items()}
    return {sid: meta for sid, meta in found.items() if meta is not None}


def _metadata(group: list[Candidate]) -> dict[str, object] | None:
    from compact_memory.plugins.candidates import SOURCE_LABEL

    active = next((c for c in group if c.status == "active"), None)
    if active is None:
        return None
    replaced = next((c for c in group if c.source == BUILTIN and c is not active), None)
    return {"strategy_id": active.id, "display_name": active.display_name, "version": active.version,
            "source": SOURCE_LABEL[active.source], "origin": active.origin,
            "overrides": replaced.describe() if replaced is not None else None, "alias_of": active.alias_of,
            "status": active.status}
