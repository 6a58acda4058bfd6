"""What a strategy package's modules define, read from their syntax trees: no plugin code runs.

:class:`Analyzer` follows names through the package's modules (imports,
aliases, local base classes, the compatibility import paths) and gathers
:class:`ClassFacts` about the strategy class: whether it derives from
CompressionStrategy, its ``id`` and ``version`` literals and whether it
defines ``compress``.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compact_memory.package import StrategyPackage, inside, module_candidates

BASE_NAMES = frozenset({
    "compact_memory.CompressionStrategy",
    "compact_memory.compression.CompressionStrategy",
    "compact_memory.compression.strategies_abc.CompressionStrategy",
})
_MAX_SOURCE_BYTES = 5_000_000
_MAX_DEPTH = 25


@dataclass
class Module:
    name: str  # dotted, inside the package ("" is the package itself)
    file: Path
    tree: ast.Module
    source: bytes
    bindings: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    star_import: bool = False

    @property
    def package(self) -> str:
        """The package that relative imports start from."""
        if self.file.name == "__init__.py":
            return self.name
        return self.name.rpartition(".")[0]


@dataclass
class ClassFacts:
    module: Module
    node: ast.ClassDef
    derives: bool | None = False  # None: a base could not be followed
    unknown: list[str] = field(default_factory=list)
    id_node: ast.expr | None = None
    id_module: Module | None = None
    version_node: ast.expr | None = None
    version_module: Module | None = None
    has_compress: bool = False


class Analyzer:
    def __init__(self, pkg: StrategyPackage) -> None:
        self.pkg = pkg
        self.modules: dict[str, Module | None] = {}
        self.absent: dict[str, str] = {}  # module files looked for and not found: "" in the cache
        self.uncacheable = False

    # --- modules --------------------------------------------------------
    def module(self, name: str, file: Path | None = None, *, report: bool = False) -> Module | None:
        if name in self.modules:
            return self.modules[name]
        self.modules[name] = None
        if file is None:
            candidates = module_candidates(self.pkg.root, name) if name else []
            existing = [c for c in candidates if c.is_file()]
            if not existing:
                self.absent.update({str(c.relative_to(self.pkg.root)): "" for c in candidates})
                return None
            if not inside(existing[0], self.pkg.root):
                self.uncacheable = True
                return None
            file = existing[0]
        parsed = self._parse(file, report)
        if parsed is not None:
            module = Module(name, file, *parsed)
            _bind(module, module.tree.body)
            self.modules[name] = module
        return self.modules[name]

    def _parse(self, file: Path, report: bool) -> tuple[ast.Module, bytes] | None:
        found = self.pkg.on(file.relative_to(self.pkg.root))
        import errno

        from compact_memory.io import read_regular_file

        try:
            try:
                source = read_regular_file(file, _MAX_SOURCE_BYTES)
            except OSError as exc:
                if exc.errno != errno.EFBIG:
                    raise
                if report:
                    found.add("CM401", f"the module is larger than {_MAX_SOURCE_BYTES:,} bytes; not analysed")
                return None
            tree = ast.parse(source, filename=str(file))
            # The compiler finds what the parser lets through (a misplaced `from __future__` import,
            # `return` outside a function, a repeated argument name); compiling runs nothing.
            compile(tree, str(file), "exec", dont_inherit=True)
            return tree, source
        except SyntaxError as exc:
            if report:
                at = (exc.lineno, exc.offset or 1) if exc.lineno else None
                found.add("CM401", f"syntax error: {exc.msg}", at=at)
        except (ValueError, RecursionError, MemoryError, OSError) as exc:
            if report:
                found.add("CM401", f"cannot parse the module: {str(exc).splitlines()[0] if str(exc) else exc}")
        return None

    # --- names ----------------------------------------------------------
    def lookup(self, module: Module, name: str, depth: int = 0) -> tuple[Any, ...]:
        """What ``name`` is at the top level of ``module``."""
        binding = module.bindings.get(name)
        if depth > _MAX_DEPTH:
            return ("unknown", name)
        if binding is None:
            if module.star_import:
                return ("unknown", f"{name} (after a * import)")
            if hasattr(builtins, name):
                return ("external", name)
            return ("missing", name)
        kind = binding[0]
        if kind == "class":
            return ("class", module, binding[1])
        if kind == "expr":
            return self.resolve(module, binding[1], depth + 1)
        if kind == "ref":
            return _qualified(binding[1])
        if kind == "module":
            return ("extmodule", binding[1])
        if kind == "from_local":
            return self.member(binding[1], binding[2], depth + 1)
        if kind == "other":
            return ("notclass", name)
        return ("unknown", name)

    def member(self, module_name: str, name: str, depth: int) -> tuple[Any, ...]:
        """``name`` taken from the package module ``module_name`` (a submodule or a top-level name)."""
        sub = f"{module_name}.{name}" if module_name else name
        source = self.module(module_name) if module_name else self._root_init()
        if source is not None and name in source.bindings:
            return self.lookup(source, name, depth)
        if self.module(sub) is not None:
            return ("localmodule", sub)
        return ("unknown", f"{sub} (not found in the package)")

    def _root_init(self) -> Module | None:
        init = self.pkg.root / "__init__.py"
        if not init.is_file():
            self.absent["__init__.py"] = ""
            return None
        return self.module("", init)

    def resolve(self, module: Module, expr: ast.expr, depth: int = 0) -> tuple[Any, ...]:
        if depth > _MAX_DEPTH:
            return ("unknown", ast.unparse(expr))
        if isinstance(expr, ast.Name):
            return self.lookup(module, expr.id, depth + 1)
        if isinstance(expr, ast.Attribute):
            owner = self.resolve(module, expr.value, depth + 1)
            if owner[0] in ("extmodule", "external"):  # `from pkg import module`, then module.Name
                return _qualified(f"{owner[1]}.{expr.attr}")
            if owner[0] == "localmodule":
                return self.member(owner[1], expr.attr, depth + 1)
            return ("unknown", ast.unparse(expr))
        if isinstance(expr, ast.Subscript):  # Base[T]
            return self.resolve(module, expr.value, depth + 1)
        return ("unknown", ast.unparse(expr))

    # --- classes --------------------------------------------------------
    def facts(self, module: Module, node: ast.ClassDef, seen: frozenset[int] = frozenset()) -> ClassFacts:
        facts = ClassFacts(module, node)
        for statement in node.body:
            target, value = _assignment(statement)
            if target == "id" and value is not None and facts.id_node is None:
                facts.id_node, facts.id_module = value, module
            if target == "version" and value is not None and facts.version_node is None:
                facts.version_node, facts.version_module = value, module
            if target == "compress" or (
                isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name == "compress"
            ):
                facts.has_compress = True
        for base in node.bases:
            resolved = self.resolve(module, base)
            if resolved[0] == "base":
                facts.derives = True
            elif resolved[0] == "class" and id(resolved[2]) not in seen:
                parent = self.facts(resolved[1], resolved[2], seen | {id(node)})
                if parent.derives:
                    facts.derives = True
                elif parent.derives is None and facts.derives is not True:
                    facts.derives = None
                facts.unknown += parent.unknown
                if facts.id_node is None:
                    facts.id_node, facts.id_module = parent.id_node, parent.id_module
                if facts.version_node is None:
                    facts.version_node, facts.version_module = parent.version_node, parent.version_module
                facts.has_compress = facts.has_compress or parent.has_compress
            elif not (resolved[0] == "external" and resolved[1] == "object"):
                facts.unknown.append(ast.unparse(base))
                if facts.derives is not True:
                    facts.derives = None
        return facts


def _qualified(name: str) -> tuple[Any, ...]:
    return ("base", name) if name in BASE_NAMES else ("external", name)


def _assignment(statement: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
        if isinstance(target, ast.Name):
            return target.id, statement.value
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return statement.target.id, statement.value
    return None, None


def _bind(module: Module, body: list[ast.stmt], fallback: bool = False) -> None:
    """Top-level names of ``body``; names bound in ``except`` blocks do not replace earlier ones."""
    for statement in body:
        new: dict[str, tuple[Any, ...]] = {}
        if isinstance(statement, ast.ClassDef):
            new[statement.name] = ("class", statement)
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            new[statement.name] = ("other",)
        elif isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname:
                    new[alias.asname] = ("module", alias.name)
                else:
                    top = alias.name.split(".")[0]
                    new[top] = ("module", top)
        elif isinstance(statement, ast.ImportFrom):
            _bind_from(module, statement, new)
        elif isinstance(statement, (ast.If, ast.With, ast.Try)) or type(statement).__name__ == "TryStar":
            _bind(module, getattr(statement, "body", []), fallback)
            for handler in getattr(statement, "handlers", []):
                _bind(module, handler.body, True)
            _bind(module, getattr(statement, "orelse", []), fallback)
            _bind(module, getattr(statement, "finalbody", []), fallback)
        else:
            target, value = _assignment(statement)
            if target and value is not None:
                new[target] = ("expr", value)
        for name, binding in new.items():
            if not (fallback and name in module.bindings):
                module.bindings[name] = binding


def _bind_from(module: Module, statement: ast.ImportFrom, new: dict[str, tuple[Any, ...]]) -> None:
    source = statement.module or ""
    if statement.level:
        parts = module.package.split(".") if module.package else []
        up = statement.level - 1
        if up > len(parts):
            for alias in statement.names:
                new[alias.asname or alias.name] = ("unknown_import",)
            return
        base = ".".join(parts[: len(parts) - up] if up else parts)
        local = ".".join(p for p in (base, source) if p)
        for alias in statement.names:
            if alias.name == "*":
                module.star_import = True
            else:
                new[alias.asname or alias.name] = ("from_local", local, alias.name)
        return
    for alias in statement.names:
        if alias.name == "*":
            module.star_import = True
        else:
            new[alias.asname or alias.name] = ("ref", f"{source}.{alias.name}")
