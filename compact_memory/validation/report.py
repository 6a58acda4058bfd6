"""A report as text, as a versioned JSON document or as GitHub workflow commands, on stdout."""

from __future__ import annotations

from typing import Any

from compact_memory import __version__
from compact_memory.diagnostics.codes import ERROR, WARNING
from compact_memory.diagnostics.render import github_line, text_line
from compact_memory.validation.package import Report


def write(report: Report, fmt: str) -> None:
    """Print ``report`` on stdout in ``fmt`` (text, json or github)."""
    from compact_memory import output

    if fmt == "json":
        output.write_json(document(report))
    else:
        line = github_line if fmt == "github" else text_line
        output.write_text("".join(line(f) + "\n" for f in report.all_findings()) + summary(report) + "\n")


def summary(report: Report) -> str:
    count = len(report.packages)
    parts = [_plural(report.errors, "error"), _plural(report.warnings, "warning")]
    if report.infos:
        parts.append(_plural(report.infos, "note"))
    verdict = "passed" if report.passed else "failed"
    return f"{_plural(count, 'strategy package')} checked, {verdict}: {', '.join(parts)}"


def document(report: Report) -> dict[str, Any]:
    findings = [{**f.to_json(), "package": None} for f in report.findings]
    packages = []
    for pkg in report.packages:
        errors = sum(1 for f in pkg.findings if f.severity == ERROR)
        packages.append({
            "path": pkg.display,
            "manifest": pkg.show(pkg.manifest.name),
            "strategy_id": pkg.text("strategy_id"),
            "result": "fail" if errors else "pass",
            "errors": errors,
            "warnings": sum(1 for f in pkg.findings if f.severity == WARNING),
        })
        findings += [{**f.to_json(), "package": pkg.display} for f in pkg.findings]
    return {
        "tool": {"name": "compact-memory", "version": __version__},
        "options": {"strict": report.strict, "import_check": report.import_check},
        "result": "pass" if report.passed else "fail",
        "summary": {"packages": len(report.packages), "errors": report.errors, "warnings": report.warnings,
                    "infos": report.infos},
        "packages": packages,
        "findings": findings,
    }


def _plural(count: int, noun: str) -> str:
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun[:-1] + 'ies' if noun.endswith('y') else noun + 's'}"
