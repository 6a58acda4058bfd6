"""``compact-memory dev update-strategy-package [PATH]``: bring a generated package up to date with the template.

A generated package records the template it came from in ``.cruft.json``
(cruft's format). This command compares that with the template of the
running compact-memory, then runs ``cruft update``, which merges the
template's changes into the package and keeps the author's (a three-way
merge with git). Without cruft it prints the command to run.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compact_memory.commands import add_command

if TYPE_CHECKING:
    from compact_memory.cruft_update import Plan
    from compact_memory.template_link import Link, Template

JSON_FORMAT_VERSION = 1

DESCRIPTION = (
    "Compare the template a strategy package was generated from (its .cruft.json) with the template of "
    "this compact-memory, and apply the template's changes with cruft update, keeping your own edits. "
    "The package must be a git work tree with nothing uncommitted. Packages generated before "
    ".cruft.json existed are told how to link them (cruft link)."
)


def add_parser(commands: Any, parents: list[argparse.ArgumentParser], summary: str) -> None:
    parser = add_command(
        commands, "update-strategy-package", parents, summary, description=DESCRIPTION,
        epilog=(
            "Exit codes: 0 up to date or updated, 1 behind (--check), conflicts left to resolve or failure, "
            "2 usage error, 130 interrupted."
        ),
    )
    parser.add_argument("path", nargs="?", default=".", metavar="PATH", help="the package directory (default: .)")
    parser.add_argument("--check", action="store_true",
                        help="only report whether the package is up to date; exit 1 when it is not")
    parser.add_argument("--json", action="store_true", help="print a JSON document on stdout")
    cruft = parser.add_argument_group("passed to cruft update")
    cruft.add_argument("-y", "--skip-apply-ask", action="store_true", help="apply the update without asking first")
    cruft.add_argument("-s", "--skip-update", action="store_true",
                       help="record the package as up to date without changing its files")
    cruft.add_argument("--allow-untracked-files", action="store_true",
                       help="update even when the git tree has untracked files")
    cruft.add_argument("-c", "--checkout", metavar="REF",
                       help="update to this commit, tag or branch of the template repository "
                            "(default: the template of this compact-memory)")
    cruft.add_argument("--template-path", metavar="DIR",
                       help="update from this local clone of the template repository")
    parser.set_defaults(handler=lambda a: run(
        a.path, check=a.check, as_json=a.json, skip_apply_ask=a.skip_apply_ask, skip_update=a.skip_update,
        allow_untracked_files=a.allow_untracked_files, checkout=a.checkout, template_path=a.template_path,
    ))


def run(
    path: str,
    *,
    check: bool = False,
    as_json: bool = False,
    skip_apply_ask: bool = False,
    skip_update: bool = False,
    allow_untracked_files: bool = False,
    checkout: str | None = None,
    template_path: str | None = None,
) -> int:
    from compact_memory import console
    from compact_memory.cruft_update import (
        INSTALL_HINT,
        UpdateOptions,
        check_package,
        check_source,
        find_cruft,
        plan,
    )
    from compact_memory.errors import CompactMemoryError, UsageError
    from compact_memory.template_link import compare, link_command, read_link, running_template, shown

    for option, value in (("--checkout", checkout), ("--template-path", template_path)):
        if value is not None and (not value.strip() or value.startswith("-")):
            raise UsageError(f"{option} needs a value that does not start with '-'", hint=f"e.g. {option} v0.2.0")
    root = Path(path)
    if not root.is_dir():
        raise CompactMemoryError(f"{shown(path)}: no such directory", hint="pass the package's directory")
    template = running_template()
    link = read_link(root)
    if link is None:
        raise CompactMemoryError(
            f"{shown(path)} has no .cruft.json: it was generated before packages recorded their template",
            hint=f"link it once with: {shlex.join(link_command(root, template))} && git add .cruft.json && "
                 "git commit -m 'Link to the compact-memory template'; then run this command again "
                 "(docs/authoring.md, \"Keeping a package current\")",
        )
    if template.source == "git" and template.dirty:
        console.warn(f"the template in {template.path} has uncommitted changes; "
                     f"updates use its last commit {(template.commit or '')[:12]}")
    status = compare(link, template)
    doc = _document(root, status, link, template)
    if check or (status == "current" and checkout is None and template_path is None):
        _finish(doc, "checked" if check else "up_to_date", as_json, _status_line(doc, link, template))
        return 0 if status == "current" else 1

    if status == "ahead" and checkout is None and template_path is None:
        raise CompactMemoryError(
            f"{shown(path)} was generated from a newer template than this compact-memory's; "
            "updating would take its template back, so nothing was updated",
            hint="upgrade compact-memory, or pass --checkout REF to move to another template anyway",
        )
    options = UpdateOptions(skip_apply_ask, skip_update, allow_untracked_files, checkout, template_path)
    check_package(root, allow_untracked_files)
    steps = plan(root, link, template, options)
    doc["command"] = ["cruft", *steps.args]
    program = find_cruft()
    if program is None:
        _finish(doc, "cruft_missing", as_json, None)
        raise CompactMemoryError(
            "cruft is not installed, so nothing was updated",
            hint=f"{INSTALL_HINT}, then run: {shlex.join(doc['command'])}",
        )
    if not (skip_apply_ask or skip_update) and not sys.stdin.isatty():
        raise UsageError("cruft asks before it applies an update, and stdin is not a terminal",
                         hint="pass --skip-apply-ask (-y) to apply it without asking")
    if template.ref is None and checkout is None and template_path is None:
        console.warn("this compact-memory does not know which commit its template comes from; cruft update "
                     "moves to the newest commit of the package's template source")
    check_source(steps, root)
    return _update(root, program, steps, doc, as_json, skip_update)


def _update(root: Path, program: list[str], steps: Plan, doc: dict[str, Any], as_json: bool,
            skip_update: bool) -> int:
    from compact_memory import console
    from compact_memory.cruft_update import changed, conflicts, run, untracked
    from compact_memory.errors import CompactMemoryError
    from compact_memory.template_link import CRUFT_FILE, shown

    before = untracked(root)
    recorded = (root / CRUFT_FILE).read_bytes()
    code, errors = run(program, steps)
    if console.verbose() and errors.strip():
        sys.stderr.write(errors)
    doc["changed"] = changed(root)
    if code != 0:
        reason = next((line for line in reversed(errors.splitlines()) if line.strip()), f"exit status {code}")
        raise CompactMemoryError(
            f"cruft update failed: {shown(reason.strip())}",
            hint="the package is unchanged" if not doc["changed"] else "git status shows what it changed",
        )
    doc["conflicts"] = conflicts(root, before)
    if doc["conflicts"]:
        _finish(doc, "conflicts", as_json, None)
        names = ", ".join(shown(name) for name in doc["conflicts"])
        raise CompactMemoryError(
            f"the update left conflicts to resolve in {names}; both versions are kept in those files "
            "(<<<<<<< markers) or in the .rej files",
            hint="edit them, git add them and commit; `git diff` shows the whole update",
        )
    where = shown(str(root))
    if (root / CRUFT_FILE).read_bytes() == recorded:
        # cruft exits 0 when the user answers "n", and when it finds the package already at that template.
        _finish(doc, "not_updated", as_json, f"{where}: not updated (declined, or already at that template); "
                                             "the package is unchanged")
        return 0 if doc["status"] == "current" else 1
    if skip_update:
        line = f"{where}: recorded as up to date with the template, its other files unchanged; commit .cruft.json"
    elif doc["changed"] != [".cruft.json"]:
        line = (f"{where}: updated {len(doc['changed'])} file(s) from the template: "
                f"{', '.join(shown(name) for name in doc['changed'])}; review with git diff, run the tests, "
                "then commit")
    else:
        line = f"{where}: the template's changes touch none of the package's files; commit .cruft.json"
    updated = not skip_update and doc["changed"] != [".cruft.json"]
    _finish(doc, "updated" if updated else "up_to_date", as_json, line)
    return 0


def _document(root: Path, status: str, link: Link, template: Template) -> dict[str, Any]:
    from compact_memory import __version__

    return {
        "path": str(root),
        "status": status,
        "result": None,
        "package": {"template": link.template, "directory": link.directory, "commit": link.commit,
                    "checkout": link.checkout, "digest": link.digest},
        "running": {"compact_memory": __version__, "template": template.template, "directory": template.directory,
                    "commit": template.commit, "checkout": template.checkout, "digest": template.digest,
                    "dirty": template.dirty, "source": template.source},
        "command": None,
        "changed": [],
        "conflicts": [],
    }


def _status_line(doc: dict[str, Any], link: Link, template: Template) -> str:
    from compact_memory.template_link import shown

    ours = f"the template of compact-memory {doc['running']['compact_memory']}"
    if template.commit:
        ours += f" (commit {template.commit[:12]}{', ' + template.checkout if template.checkout else ''})"
    theirs = f"template commit {shown(link.commit[:12])}"
    where = shown(str(doc["path"]))
    return {
        "current": f"{where}: up to date with {ours}",
        "behind": f"{where}: behind {ours}: generated from {theirs}; "
                  f"`compact-memory dev update-strategy-package {shlex.quote(where)}` applies the changes",
        "ahead": f"{where}: generated from {theirs}, newer than {ours}; upgrade compact-memory",
        "differs": f"{where}: generated from {theirs}, which differs from {ours}; "
                   f"`compact-memory dev update-strategy-package {shlex.quote(where)}` applies the changes",
    }[doc["status"]]


def _finish(doc: dict[str, Any], result: str, as_json: bool, line: str | None) -> None:
    doc["result"] = result
    if as_json:
        sys.stdout.write(json.dumps({"format_version": JSON_FORMAT_VERSION, **doc}, indent=2, ensure_ascii=False)
                         + "\n")
    elif line:
        print(line)

