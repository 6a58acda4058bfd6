"""Read ``strategy_package.yaml`` quickly and safely for listing and loading.

This is the runtime's light check (required keys, types of the keys it uses,
unknown keys as warnings); the full validator with line-accurate findings is
``compact-memory dev validate-strategy-package``. Both take the key names from
``schemas/strategy_package.schema.json``.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from compact_memory.plugins import ID_PATTERN

TYPE_CHECKING = False  # no typing/dataclasses: listing strategies starts fast
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

MANIFEST_NAME = "strategy_package.yaml"
MAX_MANIFEST_BYTES = 1_000_000
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MODULE_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class Manifest:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = {}
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def get(self, key: str) -> Any:
        return self.data.get(key)


@lru_cache(maxsize=1)
def schema_keys() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(required keys, all known keys) from the one schema file."""
    from compact_memory.resources import schema_path

    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    return tuple(schema["required"]), tuple(schema["properties"])


# libyaml's composer recurses in C and can crash the interpreter on deep
# nesting. The runtime refuses deep-looking manifests (no real one nests that
# deep); the validator parses them with the pure-Python loader, which raises
# RecursionError instead, to report where.
_MAX_C_DEPTH = 64


def may_nest_deeply(text: str) -> bool:
    """Whether ``text`` may nest deeper than libyaml handles safely (a cheap over-estimate)."""
    depth = deepest = 0
    for char in re.findall(r"[\[\]{}]", text):
        depth = depth + 1 if char in "[{" else max(0, depth - 1)
        deepest = max(deepest, depth)
    if deepest > _MAX_C_DEPTH:
        return True
    # Block nesting grows with indentation and with "- - -" on one line.
    return any(len(line) - len(line.lstrip(" -?:")) > 2 * _MAX_C_DEPTH for line in text.splitlines())


def _loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_manifest(path: Path) -> Manifest:
    manifest = Manifest(path=path)
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            manifest.errors.append(f"{path}: manifest is larger than 1 MB")
            return manifest
        raw = path.read_bytes()
    except OSError as exc:
        manifest.errors.append(f"{path}: cannot read: {exc.strerror or exc}")
        return manifest
    if may_nest_deeply(raw.decode("utf-8", "replace")):
        manifest.errors.append(f"{path}: not valid YAML: nested more than {_MAX_C_DEPTH} levels deep")
        return manifest
    import yaml

    try:
        data = yaml.load(raw, Loader=_loader())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        manifest.errors.append(f"{where}: not valid YAML: {exc.problem or exc}")
        return manifest
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        manifest.errors.append(f"{path}: not valid YAML: {str(exc).splitlines()[0] if str(exc) else exc}")
        return manifest
    if not isinstance(data, dict):
        manifest.errors.append(f"{path}: the manifest must be a mapping of keys, not {type(data).__name__}")
        return manifest
    manifest.data = data
    _check(manifest)
    return manifest


def _check(manifest: Manifest) -> None:
    data, path = manifest.data, manifest.path
    required, known = schema_keys()
    missing = [key for key in required if key not in data]
    if missing:
        manifest.errors.append(f"{path}: missing required key(s): {', '.join(missing)}")
    unknown = sorted(str(key) for key in data if key not in known)
    if unknown:
        manifest.warnings.append(f"{path}: unknown key(s) ignored: {', '.join(unknown)}")
    checks = (
        ("strategy_id", ID_PATTERN, "lowercase letters, digits and _, starting with a letter"),
        ("strategy_class_name", _IDENT, "a Python identifier"),
        ("strategy_module", MODULE_PATTERN, "a dotted module name inside the package, without .py"),
    )
    for key, pattern, what in checks:
        value = data.get(key)
        if key in data and not (isinstance(value, str) and pattern.match(value)):
            manifest.errors.append(f"{path}: {key} must be {what}, got {value!r}")
    for key in ("display_name", "version", "description"):
        if key in data and not isinstance(data[key], str):
            hint = f' (quote it: {key}: "{data[key]}")' if isinstance(data[key], (int, float)) else ""
            manifest.errors.append(f"{path}: {key} must be a string{hint}")
    overrides = data.get("overrides_builtin", False)
    if not isinstance(overrides, bool):
        manifest.errors.append(f"{path}: overrides_builtin must be true or false")
