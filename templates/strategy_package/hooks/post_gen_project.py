"""Record where this package came from in .cruft.json, in cruft's format.

With it, ``cruft check``, ``cruft update`` and ``cruft diff`` work on the
package (its README, "Keeping up with the template", says how). What the
origin is, is decided in strategy_template_origin.py next to cookiecutter.json. Like
every hook here, this one must not import compact_memory, because the
cookiecutter CLI may run in an environment without it.
"""

from __future__ import annotations

import json
import sys

COOKIECUTTER = json.loads(r'''{{ cookiecutter | tojson }}''')
TEMPLATE_DIR = {{ template_dir | tojson }}
# The author's own from the first edit: template updates never touch these files.
SKIP = ["strategy.py"]


def main() -> int:
    if "_commit" in COOKIECUTTER:
        return 0  # cruft is rendering the template (create, update, diff) and writes .cruft.json itself
    sys.dont_write_bytecode = True
    sys.path.insert(0, TEMPLATE_DIR)
    import strategy_template_origin as template_origin

    found = template_origin.origin(
        TEMPLATE_DIR, given=COOKIECUTTER.get("_template"), checkout=COOKIECUTTER.get("_checkout")
    )
    if found is None:
        print(
            f"warning: .cruft.json was not written: the template in {TEMPLATE_DIR} is neither tracked in git "
            "nor part of an installed compact-memory, so updates could not find it again "
            "(hint: link the package to the template later with cruft link; see its README)",
            file=sys.stderr,
        )
        return 0
    if found["dirty"]:
        print(
            f"warning: the template in {TEMPLATE_DIR} has changes that are not in its commit "
            f"{found['commit'][:12]}; .cruft.json records that commit, so a later update will treat "
            "those changes as template changes (hint: generate from a committed template)",
            file=sys.stderr,
        )
    state = template_origin.cruft_state(COOKIECUTTER, found, SKIP)
    with open(".cruft.json", "x", encoding="utf-8", newline="\n") as out:
        out.write(template_origin.dumps(state))
    return 0


if __name__ == "__main__":
    sys.exit(main())
