"""Validate data against one of our JSON Schemas; every error becomes a located finding.

The validator uses jsonschema (imported only when a validator is built).
Listing strategies at startup cannot afford that import, so
:func:`light_errors` evaluates the few keywords the manifest's top-level keys
use (required, additionalProperties, type, const, pattern, minLength,
minItems) straight from the same schema; both kinds of error are worded by
:func:`report`, so the runtime and the validator say the same thing.
"""

from __future__ import annotations

import json
import re
from functools import cache

from compact_memory.diagnostics.findings import Findings, json_path

TYPE_CHECKING = False  # listing strategies imports this module; only the validator needs jsonschema
if TYPE_CHECKING:
    from typing import Any

    from compact_memory.diagnostics.yaml_marks import Document

_MAX_SHOWN = 80


@cache
def load_schema(name: str) -> dict[str, Any]:
    from compact_memory.resources import schema_path

    return dict(json.loads(schema_path(name).read_text(encoding="utf-8")))


SCHEMAS = ("strategy_package", "experiment", "community_index")


@cache
def _registry() -> Any:
    """Our schemas by file name, so one can refer to another (the strategy id is defined once).

    The schemas carry no ``$id``: a reference such as
    ``strategy_package.schema.json#/$defs/strategy_id`` then resolves against
    wherever the schema was read from (this registry, a local file, a raw
    URL), which is what editors and check-jsonschema do too.
    """
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    return Registry().with_resources(
        (f"{n}.schema.json", Resource.from_contents(load_schema(n), default_specification=DRAFT202012))
        for n in SCHEMAS
    )


def validator_for(schema: dict[str, Any]) -> Any:
    """A 2020-12 validator for ``schema`` (one of ours, or a part of one) that resolves references to the others."""
    import jsonschema  # type: ignore[import-untyped]

    return jsonschema.Draft202012Validator(schema, registry=_registry())


@cache
def _validator(name: str) -> Any:
    return validator_for(load_schema(name))


def check(data: Any, doc: Document, schema_name: str, findings: Findings, *, base: tuple[Any, ...] = ()) -> int:
    """Add a finding per schema error of ``data`` (found at ``base`` in ``doc``); return their number."""
    return report(list(_validator(schema_name).iter_errors(data)), doc, schema_name, findings, base=base)


def report(errors: list[Any], doc: Document, schema_name: str, findings: Findings, *,
           base: tuple[Any, ...] = ()) -> int:
    """Add a finding per error (jsonschema's or :class:`LightError`); return their number."""
    before = len(findings.items)
    typed = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    done: set[tuple[Any, ...]] = set()
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        path = tuple(error.absolute_path)
        kind = error.validator
        if (kind != "type" and path in typed) or (kind, path) in done:
            continue
        done.add((kind, path))
        full = (*base, *path)
        if kind == "required":
            _missing(error, full, doc, findings)
        elif kind == "additionalProperties":
            _unknown(error, full, doc, findings)
        elif kind == "type":
            _wrong_type(error, full, doc, findings)
        else:
            findings.add("CM205", _message(error, full), at=doc.at(full), json_path=json_path(full),
                         hint=_hint(error, full, schema_name))
    return len(findings.items) - before


def _label(path: tuple[Any, ...]) -> str:
    return json_path(path)[2:] or "the document"


def _missing(error: Any, path: tuple[Any, ...], doc: Document, findings: Findings) -> None:
    properties = error.schema.get("properties", {})
    for key in error.validator_value:
        if key not in error.instance:
            description = properties.get(key, {}).get("description")
            where = f"{_label(path)} " if path else ""
            findings.add("CM201", f"{where}missing required key {key!r}".strip(), at=doc.at(path) or (1, 1),
                         json_path=json_path(path), hint=description)


def _unknown(error: Any, path: tuple[Any, ...], doc: Document, findings: Findings) -> None:
    known = list(error.schema.get("properties", {}))
    patterns = [re.compile(p) for p in error.schema.get("patternProperties", {})]
    for key in error.instance:
        if key in known or (isinstance(key, str) and any(p.search(key) for p in patterns)):
            continue
        import difflib

        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
        findings.add("CM202", f"unknown key {_short(key)}", at=doc.key_at((*path, key)),
                     json_path=json_path((*path, key)), hint=hint)


def _wrong_type(error: Any, path: tuple[Any, ...], doc: Document, findings: Findings) -> None:
    expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
    names = " or ".join(str(_TYPE_NAMES.get(t, t)) for t in expected)
    found = kind_of(error.instance)
    raw = doc.plain_scalars.get(path)
    at, where = doc.at(path), json_path(path)
    if "string" in expected and raw is not None and error.instance is not None:
        key = path[-1] if path and isinstance(path[-1], str) else None
        example = f'{key}: "{raw}"' if key else f'"{raw}"'
        findings.add("CM204", f"{_label(path)} must be text, but YAML reads {raw} as {found}", at=at,
                     json_path=where, hint=f"quote it: {example}")
        return
    findings.add("CM203", f"{_label(path)} must be {names}, not {found}", at=at, json_path=where,
                 hint=error.schema.get("description") if isinstance(error.schema, dict) else None)


class LightError:
    """The attributes of a jsonschema ``ValidationError`` that :func:`report` reads."""

    def __init__(self, validator: str, validator_value: Any, instance: Any, schema: dict[str, Any],
                 path: tuple[Any, ...] = (), message: str = "") -> None:
        self.validator = validator
        self.validator_value = validator_value
        self.instance = instance
        self.schema = schema
        self.absolute_path = path
        self.absolute_schema_path: tuple[Any, ...] = ()
        self.message = message or f"{validator} {validator_value!r}"


