"""Reject answers that would generate a broken package, before any file is written.

Same rules as compact_memory/scaffold.py (a test keeps them in step); this
hook must not import compact_memory, because the cookiecutter CLI may run
in an environment without it.
"""

from __future__ import annotations

import keyword
import re
import sys

ANSWERS = {
    "package_name": {{ cookiecutter.package_name | tojson }},
    "strategy_id": {{ cookiecutter.strategy_id | tojson }},
    "class_name": {{ cookiecutter.class_name | tojson }},
    "display_name": {{ cookiecutter.display_name | tojson }},
    "author": {{ cookiecutter.author | tojson }},
    "description": {{ cookiecutter.description | tojson }},
    "version": {{ cookiecutter.version | tojson }},
}

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
STRATEGY_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*([ab]|rc|\.post|\.dev)?[0-9]*$")
TEMPLATE_SYNTAX = ("{" + "{", "{" + "%", "{" + "#")
MAX_PACKAGE_NAME = 100
MAX_TEXT = {"display_name": 100, "author": 200, "description": 500}
RESERVED_CLASS_NAMES = {"Any", "CompressedMemory", "CompressionStrategy", "CompressionTrace", "Param", "TextOrChunks"}
RESERVED_PACKAGE_NAMES = {"compact_memory", "tests", "test", "experiments"}


def problems(answers: dict[str, str]) -> list[str]:
    found = []
    pkg = answers["package_name"]
    if not IDENTIFIER.match(pkg) or keyword.iskeyword(pkg):
        found.append(
            f"package_name {pkg!r} is not a valid Python package name "
            "(ASCII letters, digits and _, not starting with a digit, not a keyword)"
        )
    elif len(pkg) > MAX_PACKAGE_NAME:
        found.append(f"package_name {pkg!r} is longer than {MAX_PACKAGE_NAME} characters")
    elif pkg in RESERVED_PACKAGE_NAMES or pkg in getattr(sys, "stdlib_module_names", ()):
        found.append(f"package_name {pkg!r} would shadow the module {pkg!r}; pick another name")
    sid = answers["strategy_id"]
    if not STRATEGY_ID.match(sid):
        found.append(
            f"strategy_id {sid!r} is invalid: use lowercase letters, digits and _, "
            "starting with a letter, at most 64 characters"
        )
    cls = answers["class_name"]
    if not IDENTIFIER.match(cls) or keyword.iskeyword(cls):
        found.append(f"class_name {cls!r} is not a Python identifier or is a keyword")
    elif cls in RESERVED_CLASS_NAMES:
        found.append(f"class_name {cls!r} would shadow compact-memory's own {cls}; pick another name")
    for key, limit in MAX_TEXT.items():
        value = answers[key]
        if not value.strip():
            found.append(f"{key} must not be empty")
        elif len(value) > limit:
            found.append(f"{key} is longer than {limit} characters")
        elif any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            found.append(f"{key} must be one line without control characters")
        elif any(mark in value for mark in TEMPLATE_SYNTAX):
            found.append(f"{key} must not contain template syntax")
    if not VERSION.match(answers["version"]):
        found.append(f"version {answers['version']!r} is not a release version such as 0.1.0")
    return found


def main() -> int:
    found = problems(ANSWERS)
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    if found:
        print("error: nothing was generated; run again with corrected values", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
