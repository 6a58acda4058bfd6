"""``compact-memory dev inspect-trace FILE``: a saved compression trace, readable (kept from the original).

FILE is what ``compress --output-trace`` writes (one trace, or with --dir a
list of ``{"input", "trace"}``) or what ``compress --json`` prints.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from compact_memory.commands import add_command

MAX_BYTES = 50_000_000


def add_parser(commands: Any, parents: list[argparse.ArgumentParser], summary: str) -> None:
    parser = add_command(
        commands, "inspect-trace", parents, summary,
        description="Show a trace saved by `compress --output-trace FILE` (or printed by `compress --json`): the "
                    "strategy and its parameters, the tokenizer, input and output sizes, the time taken and every "
                    "step the strategy recorded.",
        epilog="Exit codes: 0 shown, 1 the file is not a trace, 2 usage error, 130 interrupted.",
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="a trace file")
    parser.add_argument("--json", action="store_true",
                        help='print {"format_version", "traces": [{"input", "trace"}]} on stdout')
    parser.set_defaults(handler=lambda a: run(a.file, as_json=a.json))


def run(file: Path, *, as_json: bool = False) -> int:
    from compact_memory import output

    traces = read_traces(file)
    if as_json:
        output.write_json({"file": str(file), "traces": [{"input": label, "trace": t} for label, t in traces]})
    else:
        output.write_text("\n".join(render(label, trace) for label, trace in traces))
    return 0


def read_traces(file: Path) -> list[tuple[str | None, dict[str, Any]]]:
    """(input label, trace) pairs from any of the shapes ``compress`` writes; one clear error otherwise."""
    import json

    from compact_memory.compression.trace import CompressionTrace
    from compact_memory.errors import InputError
    from compact_memory.io import read_regular_file

    try:
        raw = read_regular_file(file, MAX_BYTES)
    except FileNotFoundError:
        raise InputError(f"{file}: no such file") from None
    except OSError as exc:
        raise InputError(f"{file}: cannot read: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{file}: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{file}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"{file}: JSON nested too deeply to be a trace") from None
    found = [(label, trace) for label, trace in _shapes(data)]
    if not found:
        raise InputError(f"{file}: no compression trace in it",
                         hint="give a file written by compact-memory compress --output-trace FILE")
    for label, trace in found:
        try:
            CompressionTrace.from_dict(trace)
        except (TypeError, ValueError) as exc:
            where = f" (input {label})" if label else ""
            raise InputError(f"{file}: not a compression trace{where}: {exc}") from None
    return found


def _shapes(data: Any) -> list[tuple[str | None, dict[str, Any]]]:
    if isinstance(data, dict) and "strategy_name" in data:
        return [(None, data)]
    if isinstance(data, dict) and isinstance(data.get("trace"), dict):  # compress --json
        return [(str(data.get("input")), data["trace"])]
    items = data.get("results") if isinstance(data, dict) else data  # compress --dir --json, or --output-trace
    if isinstance(items, list):
        return [(str(item.get("input")), item["trace"]) for item in items
                if isinstance(item, dict) and isinstance(item.get("trace"), dict)]
    return []


def render(label: str | None, trace: dict[str, Any]) -> str:
    from compact_memory.diagnostics.render import printable

    inp, out = trace.get("input_summary") or {}, trace.get("output_summary") or {}
    lines = [f"== {label} ==" if label else "== trace =="]
    lines.append(f"strategy:  {trace.get('strategy_name')}  {_inline(trace.get('strategy_params') or {})}".rstrip())
    lines.append(f"tokenizer: {trace.get('tokenizer') or '?'}")
    ratio = (f"  ratio {out['tokens'] / inp['tokens']:.3f}"
             if isinstance(inp.get("tokens"), int) and inp.get("tokens") and isinstance(out.get("tokens"), int)
             else "")
    lines.append(f"input:     {inp.get('tokens', '?')} tokens, {inp.get('chars', '?')} chars, "
                 f"budget {inp.get('budget', '?')}")
    lines.append(f"output:    {out.get('tokens', '?')} tokens, {out.get('chars', '?')} chars{ratio}")
    if trace.get("processing_ms") is not None:
        lines.append(f"time:      {trace['processing_ms']} ms")
    steps = trace.get("steps") or []
    lines.append(f"steps ({len(steps)}):")
    for number, step in enumerate(steps, start=1):
        if isinstance(step, dict):
            lines.append(f"  {number}. {step.get('type', '?')}  {_inline(step.get('details') or {})}".rstrip())
        else:
            lines.append(f"  {number}. {step!r}")
    preview = trace.get("final_compressed_object_preview")
    if preview:
        lines.append("preview:   " + repr(preview[:200]))
    return "\n".join(printable(line, newlines=False) for line in lines) + "\n"


def _inline(details: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" if not isinstance(v, (dict, list)) else f"{k}=<{len(v)} items>"
                     for k, v in details.items())
