"""Findings as text for people and as GitHub workflow commands; text from packages made printable.

Everything printed here may contain what a package wrote (a display name, a
directory name, a YAML value). :func:`printable` keeps it from moving the
cursor, rewriting the line, reordering text (bidi overrides) or starting a
workflow command in a CI log.
"""

from __future__ import annotations

import re

from compact_memory.diagnostics.codes import ERROR, INFO, WARNING
from compact_memory.diagnostics.findings import Finding

# C0 and C1 controls but tab and newline, DEL, and the invisible format characters
# that change how text around them is shown (bidi embeddings, overrides, isolates, marks).
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def printable(text: str, *, newlines: bool = True) -> str:
    """``text`` with control and bidi characters shown as escapes (``\\x1b``, ``\\u202e``)."""
    shown = _UNPRINTABLE.sub(_escape, text)
    return shown if newlines else shown.replace("\n", "\\n")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def text_line(finding: Finding) -> str:
    """``path:line:col: severity CODE message (hint: ...)``; continuation lines are indented."""
    line = f"{finding.location}: {finding.severity} {finding.code} {finding.message}"
    if finding.hint:
        line += f" (hint: {finding.hint})"
    return printable(line).replace("\n", "\n    ")


_COMMAND = {ERROR: "error", WARNING: "warning", INFO: "notice"}


def escape_data(text: str) -> str:
    """A workflow command's message: no line break can end it early."""
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_line(finding: Finding) -> str:
    """``::error file=...,line=...,col=...,title=CODE::message``."""
    props = [f"file={escape_property(finding.file)}"]
    if finding.line is not None:
        props += [f"line={finding.line}", f"col={finding.column or 1}"]
    props.append(f"title={escape_property(finding.code)}")
    message = finding.message + (f" (hint: {finding.hint})" if finding.hint else "")
    return f"::{_COMMAND[finding.severity]} {','.join(props)}::{escape_data(message)}"
