"""One error hierarchy; ``cli.error_handler`` maps it to exit codes."""

from __future__ import annotations


class CompactMemoryError(Exception):
    """A known failure: printed as one line, exit code 1."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} (hint: {self.hint})"
        return self.message


class UsageError(CompactMemoryError):
    """The command line or an API call was used wrongly: exit code 2."""

    exit_code = 2


class StrategyNotFoundError(CompactMemoryError, KeyError):
    """No strategy has the requested id."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return CompactMemoryError.__str__(self)


class PluginError(CompactMemoryError):
    """A plugin could not be read, imported or used.

    ``reason`` is what the plugin itself did (``ValueError: bad input``), for
    reports that already say which plugin ran.
    """

    reason: str | None = None


class TokenizerError(CompactMemoryError):
    """A tokenizer could not be loaded."""


class InputError(CompactMemoryError):
    """An input file or text could not be read."""
