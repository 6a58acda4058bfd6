"""One module per command: ``add_parser`` declares it, ``run`` does it.

argparse builds a help formatter for every option it adds, and its
formatter imports shutil (with bz2, lzma and fnmatch) to size itself; the
formatters here size themselves the same way without it, so parsing the
command line stays cheap. Commands use :class:`RawDescriptionFormatter`
instead of argparse's.
"""

from __future__ import annotations

import argparse
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn


def columns() -> int:
    """What shutil.get_terminal_size() gives: $COLUMNS, else the terminal's width, else 80."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class Formatter(argparse.HelpFormatter):
    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, columns() - 2 if width is None else width)


class RawDescriptionFormatter(Formatter, argparse.RawDescriptionHelpFormatter):
    """Keeps the description's line breaks."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser with :class:`Formatter`; subcommand parsers are made of this class too.

    A usage error is one line, ``error: ... (hint: run '... --help')``, like
    every other error; the full usage is what ``--help`` shows.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        from compact_memory.errors import UsageError

        raise UsageError(message, hint=f"run '{self.prog} --help' for the options")


def add_command(commands: Any, name: str, parents: list[argparse.ArgumentParser], summary: str, *,
                description: str, epilog: str | None = None, raw: bool = False) -> argparse.ArgumentParser:
    """The parser of one command, as every command's ``add_parser`` makes it.

    ``parents`` hold the options every command takes, ``summary`` is its line
    in the list of commands, ``description`` and ``epilog`` frame its --help;
    ``raw`` keeps their line breaks (:class:`RawDescriptionFormatter`).
    """
    formatter: type[Formatter] = RawDescriptionFormatter if raw else Formatter
    parser: argparse.ArgumentParser = commands.add_parser(
        name, parents=parents, help=summary, description=description, epilog=epilog, formatter_class=formatter)
    return parser
