"""Strategies registered in this process (apps, notebooks, modules written for the original Compact Memory).

Both spellings work: ``register_compression_strategy(MyStrategy)`` and the
original's ``register_compression_strategy("my_id", MyStrategy,
display_name=..., version=..., source=...)``. A registered class wins over
plugins; replacing a built-in needs ``override_builtin=True``, as for a
plugin's ``overrides_builtin``.
"""

from __future__ import annotations

from compact_memory.errors import UsageError
from compact_memory.names import ID_RULE, is_strategy_id

TYPE_CHECKING = False  # the contract (dataclasses, typing) loads only when a strategy is used
if TYPE_CHECKING:
    from compact_memory.compression.strategies_abc import CompressionStrategy


class Registration:
    __slots__ = ("cls", "display_name", "overrides_builtin", "source", "version")

    def __init__(self, cls: type[CompressionStrategy], overrides_builtin: bool, display_name: str | None,
                 version: str | None, source: str | None) -> None:
        self.cls = cls
        self.overrides_builtin = overrides_builtin
        self.display_name = display_name
        self.version = version
        self.source = source


_REGISTERED: dict[str, Registration] = {}


def register_compression_strategy(
    id_or_cls: str | type[CompressionStrategy],
    cls: type[CompressionStrategy] | None = None,
    *,
    display_name: str | None = None,
    version: str | None = None,
    source: str | None = None,
    override_builtin: bool = False,
) -> None:
    """Register a strategy class in this process.

    ``register_compression_strategy(MyStrategy)`` or, as in the original
    Compact Memory, ``register_compression_strategy("my_id", MyStrategy,
    display_name=..., version=..., source=...)`` (a class without ``id``
    takes the one given). Registering a second class under one id, or a
    built-in's id without ``override_builtin=True``, is an error that says why.
    """
    from compact_memory.compression.strategies_abc import CompressionStrategy

    if isinstance(id_or_cls, str):
        sid: object = id_or_cls
        if cls is None:
            raise UsageError(f"register_compression_strategy({id_or_cls!r}) needs the class too",
                             hint=f"register_compression_strategy({id_or_cls!r}, MyStrategy)")
    else:
        cls, sid = id_or_cls, getattr(id_or_cls, "id", None)
    if not (isinstance(cls, type) and issubclass(cls, CompressionStrategy)):
        raise UsageError(f"{cls!r} is not a CompressionStrategy subclass")
    if not is_strategy_id(sid):
        raise UsageError(f"{cls.__qualname__}: {sid!r} is not a strategy id ({ID_RULE})")
    class_id = getattr(cls, "id", None)
    if class_id is None:
        cls.id = sid  # the original allowed classes without an id; the runtime names traces by it
    elif class_id != sid:
        raise UsageError(f"{cls.__qualname__}.id is {class_id!r}, not {sid!r}", hint="register it under its own id")
    existing = _REGISTERED.get(sid)
    if existing is not None and existing.cls is not cls:
        old = existing.cls
        raise UsageError(f"strategy id {sid!r} is already registered by {old.__module__}.{old.__qualname__}; "
                         f"cannot also register {cls.__module__}.{cls.__qualname__}")
    from compact_memory.strategies import is_builtin_name

    if not override_builtin and is_builtin_name(sid):
        raise UsageError(f"{sid!r} is a built-in strategy, which wins over a registration",
                         hint="pass override_builtin=True to replace it, or register under another id")
    _REGISTERED[sid] = Registration(cls, override_builtin, display_name, version, source)


def unregister_compression_strategy(strategy_id: str) -> None:
    _REGISTERED.pop(strategy_id, None)


def registrations() -> list[Registration]:
    return list(_REGISTERED.values())