_JSON_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "array": (list,), "object": (dict,),
                                            "boolean": (bool,), "integer": (int,), "number": (int, float)}


def light_errors(data: dict[str, Any], schema_name: str) -> list[LightError]:
    """Errors of a mapping's own keys against the schema's top level, without jsonschema.

    Checks required and unknown keys, and each value's type, const, pattern,
    minLength and minItems; nested structures are left to the validator.
    """
    schema = load_schema(schema_name)
    properties = schema.get("properties", {})
    errors = []
    if any(key not in data for key in schema.get("required", ())):
        errors.append(LightError("required", schema["required"], data, schema))
    if schema.get("additionalProperties") is False and any(key not in properties for key in data):
        errors.append(LightError("additionalProperties", False, data, schema))
    for key, value in data.items():
        prop = _with_ref(properties.get(key), schema)
        if prop is not None:
            errors += _value_errors(value, prop, (key,))
    return errors


def _value_errors(value: Any, prop: dict[str, Any], path: tuple[Any, ...]) -> list[LightError]:
    expected = prop.get("type")
    if expected is not None:
        types = _JSON_TYPES.get(expected, (object,))
        if not isinstance(value, types) or (expected != "boolean" and isinstance(value, bool)):
            return [LightError("type", expected, value, prop, path)]
    if "const" in prop and value != prop["const"]:
        return [LightError("const", prop["const"], value, prop, path)]
    if isinstance(value, str):
        if "minLength" in prop and len(value) < prop["minLength"]:
            return [LightError("minLength", prop["minLength"], value, prop, path)]
        if "pattern" in prop and re.search(prop["pattern"], value) is None:
            return [LightError("pattern", prop["pattern"], value, prop, path)]
    if isinstance(value, list) and "minItems" in prop and len(value) < prop["minItems"]:
        return [LightError("minItems", prop["minItems"], value, prop, path)]
    return []


def _with_ref(prop: dict[str, Any] | None, schema: dict[str, Any]) -> dict[str, Any] | None:
    """``prop`` with a local ``$ref`` (``#/$defs/x``) merged in."""
    if prop is None or "$ref" not in prop:
        return prop
    ref = prop["$ref"]
    if not ref.startswith("#/$defs/"):
        return prop
    return {**schema["$defs"][ref.removeprefix("#/$defs/")], **{k: v for k, v in prop.items() if k != "$ref"}}


_TYPE_NAMES = {"string": "a string", "array": "a list", "object": "a mapping", "boolean": "true or false",
               "integer": "a whole number", "number": "a number", "null": "empty"}


def kind_of(value: Any) -> str:
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    import datetime

    if isinstance(value, (datetime.date, datetime.datetime)):
        return "a date"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _message(error: Any, path: tuple[Any, ...]) -> str:
    label, kind, value = _label(path), error.validator, error.validator_value
    if kind == "const":
        return f"{label} must be {json.dumps(value)}, not {_short(error.instance)}"
    if kind == "enum":
        return f"{label} must be one of {', '.join(json.dumps(v) for v in value)}, not {_short(error.instance)}"
    if kind == "pattern":
        return f"{label} {_short(error.instance)} does not match the pattern {value}"
    if kind in ("minItems", "minLength", "minProperties") and value == 1:
        return f"{label} must not be empty"
    if kind == "uniqueItems":
        return f"{label} has repeated items"
    if kind in ("anyOf", "oneOf"):
        keys = [next(iter(s["required"])) for s in value if isinstance(s, dict) and list(s) == ["required"]]
        if len(keys) == len(value) and isinstance(error.instance, dict):
            given = [k for k in keys if k in error.instance]
            if given:
                return f"{label} has {' and '.join(given)}; give only one of them"
            return f"{label} needs one of the keys {', '.join(keys)}"
        return f"{label} must be one of the forms its description names, not {kind_of(error.instance)}"
    return f"{label}: {truncate(error.message)}"


def _hint(error: Any, path: tuple[Any, ...], schema_name: str) -> str | None:
    if path and path[-1] == "strategy_module" and isinstance(error.instance, str):
        if "/" in error.instance or error.instance.endswith(".py") or ".." in error.instance:
            return "write a dotted module name inside the package without .py, e.g. strategy or impl.core"
    # The nearest description along the schema path explains the rule.
    root: Any = load_schema(schema_name)
    schema = root
    best = None  # the document's own description is too general to help
    for part in list(error.absolute_schema_path)[:-1]:
        try:
            if isinstance(schema, dict) and part not in schema:  # the path goes on through a local $ref
                schema = _local_ref(schema, root)
            schema = schema[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(schema, dict) and isinstance(schema.get("description"), str):
            best = schema["description"]
    return str(best) if best else None


def _local_ref(schema: dict[str, Any], root: Any) -> Any:
    """What ``{"$ref": "#/..."}`` points to in the same document (``schema`` itself when it is no such ref)."""
    ref = schema.get("$ref")
    if not (isinstance(ref, str) and ref.startswith("#/")):
        return schema
    target = root
    for key in ref[2:].split("/"):
        target = target[key]
    return target


def _short(value: Any) -> str:
    return truncate(repr(value))


def truncate(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."
