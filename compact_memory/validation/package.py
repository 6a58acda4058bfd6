"""Find the packages named on the command line and run every check on each."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from compact_memory.diagnostics import schema_check
from compact_memory.diagnostics.codes import ERROR, INFO, WARNING
from compact_memory.diagnostics.findings import Finding, Findings, apply_strict, display_path
from compact_memory.package import MANIFEST_NAME, StrategyPackage, load_manifest
from compact_memory.validation import (
    distribution_check,
    environment_check,
    experiments_check,
    files_check,
    import_check,
    static_check,
)


@dataclass
class Report:
    packages: list[StrategyPackage] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # those that belong to no package
    strict: bool = False
    import_check: str = import_check.SKIP

    def all_findings(self) -> list[Finding]:
        return self.findings + [f for pkg in self.packages for f in pkg.findings]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.all_findings() if f.severity == severity)

    @property
    def errors(self) -> int:
        return self.count(ERROR)

    @property
    def warnings(self) -> int:
        return self.count(WARNING)

    @property
    def infos(self) -> int:
        return self.count(INFO)

    @property
    def passed(self) -> bool:
        return self.errors == 0


def validate(paths: list[str], *, import_mode: str = import_check.SKIP, contract: bool = False,
             timeout: float = 60.0, strict: bool = False, ignore_unowned: bool = False,
             cwd: Path | None = None) -> Report:
    cwd = Path(cwd or os.getcwd()).absolute()
    report = Report(strict=strict, import_check=import_mode)
    report.packages = check_all_static(find_packages(paths, cwd, report.findings, ignore_unowned=ignore_unowned))
    import_check.check(report.packages, mode=import_mode, contract=contract, timeout=timeout)
    for pkg in report.packages:
        pkg.findings.sort(key=Finding.sort_key)
        if strict:
            apply_strict(pkg.findings)
    return report


def run_validation(paths: list[str], *, strict: bool = False, import_mode: str | None = None,
                   contract: bool = False, timeout: float = 60.0, ignore_unowned: bool = False,
                   use_cache: bool = True) -> Report:
    """The validator as the command and the GitHub action run it: options checked, cache scoped to this call."""
    import math

    from compact_memory.errors import UsageError
    from compact_memory.validation import cache

    if contract and import_mode == import_check.SKIP:
        raise UsageError("--contract needs the import check; drop --import-check skip")
    if not (math.isfinite(timeout) and timeout > 0):
        raise UsageError(f"--timeout must be a positive number of seconds, not {timeout}")
    mode = import_mode or (import_check.REQUIRE if contract else import_check.SKIP)
    with cache.enabled(use_cache):
        return validate(paths, import_mode=mode, contract=contract, timeout=timeout, strict=strict,
                        ignore_unowned=ignore_unowned)


def check_all_static(packages: list[StrategyPackage]) -> list[StrategyPackage]:
    # Sequential on purpose: forking workers was measured slower on a shared 2-CPU machine.
    for pkg in packages:
        check_static(pkg)
    return packages


def check_static(pkg: StrategyPackage) -> None:
    """Every check that runs no plugin code, cheapest first."""
    if not load_manifest(pkg, strict=True):
        return
    assert pkg.doc is not None
    schema_check.check(pkg.doc.data, pkg.doc, "strategy_package", pkg.on())
    _check_builtin_id(pkg)
    files_check.check(pkg)
    distribution_check.check(pkg)
    static_check.check(pkg)
    experiments_check.check(pkg)
    environment_check.check(pkg)


def find_packages(paths: list[str], cwd: Path, findings: list[Finding], *,
                  ignore_unowned: bool) -> list[StrategyPackage]:
    """The packages that own ``paths``, each once, in the order first named."""
    seen: dict[str, StrategyPackage] = {}
    for text in paths:
        path = cwd / text
        if not os.path.lexists(path):
            Findings(text, findings).add("CM001", "no such file or directory")
            continue
        roots = _owners(path)
        if not roots:
            if not ignore_unowned:
                Findings(text, findings).add("CM002", f"no {MANIFEST_NAME} in {text} or the directories above it",
                                             hint="pass a strategy package directory or a file inside one")
            continue
        for root in roots:
            key = os.path.realpath(root)
            if key not in seen:
                seen[key] = StrategyPackage(root, display_path(root, cwd))
    return list(seen.values())


def _owners(path: Path) -> list[Path]:
    # os.path checks throughout: a directory that cannot be searched is skipped, not an error.
    path = Path(os.path.normpath(path))
    if os.path.isdir(path):
        if os.path.isfile(path / MANIFEST_NAME):
            return [path]
        try:
            children = sorted(p for p in path.iterdir() if _may_hold_a_manifest(p))
        except OSError:
            children = []
        if children:
            return children
    for parent in path.parents if not os.path.isdir(path) else [path, *path.parents]:
        if os.path.isfile(parent / MANIFEST_NAME):
            return [parent]
    return []


def _may_hold_a_manifest(directory: Path) -> bool:
    """A manifest is there, or the directory cannot be searched (then reading it reports why: CM101)."""
    try:
        return os.path.isfile(os.path.join(directory, MANIFEST_NAME)) or (
            os.path.isdir(directory) and not os.access(directory, os.X_OK))
    except OSError:
        return False


def _check_builtin_id(pkg: StrategyPackage) -> None:
    """A plugin with a built-in's id is never used unless it says it replaces the built-in."""
    from compact_memory.strategies import is_builtin_name

    sid = pkg.strategy_id
    if is_builtin_name(sid) and not pkg.overrides_builtin:
        pkg.on().add("CM207", f"strategy_id {sid!r} is the id of a built-in strategy, which stays in use",
                     at=pkg.at("strategy_id"), json_path="$.strategy_id",
                     hint="choose another id, or set overrides_builtin: true to replace the built-in")
