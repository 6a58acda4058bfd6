"""Read YAML safely and keep where every key and value was written.

Nothing is constructed before it is checked: the document is composed into
nodes, tags are checked against the YAML core schema, the size after alias
expansion is measured (alias bombs), and only then plain data is built, with
a map from each JSON path to the line and column of its key and value.
"""

from __future__ import annotations

import re

from compact_memory.diagnostics.findings import Findings, Position, json_path

TYPE_CHECKING = False  # yaml, typing and dataclasses load only when a file is parsed: listing starts fast
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, NoReturn

    from yaml.nodes import Node

MAX_BYTES = 1_000_000
MAX_ALIAS_VALUES = 100_000  # values that aliases may add to the document
_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = frozenset(_CORE + t for t in ("null", "bool", "int", "float", "str", "seq", "map", "timestamp"))
_MERGE = _CORE + "merge"
_STR, _SEQ, _MAP = _CORE + "str", _CORE + "seq", _CORE + "map"
_SCALAR_TAGS = tuple(_CORE + t for t in ("null", "bool", "int", "float", "str", "timestamp"))
# What YAML 1.1 does not allow in a stream: the complement of its printable set (tab, LF, CR, x20-x7E,
# x85, xA0-uD7FF, uE000-uFFFD, U+10000 and above), written as the few ranges it leaves out, which
# compiles in microseconds where the complement's large ranges take milliseconds.
_NOT_PRINTABLE = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]"
_BOM = b"\xef\xbb\xbf"


class Document:
    """The data of a YAML file, with where each value and key was written."""

    def __init__(self, data: Any) -> None:
        self.data = data
        self.value_marks: dict[tuple[Any, ...], Position] = {}
        self.key_marks: dict[tuple[Any, ...], Position] = {}
        self.plain_scalars: dict[tuple[Any, ...], str] = {}  # unquoted source text

    def at(self, path: tuple[Any, ...]) -> Position | None:
        """Where the value at ``path`` (or its nearest written ancestor) starts."""
        path = tuple(path)
        while True:
            if path in self.value_marks:
                return self.value_marks[path]
            if not path:
                return None
            path = path[:-1]

    def key_at(self, path: tuple[Any, ...]) -> Position | None:
        return self.key_marks.get(tuple(path)) or self.at(path)


class _Abort(Exception):
    pass


# libyaml's composer recurses in C and can crash the interpreter on deep
# nesting; text that may nest that deep is parsed by the pure-Python loader,
# which raises RecursionError instead. No real manifest nests that deep.
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


def read_yaml(path: Path, findings: Findings) -> Document | None:
    """The document of ``path``, or None after adding the findings that explain why not.

    Only a regular file of at most :data:`MAX_BYTES` is read.
    """
    import errno

    from compact_memory.io import read_regular_file

    try:
        raw = read_regular_file(path, MAX_BYTES)
    except OSError as exc:
        if exc.errno == errno.EFBIG:
            findings.add("CM102", f"the file is larger than the limit of {MAX_BYTES:,} bytes")
        else:
            findings.add("CM101", f"cannot read the file: {exc.strerror or exc}")
        return None
    text = decode(raw, findings)
    return None if text is None else parse_yaml(text, findings)


def decode(raw: bytes, findings: Findings) -> str | None:
    if raw.startswith(_BOM):
        raw = raw[len(_BOM):]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = raw[: exc.start].decode("utf-8", errors="replace")
        findings.add("CM103", f"byte 0x{raw[exc.start]:02x} is not valid UTF-8", at=_position(prefix))
        return None
    bad = re.search(_NOT_PRINTABLE, text)
    if bad:
        findings.add("CM103", f"control character U+{ord(bad.group()):04X} is not allowed in YAML",
                     at=_position(text[: bad.start()]))
        return None
    return text


def parse_yaml(text: str, findings: Findings) -> Document | None:
    import yaml

    loader_class: Any = yaml.SafeLoader
    if getattr(yaml, "__with_libyaml__", False) and not may_nest_deeply(text):
        loader_class = yaml.CSafeLoader
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            started = exc.context_mark
            where = f" started at line {started.line + 1}" if started and mark and started.line != mark.line else ""
            message = f"{exc.problem} ({exc.context}{where})"
        findings.add("CM104", message, at=(mark.line + 1, mark.column + 1) if mark else None)
        return None
    except yaml.YAMLError as exc:
        findings.add("CM104", str(exc).splitlines()[0] if str(exc) else "invalid YAML")
        return None
    except RecursionError:
        findings.add("CM106", "the document is nested too deeply")
        return None
    finally:
        loader.dispose()
    if node is None:
        return Document(data=None)
    try:
        if not _check_nodes(node, findings):
            return None
        doc = Document(data=None)
        doc.data = _build(node, doc, findings)
        return doc
    except RecursionError:
        findings.add("CM106", "the document is nested too deeply")
        return None
    except _Abort:
        return None


