"""``compact-memory``: the command line. Commands import what they need lazily.

``compact-memory --version`` is answered before argparse (and the ``re``
module it needs) is imported; everything else goes through
:mod:`compact_memory.cli_parser`.
"""

from __future__ import annotations

import os
import sys

from compact_memory import console
from compact_memory.error_handler import EXIT_OK, EXIT_USAGE, Exit, error_handler, terminate_on_sigterm
from compact_memory.plugins import DISABLE_ENV

TYPE_CHECKING = False  # typing costs a few ms at startup; only the type checker needs it
if TYPE_CHECKING:
    from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv[: argv.index("--")] if "--" in argv else "--debug" in argv
    terminate_on_sigterm()
    try:
        with error_handler(lambda: debug):
            if argv == ["--version"]:
                from compact_memory import output

                output.write_version()
                return EXIT_OK
            from compact_memory.cli_parser import build_parser

            args = build_parser(argv).parse_args(argv)
            console.set_verbosity(args.verbose)
            _apply_plugin_switches(args.no_plugins, args.disable_plugin)
            handler = getattr(args, "handler", None)
            if handler is None:
                args.help_parser.print_help(sys.stderr)
                return EXIT_USAGE
            return int(handler(args) or EXIT_OK)
    except Exit as exc:
        return exc.code


def _apply_plugin_switches(no_plugins: bool, disabled: list[str]) -> None:
    # Through the environment, so subprocesses (e.g. --check) see the same switches.
    items = [i for i in os.environ.get(DISABLE_ENV, "").split(",") if i.strip()]
    if no_plugins:
        items.append("all")
    items.extend(disabled)
    if items:
        os.environ[DISABLE_ENV] = ",".join(dict.fromkeys(items))
