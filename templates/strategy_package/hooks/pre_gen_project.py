"""Reject answers that would generate a broken package, before any file is written.

The rules are in the template's local_extensions.py, the one place both
plain cookiecutter and ``compact-memory dev create-strategy-package`` read
them from; this hook must not import compact_memory (the cookiecutter CLI
may run without it).
"""

from __future__ import annotations

import sys

sys.path.insert(0, {{ naming_rules_dir() | tojson }})

from local_extensions import problems  # noqa: E402

ANSWERS = {
    "package_name": {{ cookiecutter.package_name | tojson }},
    "strategy_id": {{ cookiecutter.strategy_id | tojson }},
    "class_name": {{ cookiecutter.class_name | tojson }},
    "display_name": {{ cookiecutter.display_name | tojson }},
    "author": {{ cookiecutter.author | tojson }},
    "description": {{ cookiecutter.description | tojson }},
    "version": {{ cookiecutter.version | tojson }},
    "overrides_builtin": {{ cookiecutter.overrides_builtin | string | tojson }},
}


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