def _check_nodes(root: Node, findings: Findings) -> bool:
    """Tags from the core schema only, no alias cycles, bounded growth through aliases."""
    from yaml.nodes import MappingNode, SequenceNode

    sizes: dict[int, int] = {}
    active: set[int] = set()
    ok = True

    def size(node: Node) -> int:
        nonlocal ok
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            findings.add("CM106", "an alias refers to a node that contains it (a cycle)", at=_mark(node))
            raise _Abort
        active.add(key)
        if node.tag not in _ALLOWED_TAGS and not node.tag == _MERGE:
            ok = False
            findings.add("CM105", f"tag {_short_tag(node.tag)} is not allowed", at=_mark(node),
                         hint="write plain values; tags such as !!python/object are never constructed")
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        active.discard(key)
        sizes[key] = total
        # Written values are bounded by the file size; only what aliases add is checked.
        if total - len(sizes) > MAX_ALIAS_VALUES:
            findings.add("CM106", f"aliases expand the document by more than {MAX_ALIAS_VALUES:,} values",
                         at=_mark(node))
            raise _Abort
        return total

    size(root)
    return ok


def _build(root: Node, doc: Document, findings: Findings) -> Any:
    """Plain data from checked nodes, recording in ``doc`` where each key and value was written."""
    import yaml
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    constructor = yaml.constructor.SafeConstructor()
    # A scalar with a core tag is built by its constructor directly (construct_object's bookkeeping
    # is for collections and aliases); a collection's tag on a scalar (`!!map word`) is an error.
    direct = {tag: constructor.yaml_constructors[tag] for tag in _SCALAR_TAGS}
    value_marks, key_marks = doc.value_marks, doc.key_marks

    def scalar(node: Any) -> Any:
        make = direct.get(node.tag)
        if make is None:  # a collection's tag on a plain value
            mismatch(node, "a plain value")
        try:
            return make(constructor, node)
        # PyYAML's constructors fail on a tagged word in several ways: `!!bool maybe` is a KeyError,
        # `!!timestamp soon` an AttributeError.
        except (yaml.YAMLError, ValueError, OverflowError, KeyError, AttributeError, TypeError) as exc:
            why = f": {exc}" if isinstance(exc, (yaml.YAMLError, ValueError)) else ""
            findings.add("CM104", f"invalid {_short_tag(node.tag)} value {node.value!r}{why}", at=_mark(node),
                         hint="remove the tag, or write a value of its type")
            raise _Abort from None

    def mismatch(node: Any, what: str) -> NoReturn:
        findings.add("CM104", f"tag {_short_tag(node.tag)} cannot be given to {what}", at=_mark(node),
                     hint="remove the tag")
        raise _Abort

    def build(node: Any, path: tuple[Any, ...]) -> Any:
        if path not in value_marks:
            value_marks[path] = _mark(node)
        if isinstance(node, ScalarNode):
            if not node.style and node.tag != _STR:  # plain (libyaml says "")
                doc.plain_scalars[path] = node.value
            return scalar(node)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ:
                mismatch(node, "a list")
            return [build(child, (*path, i)) for i, child in enumerate(node.value)]
        assert isinstance(node, MappingNode)
        if node.tag != _MAP:
            mismatch(node, "a mapping")
        result: dict[Any, Any] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges.extend(value_node.value if isinstance(value_node, SequenceNode) else [value_node])
                continue
            if not isinstance(key_node, ScalarNode):
                findings.add("CM104", "a key must be a plain value, not a list or mapping", at=_mark(key_node))
                continue
            key = scalar(key_node)
            if key in result:
                first = key_marks.get((*path, key))
                where = f" (first at line {first[0]})" if first else ""
                findings.add("CM107", f"key {key!r} appears twice{where}", at=_mark(key_node),
                             json_path=json_path((*path, key)))
            key_marks[(*path, key)] = _mark(key_node)
            value_marks.pop((*path, key), None)
            result[key] = build(value_node, (*path, key))
        for merged in merges:
            if not isinstance(merged, MappingNode):
                findings.add("CM104", "a merge key (<<) must refer to a mapping", at=_mark(merged))
                continue
            for key_node, value_node in merged.value:
                key = scalar(key_node) if isinstance(key_node, ScalarNode) else None
                if key is not None and key not in result:
                    key_marks[(*path, key)] = _mark(key_node)
                    result[key] = build(value_node, (*path, key))
        return result

    return build(root, ())


def _mark(node: Node) -> Position:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _position(prefix: str) -> Position:
    return (prefix.count("\n") + 1, len(prefix) - (prefix.rfind("\n") + 1) + 1)


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag
