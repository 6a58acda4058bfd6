"""Every finding code, its default severity, what it means and how to fix it.

Codes are stable: a code is never reused for a different problem. The table
in docs/validator.md is generated from this one (a test keeps them equal).
"""

from __future__ import annotations

ERROR, WARNING, INFO = "error", "warning", "info"


class Code:
    """A code's default severity, what it means and how to fix it (a plain class: listing imports this)."""

    __slots__ = ("fix", "severity", "title")

    def __init__(self, severity: str, title: str, fix: str) -> None:
        self.severity = severity
        self.title = title
        self.fix = fix


# One code a paragraph: code, default severity, title; then the fix, indented (its lines joined by spaces).
_TABLE = """
# Paths
CM001 error   path does not exist
    Check the spelling of the PATH argument.
CM002 error   no strategy package owns this path
    Point at a directory holding strategy_package.yaml (or a file inside one); `compact-memory dev
    create-strategy-package` makes a new package.
# Reading and YAML
CM101 error   file cannot be read
    Check that the file exists and is readable.
CM102 error   file is too large
    A manifest or experiment file must be under 1 MB; keep data in separate files.
CM103 error   not UTF-8 text
    Save the file as UTF-8 text without control characters.
CM104 error   YAML syntax error
    Fix the YAML at the reported line and column (indentation, a missing colon or an unclosed quote or
    bracket).
CM105 error   YAML tag not allowed
    Remove the `!tag`: manifests hold plain strings, numbers, booleans, lists and mappings only.
CM106 error   YAML too deep or too many aliases
    Write the values out; do not nest deeply or expand anchors and aliases (`&x`, `*x`) into large
    structures.
CM107 error   duplicate key
    Keep one of the two entries: YAML would silently use the last.
CM108 error   document is not a mapping
    Write `key: value` lines at the top level, e.g. `strategy_id: my_strategy`.
# Schema
CM201 error   missing required key
    Add the key; the hint shows what it holds.
CM202 error   unknown key
    Fix the spelling (see the did-you-mean hint) or remove the key.
CM203 error   wrong type
    Write a value of the type named in the message.
CM204 error   text written as a number, boolean or date
    Quote the value, e.g. version: "1.0": YAML reads 1.10 as the number 1.1.
CM205 error   invalid value
    Change the value to satisfy the rule in the message; the hint quotes the key's description.
CM206 error   invalid requirement or version specifier
    Write a PEP 508 requirement such as "numpy>=1.24" or a PEP 440 specifier such as ">=0.1,<0.2".
CM207 error   strategy id of a built-in
    Choose another strategy_id, or set overrides_builtin: true to replace the built-in strategy with this
    one.
# Files
CM301 error   strategy module not found
    Create the module file or fix strategy_module (a dotted name without .py, e.g. `strategy` for
    strategy.py).
CM302 error   path leaves the package
    Keep every file the manifest names inside the package directory; replace symlinks that point outside
    with real files.
CM303 warning README missing
    Add a README.md that says what the strategy does and how to use it.
CM304 warning requirements.txt disagrees with dependencies
    Make requirements.txt list exactly the requirements in `dependencies`.
# Static class checks
CM401 error   strategy module cannot be parsed
    Fix the Python syntax error at the reported line.
CM402 error   strategy class not defined
    Define the class named by strategy_class_name in strategy_module, or fix the name.
CM403 error   class does not derive from CompressionStrategy
    Subclass compact_memory.compression.CompressionStrategy.
CM404 warning base class cannot be checked statically
    Nothing to fix if the import check passes; otherwise subclass CompressionStrategy directly.
CM405 error   class has no id
    Set `id = "<strategy_id>"` in the class body.
CM406 error   class id differs from strategy_id
    Make the class `id` and strategy_id the same string.
CM407 warning class id is not a string literal
    Write the id as a literal, e.g. id = "my_strategy", so tools can read it without running code.
CM408 error   compress is not defined
    Define `def compress(self, text_or_chunks, llm_token_budget, **kwargs)` in the class.
CM409 error   class version differs from the manifest
    Give the class `version` and the manifest's version the same string, or drop `version` from the class.
# Experiments
CM501 error   experiment file not found
    Fix the path in default_experiments (relative to the package directory) or add the file.
CM502 error   experiment names another strategy
    Set the experiment's strategy_id to the package's strategy_id, or remove it (it defaults to the
    package's); compare other strategies through `baselines`.
CM503 error   experiment data not found
    Fix the dataset or input path (relative to the experiment file) or add the data.
CM504 error   dataset record invalid
    Make each JSONL line a JSON object with a string "text" and optional "reference" and "qa": [{"question":
    ..., "answer": ...}].
# Environment
CM601 warning dependency not installed
    Run the `pip install` line in the hint.
CM602 warning installed dependency outside the declared range
    Run the `pip install` line in the hint, or widen the requirement.
CM603 error   compact-memory version outside compact_memory_version
    Install a compact-memory release in the declared range, or widen compact_memory_version.
# Import check (runs the plugin's code, in a subprocess)
CM701 error   import failed
    Fix the error raised while importing strategy_module; install missing dependencies first.
CM702 error   import timed out
    Do no long work at import time (no downloads, no loops); or raise --timeout.
CM703 error   import process crashed
    The interpreter died while importing the module (a crash in an extension module, or os._exit); run the
    import by hand to see why.
CM704 error   loaded class is wrong
    Make strategy_class_name a CompressionStrategy subclass whose id equals strategy_id.
CM705 info    import check skipped
    Install the package's dependencies, or use --import-check require to try anyway.
CM706 error   strategy contract check failed
    Fix the strategy so `compact_memory.testing.check_strategy` passes; run it in your tests.
CM707 warning contract checks unavailable
    Install a compact-memory with the testing kit (compact_memory.testing).
# The distribution pip builds (pyproject.toml, or setup.cfg), against the manifest
CM901 error   pyproject.toml or setup.cfg cannot be read
    Fix the file at the reported line; pip cannot build the package until it parses.
CM902 error   no project metadata to build from
    Add a [project] table (name, version, dependencies, entry point) to pyproject.toml, or remove
    [build-system] if nothing is built.
CM903 error   no compact_memory.strategies entry point
    Declare the entry point `[project.entry-points."compact_memory.strategies"]` with `<strategy_id> =
    "<package>.<strategy_module>:<strategy_class_name>"`.
CM904 error   entry-point name differs from strategy_id
    Name the entry point after the strategy id: the name is the id compact-memory lists.
CM905 error   entry point loads another class than the manifest
    Point the entry point at strategy_module:strategy_class_name as the installed package imports it.
CM906 error   versions disagree
    Give pyproject.toml, strategy_package.yaml (and the class, if it sets one) the same version.
CM907 info    dynamic version not compared
    Nothing to fix; make sure the version the build sets equals the manifest's.
CM908 error   dependency pip will not install
    Add the requirement to [project] dependencies in pyproject.toml (pip installs those, not
    requirements.txt).
CM909 warning dependency missing from the manifest
    List the requirement under dependencies in strategy_package.yaml (and requirements.txt), so directory
    installs get it too.
CM910 error   compact-memory requirement excludes this version
    Widen the compact-memory requirement, or install a compact-memory it allows.
# The community index (community/strategies.yaml; its other findings use the codes above)
CM801 error   strategy id listed twice in the index
    Keep one entry per strategy id: update the existing entry instead of adding another.
"""


def _parse(table: str) -> dict[str, Code]:
    codes: dict[str, Code] = {}
    code = ""
    for line in table.splitlines():
        if line.startswith("CM"):
            code, severity, title = line.split(maxsplit=2)
            codes[code] = Code(severity, title, "")
        elif line.startswith("    "):
            entry = codes[code]
            entry.fix = f"{entry.fix} {line.strip()}" if entry.fix else line.strip()
    return codes


CODES: dict[str, Code] = _parse(_TABLE)


def markdown_table() -> str:
    """The codes table of docs/validator.md."""
    lines = ["| Code | Severity | Problem | Fix |", "|---|---|---|---|"]
    for code, info in CODES.items():
        fix = info.fix.replace("|", "\\|")
        lines.append(f"| `{code}` | {info.severity} | {info.title} | {fix} |")
    return "\n".join(lines) + "\n"
