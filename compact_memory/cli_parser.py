"""The argparse parser of ``compact-memory``; only the command being run gets its options."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from compact_memory.commands import Parser
from compact_memory.plugins import DISABLE_ENV

TYPE_CHECKING = False  # typing costs a few ms at startup; only the type checker needs it
if TYPE_CHECKING:
    from typing import Any

# Command name -> (module under compact_memory.commands, one-line summary), in
# the order help lists them. Only the module of the command being run is
# imported: each defines add_parser(subparsers, parents, summary) and a handler.
COMMANDS = {
    "compress": ("compress", "compress text to a token budget"),
}
DEV_COMMANDS = {
    "list-strategies": ("list_strategies", "list built-in and plugin strategies with their source and status"),
    "create-strategy-package": (
        "create_strategy_package", "generate a new strategy package (tests, pre-commit and CI included)"),
    "update-strategy-package": (
        "update_strategy_package", "apply template changes to a generated strategy package (cruft update)"),
    "validate-strategy-package": (
        "validate_strategy_package",
        "check strategy packages: manifest, files, class, experiments (see docs/validator.md)",
    ),
    "run-package-experiment": (
        "run_package_experiment", "run a strategy package's experiments and compare it with baseline strategies"),
    "search": ("search", "search the community index of shared strategies (offline) and show which are installed"),
    "install-strategy-package": (
        "install_strategy_package",
        "install a strategy package (directory, index id, git URL, wheel or requirement), verified first"),
    "uninstall-strategy-package": (
        "uninstall_strategy_package", "remove a strategy package installed with install-strategy-package"),
    "inspect-trace": ("inspect_trace", "show a saved compression trace: strategy, sizes, time and every step"),
}
# Global options that take a value, so the command name can be found before parsing.
_VALUE_OPTIONS = ("--disable-plugin",)


class _Version(argparse.Action):
    """Like argparse's "version" action, without its help formatter (which imports shutil and more)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from compact_memory import output

        output.write_version()
        parser.exit()


def _global_options(top: bool) -> Parser:
    """Options accepted before and after the command name.

    Only the top-level parser sets defaults, so a value given before the
    command is not reset by the command's parser.
    """
    parser = Parser(add_help=False)

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


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; of the commands, only the one ``argv`` names gets its options (all of them without argv)."""
    common = _global_options(top=False)
    parser = Parser(
        prog="compact-memory",
        description="Compress long text to a token budget with built-in or plugin strategies.",
        parents=[_global_options(top=True)],
        epilog="Exit codes: 0 success, 1 findings or failure, 2 usage error, 130 interrupted.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="print the version and exit")
    parser.set_defaults(help_parser=parser)
    words = _command_words(argv)
    # prog given, or argparse builds a help formatter to work it out
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", prog="compact-memory")
    _add_commands(commands, COMMANDS, words[:1], argv is None, common)
    dev = commands.add_parser("dev", help="tools for strategy authors", parents=[common])
    dev.set_defaults(help_parser=dev)
    dev_commands = dev.add_subparsers(dest="dev_command", metavar="DEV_COMMAND", prog="compact-memory dev")
    _add_commands(dev_commands, DEV_COMMANDS, words[1:2] if words[:1] == ["dev"] else [], argv is None, common)
    return parser


def _add_commands(
    subparsers: Any, table: dict[str, tuple[str, str]], chosen: list[str], every: bool, common: argparse.ArgumentParser
) -> None:
    for name, (module, summary) in table.items():
        if every or name in chosen:
            importlib.import_module(f"compact_memory.commands.{module}").add_parser(subparsers, [common], summary)
        else:
            subparsers.add_parser(name, help=summary, add_help=False)  # listed in help; never selected here


def _command_words(argv: Sequence[str] | None) -> list[str]:
    """The words before the command's own options: ["dev", "list-strategies"], ["compress"], ..."""
    words: list[str] = []
    args = iter(sys.argv[1:] if argv is None else argv)
    for arg in args:
        if arg == "--":
            break
        if len(arg) > 2 and any(option.startswith(arg) for option in _VALUE_OPTIONS):  # argparse takes prefixes
            next(args, None)
        elif not arg.startswith("-"):
            words.append(arg)
            if len(words) == 2 or words[0] != "dev":
                break
    return words
