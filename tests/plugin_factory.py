"""Build real plugins on disk: local strategy packages and installed distributions."""

from __future__ import annotations

import textwrap
from pathlib import Path

STRATEGY_SOURCE = '''
from compact_memory.compression import CompressionStrategy, CompressedMemory, CompressionTrace
from compact_memory.tokenizers import get_tokenizer, head


class {class_name}(CompressionStrategy):
    id = "{class_id}"
    display_name = "{display_name}"

    def compress(self, text_or_chunks, llm_token_budget, **kwargs):
        text = text_or_chunks if isinstance(text_or_chunks, str) else " ".join(text_or_chunks)
        out = "{marker}" + head(get_tokenizer(kwargs.get("tokenizer")), text, max(0, llm_token_budget - 1))
        out = out if get_tokenizer(kwargs.get("tokenizer")).count(out) <= llm_token_budget else ""
        return CompressedMemory(text=out), CompressionTrace(strategy_name=self.id)
'''


def manifest_text(strategy_id: str, *, class_name: str = "PluginStrategy", module: str = "strategy",
                  display_name: str | None = None, version: str = '"1.0.0"', extra: str = "") -> str:
    return textwrap.dedent(f"""\
        package_format_version: "1.0"
        strategy_id: {strategy_id}
        strategy_class_name: {class_name}
        strategy_module: {module}
        display_name: {display_name or f"Plugin {strategy_id}"}
        version: {version}
        authors: ["Test Author"]
        description: A test plugin.
        """) + extra


def local_plugin(root: Path, dirname: str, strategy_id: str, *, marker: str = "", class_id: str | None = None,
                 source: str | None = None, manifest: str | None = None, extra: str = "") -> Path:
    """A strategy package directory ``root/dirname`` (a local plugin)."""
    package = root / dirname
    package.mkdir(parents=True)
    (package / "strategy_package.yaml").write_text(
        manifest if manifest is not None else manifest_text(strategy_id, extra=extra), encoding="utf-8"
    )
    (package / "strategy.py").write_text(
        source if source is not None else STRATEGY_SOURCE.format(
            class_name="PluginStrategy", class_id=class_id or strategy_id,
            display_name=f"Plugin {strategy_id}", marker=marker),
        encoding="utf-8",
    )
    return package


def installed_dist(site: Path, dist_name: str, entry_points: dict[str, str], *, version: str = "1.0",
                   modules: dict[str, str] | None = None) -> Path:
    """A real ``*.dist-info`` with ``entry_points.txt`` in ``site`` (put ``site`` on sys.path).

    ``modules`` maps a relative file path (``pkg/strategy.py``) to its source.
    """
    site.mkdir(parents=True, exist_ok=True)
    normalized = dist_name.replace("-", "_")
    info = site / f"{normalized}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: {version}\n", encoding="utf-8")
    lines = ["[compact_memory.strategies]"] + [f"{name} = {value}" for name, value in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for rel, text in (modules or {}).items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return info


def strategy_module(class_name: str, class_id: str, marker: str = "") -> str:
    return STRATEGY_SOURCE.format(class_name=class_name, class_id=class_id, display_name=class_id, marker=marker)
