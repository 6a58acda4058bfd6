"""The script behind action.yml: install what the import check needs, validate, report to GitHub.

Inputs arrive as environment variables (INPUT_PATH, INPUT_STRICT,
INPUT_IMPORT_CHECK), never spliced into shell code. Annotations go to
stdout as workflow commands; outputs to $GITHUB_OUTPUT; a table to
$GITHUB_STEP_SUMMARY.
"""

from __future__ import annotations

import html
import os
import shlex
import subprocess
import sys
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

from compact_memory.diagnostics.codes import ERROR, INFO, WARNING
from compact_memory.diagnostics.render import escape_data, printable
from compact_memory.validation.package import Report, find_packages
from compact_memory.validation.report import summary

TRUE = ("true", "1", "yes", "on")


def paths_from(env: Mapping[str, str]) -> list[str]:
    return shlex.split(env.get("INPUT_PATH", "").strip()) or ["."]


def import_mode_from(env: Mapping[str, str]) -> str:
    mode = env.get("INPUT_IMPORT_CHECK", "auto").strip().lower() or "auto"
    if mode not in ("auto", "skip", "require"):
        raise ValueError(f"import-check must be auto, skip or require, not {mode!r}")
    return mode


def install_commands(paths: Sequence[str], mode: str, cwd: Path) -> list[list[str]]:
    """pip commands that install each package (or its requirements) so the import check can run."""
    if mode == "skip":
        return []
    commands = []
    pip = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check"]
    for pkg in find_packages(list(paths), cwd, [], ignore_unowned=True):
        if (pkg.root / "pyproject.toml").is_file() or (pkg.root / "setup.py").is_file():
            commands.append([*pip, str(pkg.root)])
        elif (pkg.root / "requirements.txt").is_file():
            commands.append([*pip, "-r", str(pkg.root / "requirements.txt")])
    return commands


def install(env: Mapping[str, str], cwd: Path) -> int:
    for command in install_commands(paths_from(env), import_mode_from(env), cwd):
        # A path from the repository may hold a line break and "::": never let it start a workflow command.
        print(f"$ {printable(shlex.join(command), newlines=False)}", flush=True)
        if subprocess.run(command, check=False).returncode != 0:
            # The import check then reports what is missing, with its location.
            print(f"::warning title=install failed::{escape_data(shlex.join(command[3:]))} failed", flush=True)
    return 0


def set_output(path: str, name: str, value: str) -> None:
    with open(path, "a", encoding="utf-8") as out:
        if "\n" in value or "\r" in value:
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            out.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            out.write(f"{name}={value}\n")


def _cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def summary_markdown(report: Report) -> str:
    icon = {ERROR: "❌", WARNING: "⚠️", INFO: "💬"}
    lines = ["## compact-memory strategy package validation", "", summary(report), ""]
    findings = report.all_findings()
    if findings:
        lines += ["| | Code | Location | Message |", "|---|---|---|---|"]
        for f in findings:
            message = f.message + (f" (hint: {f.hint})" if f.hint else "")
            lines.append(f"| {icon[f.severity]} | `{f.code}` | `{_cell(f.location)}` | {_cell(message)} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def validate(env: Mapping[str, str]) -> int:
    from compact_memory.validation.package import run_validation
    from compact_memory.validation.report import write

    report = run_validation(paths_from(env), strict=env.get("INPUT_STRICT", "true").strip().lower() in TRUE,
                            import_mode=import_mode_from(env))
    write(report, "github")
    if env.get("GITHUB_OUTPUT"):
        set_output(env["GITHUB_OUTPUT"], "errors", str(report.errors))
        set_output(env["GITHUB_OUTPUT"], "warnings", str(report.warnings))
        set_output(env["GITHUB_OUTPUT"], "result", "pass" if report.passed else "fail")
    if env.get("GITHUB_STEP_SUMMARY"):
        with open(env["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as out:
            out.write(summary_markdown(report))
    return 0 if report.passed else 1


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    env = os.environ if env is None else env
    if args not in (["install"], ["validate"]):
        print("usage: python -m compact_memory.validation.github_action {install|validate}", file=sys.stderr)
        return 2
    try:
        if args == ["install"]:
            return install(env, Path.cwd())
        return validate(env)
    except ValueError as exc:
        print(f"::error title=compact-memory action::{escape_data(str(exc))}")
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
