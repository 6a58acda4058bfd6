"""docs/integrations.md stays true: its examples run, and its option table names every option."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REPO
from no_network import SCRIPT, run_offline

PAGE = REPO / "docs" / "integrations.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)


def test_the_examples_run(tmp_path: Path) -> None:
    """The page's Python blocks, in order, as one script: the way a reader follows the page."""
    pytest.importorskip("langchain_core", reason="needs the langchain extra")
    pytest.importorskip("llama_index.core", reason="needs the llama-index extra")
    pytest.importorskip("langchain_classic", reason="the page's ContextualCompressionRetriever needs langchain-classic")
    blocks = python_blocks()
    assert len(blocks) == 4
    script = tmp_path / "example.py"
    script.write_text("\n\n".join(blocks), encoding="utf-8")
    result, attempts = run_offline(SCRIPT, [str(script)], tmp_path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert attempts == []  # the examples download nothing
    out = result.stdout
    assert out.startswith("(the model's answer)\n")
    assert re.search(r"^faq-\d: \d+ -> \d+ tokens: ", out, re.M)  # LangChain: documents with their counts
    assert re.search(r"^\d documents$", out, re.M)  # ContextualCompressionRetriever
    assert "Query: How long does a refund take?" in out  # LlamaIndex: MockLLM answered with its prompt
    assert "A refund takes 5 to 10 business days" in out
    assert re.search(r"^0 faq-0 \d+ \d+ Refunds are issued", out, re.M)  # compress_context


@pytest.mark.parametrize("module, cls", [("langchain", "CompactMemoryCompressor"),
                                         ("llama_index", "CompactMemoryPostprocessor")])
def test_the_option_table_names_every_option(module: str, cls: str) -> None:
    adapter = getattr(pytest.importorskip(f"compact_memory.integrations.{module}"), cls)
    table = PAGE.read_text(encoding="utf-8").split("## Options", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(\w+)`", table, re.M))
    options = set(adapter.model_fields) - {"callback_manager"}  # LlamaIndex's own field
    assert options <= documented, options - documented


def test_readme_points_to_the_page() -> None:
    assert "(docs/integrations.md)" in (REPO / "README.md").read_text(encoding="utf-8")
