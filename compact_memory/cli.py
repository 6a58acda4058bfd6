"""``compact-memory``: the command line. Commands import what they need lazily."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from compact_memory import __version__, console
from compact_memory.error_handler import EXIT_OK, Exit, error_handler
from compact_memory.plugins import DISABLE_ENV

# Modules under compact_memory.commands, in the order `dev --help` lists them;
# each defines add_parser(subparsers, parents) and imports its heavy
# dependencies only when it runs.
DEV_COMMANDS = (
    "list_strategies",
    "create_strategy_package",
    "validate_strategy_package",
    "run_package_experiment",
    "search",
    "install_strategy_package",
    "uninstall_strategy_package",
)


def _global_options(top: bool) -> argparse.ArgumentParser:
    """Options accepted before and after the command name.

    Only the top-level parser sets defaults, so a value given before the
    command is not reset by the command's parser.
    """
    parser = argparse.ArgumentParser(add_help=False)

    def default(value: object) -> dict[str, object]:
        return {"default": value if top else argparse.SUPPRESS}

    parser.add_argument("-v", "--verbose", action="count", help="say more on stderr (notes about plugin discovery)",
                        **default(0))  # type: ignore[arg-type]
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors",
                        **default(False))  # type: ignore[arg-type]
    parser.add_argument("--no-plugins", action="store_true",
                        help=f"use built-in strategies only (or set {DISABLE_ENV}=all)",
                        **default(False))  # type: ignore[arg-type]
    parser.add_argument("--disable-plugin", action="append", metavar="ID",
                        help=f"ignore plugins with this strategy id; repeatable (or set {DISABLE_ENV}=id1,id2)",
                        **default([]))  # type: ignore[arg-type]
    return parser


def build_parser() -> argparse.ArgumentParser:
    common = _global_options(top=False)
    parser = argparse.ArgumentParser(
        prog="compact-memory",
        description="Compress long text to a token budget with built-in or plugin strategies.",
        parents=[_global_options(top=True)],
        epilog="Exit codes: 0 success, 1 findings or failure, 2 usage error, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"compact-memory {__version__}")
    parser.set_defaults(help_parser=parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    from compact_memory.commands import compress as compress_cmd

    compress_cmd.add_parser(commands, [common])

    dev = commands.add_parser("dev", help="tools for strategy authors", parents=[common])
    dev.set_defaults(help_parser=dev)
    dev_commands = dev.add_subparsers(dest="dev_command", metavar="DEV_COMMAND")
    for name in DEV_COMMANDS:
        importlib.import_module(f"compact_memory.commands.{name}").add_parser(dev_commands, [common])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    console.set_verbosity(args.verbose)
    _apply_plugin_switches(args.no_plugins, args.disable_plugin)
    handler = getattr(args, "handler", None)
    if handler is None:
        args.help_parser.print_help(sys.stderr)
        return 2
    try:
        with error_handler(lambda: bool(args.debug)):
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
