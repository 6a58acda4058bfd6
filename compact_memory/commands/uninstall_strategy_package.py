"""``compact-memory dev uninstall-strategy-package ID``: remove exactly what install-strategy-package wrote."""

from __future__ import annotations

import argparse
from typing import Any

from compact_memory.commands import add_command

DESCRIPTION = (
    "Remove the files that install-strategy-package put in the user plugin directory (or --from DIR) "
    "for strategy ID. Refuses a directory it did not install, or whose files were changed since, "
    "unless --force. Files added later are kept. A strategy that install-strategy-package installed "
    "with pip is removed with pip: only its own distribution, and not while another installed "
    "distribution requires it."
)


def add_parser(commands: Any, parents: list[argparse.ArgumentParser], summary: str) -> None:
    parser = add_command(
        commands, "uninstall-strategy-package", parents, summary, description=DESCRIPTION,
        epilog="Exit codes: 0 removed, 1 refused or failed, 2 usage error, 130 interrupted.",
    )
    parser.add_argument("strategy_id", metavar="ID", help="the strategy id (the installed directory's name)")
    parser.add_argument("--from", metavar="DIR", dest="from_dir",
                        help="the plugin directory it was installed into with --to")
    parser.add_argument("--force", action="store_true",
                        help="remove the whole directory even if compact-memory did not install it or it changed")
    parser.add_argument("--json", action="store_true", help="print a JSON document on stdout")
    parser.set_defaults(handler=lambda a: run(a.strategy_id, from_dir=a.from_dir, force=a.force, as_json=a.json))


def run(strategy_id: str, *, from_dir: str | None = None, force: bool = False, as_json: bool = False) -> int:
    import os

    from compact_memory import console, output
    from compact_memory.names import is_strategy_id
    from compact_memory.plugins.install import plugin_root, uninstall

    root = plugin_root(from_dir, create=False, option="--from")
    if from_dir is None and not os.path.lexists(root / strategy_id) and is_strategy_id(strategy_id):
        from compact_memory.community.pip_install import distribution_of, uninstall_with_pip

        name = distribution_of(strategy_id)
        if name is not None:
            doc = uninstall_with_pip(strategy_id, name)
            if as_json:
                output.write_json(doc)
            else:
                output.write_text(f"uninstalled {strategy_id} {doc['version']} (the distribution {name}) with pip\n")
            return 0
    outcome = uninstall(strategy_id, root, force=force)
    if as_json:
        output.write_json({"result": outcome.action, **outcome.to_json()})
    else:
        output.write_text(f"uninstalled {outcome.strategy_id} {outcome.version} from {outcome.path} "
                          f"({len(outcome.files)} file{'s' if len(outcome.files) != 1 else ''} removed)\n")
    if outcome.kept:
        shown = ", ".join(outcome.kept[:5]) + (f" and {len(outcome.kept) - 5} more" if len(outcome.kept) > 5 else "")
        console.warn(f"kept {len(outcome.kept)} file(s) that were not installed by compact-memory in "
                     f"{outcome.path}: {shown}")
    return 0
