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


CODES: dict[str, Code] = {
    # Paths
    "CM001": Code(ERROR, "path does not exist", "Check the spelling of the PATH argument."),
    "CM002": Code(ERROR, "no strategy package owns this path",
                  "Point at a directory holding strategy_package.yaml (or a file inside one); "
                  "`compact-memory dev create-strategy-package` makes a new package."),
    # Reading and YAML
    "CM101": Code(ERROR, "file cannot be read", "Check that the file exists and is readable."),
    "CM102": Code(ERROR, "file is too large", "A manifest or experiment file must be under 1 MB; keep data in "
                  "separate files."),
    "CM103": Code(ERROR, "not UTF-8 text", "Save the file as UTF-8 text without control characters."),
    "CM104": Code(ERROR, "YAML syntax error", "Fix the YAML at the reported line and column (indentation, "
                  "a missing colon or an unclosed quote or bracket)."),
    "CM105": Code(ERROR, "YAML tag not allowed", "Remove the `!tag`: manifests hold plain strings, numbers, "
                  "booleans, lists and mappings only."),
    "CM106": Code(ERROR, "YAML too deep or too many aliases", "Write the values out; do not nest deeply or "
                  "expand anchors and aliases (`&x`, `*x`) into large structures."),
    "CM107": Code(ERROR, "duplicate key", "Keep one of the two entries: YAML would silently use the last."),
    "CM108": Code(ERROR, "document is not a mapping", "Write `key: value` lines at the top level, e.g. "
                  "`strategy_id: my_strategy`."),
    # Schema
    "CM201": Code(ERROR, "missing required key", "Add the key; the hint shows what it holds."),
    "CM202": Code(ERROR, "unknown key", "Fix the spelling (see the did-you-mean hint) or remove the key."),
    "CM203": Code(ERROR, "wrong type", "Write a value of the type named in the message."),
    "CM204": Code(ERROR, "text written as a number, boolean or date", 'Quote the value, e.g. version: "1.0": '
                  "YAML reads 1.10 as the number 1.1."),
    "CM205": Code(ERROR, "invalid value", "Change the value to satisfy the rule in the message; the hint "
                  "quotes the key's description."),
    "CM206": Code(ERROR, "invalid requirement or version specifier", 'Write a PEP 508 requirement such as '
                  '"numpy>=1.24" or a PEP 440 specifier such as ">=0.1,<0.2".'),
    "CM207": Code(ERROR, "strategy id of a built-in", "Choose another strategy_id, or set overrides_builtin: "
                  "true to replace the built-in strategy with this one."),
    # Files
    "CM301": Code(ERROR, "strategy module not found", "Create the module file or fix strategy_module "
                  "(a dotted name without .py, e.g. `strategy` for strategy.py)."),
    "CM302": Code(ERROR, "path leaves the package", "Keep every file the manifest names inside the package "
                  "directory; replace symlinks that point outside with real files."),
    "CM303": Code(WARNING, "README missing", "Add a README.md that says what the strategy does and how to "
                  "use it."),
    "CM304": Code(WARNING, "requirements.txt disagrees with dependencies", "Make requirements.txt list exactly "
                  "the requirements in `dependencies`."),
    # Static class checks
    "CM401": Code(ERROR, "strategy module cannot be parsed", "Fix the Python syntax error at the reported "
                  "line."),
    "CM402": Code(ERROR, "strategy class not defined", "Define the class named by strategy_class_name in "
                  "strategy_module, or fix the name."),
    "CM403": Code(ERROR, "class does not derive from CompressionStrategy", "Subclass "
                  "compact_memory.compression.CompressionStrategy."),
    "CM404": Code(WARNING, "base class cannot be checked statically", "Nothing to fix if the import check "
                  "passes; otherwise subclass CompressionStrategy directly."),
    "CM405": Code(ERROR, "class has no id", 'Set `id = "<strategy_id>"` in the class body.'),
    "CM406": Code(ERROR, "class id differs from strategy_id", "Make the class `id` and strategy_id the same "
                  "string."),
    "CM407": Code(WARNING, "class id is not a string literal", 'Write the id as a literal, e.g. '
                  'id = "my_strategy", so tools can read it without running code.'),
    "CM408": Code(ERROR, "compress is not defined", "Define `def compress(self, text_or_chunks, "
                  "llm_token_budget, **kwargs)` in the class."),
    "CM409": Code(ERROR, "class version differs from the manifest", "Give the class `version` and the "
                  "manifest's version the same string, or drop `version` from the class."),
    # Experiments
    "CM501": Code(ERROR, "experiment file not found", "Fix the path in default_experiments (relative to the "
                  "package directory) or add the file."),
    "CM502": Code(ERROR, "experiment names another strategy", "Set the experiment's strategy_id to the "
                  "package's strategy_id, or remove it (it defaults to the package's); compare other "
                  "strategies through `baselines`."),
    "CM503": Code(ERROR, "experiment data not found", "Fix the dataset or input path (relative to the "
                  "experiment file) or add the data."),
    "CM504": Code(ERROR, "dataset record invalid", 'Make each JSONL line a JSON object with a string "text" '
                  'and optional "reference" and "qa": [{"question": ..., "answer": ...}].'),
    # Environment
    "CM601": Code(WARNING, "dependency not installed", "Run the `pip install` line in the hint."),
    "CM602": Code(WARNING, "installed dependency outside the declared range", "Run the `pip install` line in "
                  "the hint, or widen the requirement."),
    "CM603": Code(ERROR, "compact-memory version outside compact_memory_version", "Install a compact-memory "
                  "release in the declared range, or widen compact_memory_version."),
    # Import check (runs the plugin's code, in a subprocess)
    "CM701": Code(ERROR, "import failed", "Fix the error raised while importing strategy_module; install "
                  "missing dependencies first."),
    "CM702": Code(ERROR, "import timed out", "Do no long work at import time (no downloads, no loops); "
                  "or raise --timeout."),
    "CM703": Code(ERROR, "import process crashed", "The interpreter died while importing the module (a crash "
                  "in an extension module, or os._exit); run the import by hand to see why."),
    "CM704": Code(ERROR, "loaded class is wrong", "Make strategy_class_name a CompressionStrategy subclass "
                  "whose id equals strategy_id."),
    "CM705": Code(INFO, "import check skipped", "Install the package's dependencies, or use "
                  "--import-check require to try anyway."),
    "CM706": Code(ERROR, "strategy contract check failed", "Fix the strategy so `compact_memory.testing."
                  "check_strategy` passes; run it in your tests."),
    "CM707": Code(WARNING, "contract checks unavailable", "Install a compact-memory with the testing kit "
                  "(compact_memory.testing)."),
    # The distribution pip builds (pyproject.toml, or setup.cfg), against the manifest
    "CM901": Code(ERROR, "pyproject.toml or setup.cfg cannot be read", "Fix the file at the reported line; pip "
                  "cannot build the package until it parses."),
    "CM902": Code(ERROR, "no project metadata to build from", "Add a [project] table (name, version, "
                  "dependencies, entry point) to pyproject.toml, or remove [build-system] if nothing is built."),
    "CM903": Code(ERROR, "no compact_memory.strategies entry point", "Declare the entry point "
                  '`[project.entry-points."compact_memory.strategies"]` with `<strategy_id> = '
                  '"<package>.<strategy_module>:<strategy_class_name>"`.'),
    "CM904": Code(ERROR, "entry-point name differs from strategy_id", "Name the entry point after the "
                  "strategy id: the name is the id compact-memory lists."),
    "CM905": Code(ERROR, "entry point loads another class than the manifest", "Point the entry point at "
                  "strategy_module:strategy_class_name as the installed package imports it."),
    "CM906": Code(ERROR, "versions disagree", "Give pyproject.toml, strategy_package.yaml (and the class, if it "
                  "sets one) the same version."),
    "CM907": Code(INFO, "dynamic version not compared", "Nothing to fix; make sure the version the build sets "
                  "equals the manifest's."),
    "CM908": Code(ERROR, "dependency pip will not install", "Add the requirement to [project] dependencies in "
                  "pyproject.toml (pip installs those, not requirements.txt)."),
    "CM909": Code(WARNING, "dependency missing from the manifest", "List the requirement under dependencies in "
                  "strategy_package.yaml (and requirements.txt), so directory installs get it too."),
    "CM910": Code(ERROR, "compact-memory requirement excludes this version", "Widen the compact-memory "
                  "requirement, or install a compact-memory it allows."),
    # The community index (community/strategies.yaml; its other findings use the codes above)
    "CM801": Code(ERROR, "strategy id listed twice in the index", "Keep one entry per strategy id: update "
                  "the existing entry instead of adding another."),
}


def markdown_table() -> str:
    """The codes table of docs/validator.md."""
    lines = ["| Code | Severity | Problem | Fix |", "|---|---|---|---|"]
    for code, info in CODES.items():
        fix = info.fix.replace("|", "\\|")
        lines.append(f"| `{code}` | {info.severity} | {info.title} | {fix} |")
    return "\n".join(lines) + "\n"
