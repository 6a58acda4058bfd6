"""Result files: written atomically, rewritten as rows arrive so Ctrl-C keeps what is done."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

from compact_memory import io
from compact_memory.errors import CompactMemoryError, UsageError
from compact_memory.experiments.report import RUNNING, ExperimentRun, render

RESULT_SUFFIXES = (".json", ".csv")
CHECKPOINT_SECONDS = 2.0


def check_suffixes(output: Path | None, plot: Path | None) -> None:
    if output is not None and output.suffix.lower() not in RESULT_SUFFIXES:
        raise UsageError(f"--output {output}: the name must end in .json or .csv",
                         hint="the extension chooses the format")
    if plot is not None and plot.suffix.lower() != ".png":
        raise UsageError(f"--plot {plot}: the name must end in .png")
    if output is not None and plot is not None and output.resolve() == plot.resolve():
        raise UsageError("--output and --plot name the same file")
    for path in (output, plot):
        if path is not None and not path.parent.is_dir():
            raise CompactMemoryError(f"cannot write {path}: directory {path.parent} does not exist")


class Checkpoint:
    """Keeps ``path`` equal to the results so far: after the first row, then at most every few seconds."""

    def __init__(self, path: Path | None, package: dict[str, Any], runs: list[ExperimentRun], *,
                 force: bool) -> None:
        self.path = path
        self.package = package
        self.runs = runs
        self.overwrite = force  # only the first write may meet a file that is not ours
        self.last = 0.0

    def row_done(self) -> None:
        if self.path is not None and (not self.last or time.monotonic() - self.last >= CHECKPOINT_SECONDS):
            self.write(RUNNING)

    def write(self, status: str) -> None:
        if self.path is None:
            return
        text = render(self.path, self.package, self.runs, status)
        try:
            io.atomic_write_text(self.path, text, overwrite=self.overwrite)
        finally:
            # Ctrl-C can land after the file was moved into place but before this
            # returned; the file is ours then, and the final write must replace it.
            if not self.overwrite:
                with contextlib.suppress(OSError, UnicodeDecodeError):
                    self.overwrite = self.path.read_text(encoding="utf-8") == text
        self.last = time.monotonic()


