"""CompactMemoryPostprocessor in a real LlamaIndex query engine: VectorStoreIndex, MockEmbedding, MockLLM."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from planted_facts import FACTS, QUERY, documents, share_found
from plugin_factory import local_plugin

from compact_memory.tokenizers import get_tokenizer

pytest.importorskip("llama_index.core", reason="needs the llama-index extra: pip install 'compact-memory[llama-index]'")

from llama_index.core import Settings, VectorStoreIndex
from llama_index.core.bridge.pydantic import Field
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.llm import LLMCompletionStartEvent
from llama_index.core.llms import MockLLM
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle, TextNode

from compact_memory.integrations.llama_index import CompactMemoryPostprocessor

SOURCE = re.compile(r"^source: (doc\d+)\n\n", re.M)
RULE = "---------------------"


@pytest.fixture(autouse=True)
def offline_tokenizer(monkeypatch: pytest.MonkeyPatch) -> None:
    """LlamaIndex counts prompt tokens with tiktoken's cl100k_base, which tiktoken downloads unless the copy
    bundled with llama-index-core matches its cache key (not so in 0.12.31): use compact-memory's, as the docs say."""
    import llama_index.core

    monkeypatch.setattr(llama_index.core, "global_tokenizer", None)  # restored after the test
    Settings.tokenizer = get_tokenizer("cl100k_base").encode


class PromptRecorder(BaseEventHandler):
    """Keeps every completion prompt an LLM received."""

    prompts: list[str] = Field(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "PromptRecorder"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        # MockLLM's acomplete calls its complete, and both report the start: one call, two events.
        if isinstance(event, LLMCompletionStartEvent) and self.prompts[-1:] != [event.prompt]:
            self.prompts.append(event.prompt)


@pytest.fixture
def recorder() -> Iterator[PromptRecorder]:
    handler = PromptRecorder()
    dispatcher = get_dispatcher()
    dispatcher.add_event_handler(handler)
    yield handler
    dispatcher.event_handlers.remove(handler)


def make_index(texts: list[str]) -> VectorStoreIndex:
    nodes = [TextNode(text=t, id_=f"doc{i}", metadata={"source": f"doc{i}"}) for i, t in enumerate(texts)]
    return VectorStoreIndex(nodes, embed_model=MockEmbedding(embed_dim=8))


def query(index: VectorStoreIndex, recorder: PromptRecorder, postprocessor: CompactMemoryPostprocessor | None,
          *, use_async: bool = False) -> tuple[Any, list[str]]:
    """Run a query engine over ``index``; the response and the prompts the LLM received."""
    engine = index.as_query_engine(llm=MockLLM(max_tokens=3), similarity_top_k=len(index.docstore.docs),
                                   node_postprocessors=[postprocessor] if postprocessor else [])
    recorder.prompts.clear()
    response = asyncio.run(engine.aquery(QUERY)) if use_async else engine.query(QUERY)
    return response, list(recorder.prompts)


def pieces(prompt: str) -> list[tuple[str, str]]:
    """(source, text) of each node in the prompt's context, in prompt order."""
    context = prompt.split(RULE + "\n", 1)[1].split("\n" + RULE, 1)[0]
    parts = SOURCE.split(context)[1:]
    return [(parts[k], parts[k + 1].rstrip("\n")) for k in range(0, len(parts), 2)]


@pytest.mark.parametrize("tokenizer", ["words", "cl100k_base"])
@pytest.mark.parametrize("use_async", [False, True], ids=["query", "aquery"])
def test_query_engine_prompt_and_nodes(recorder: PromptRecorder, tokenizer: str, use_async: bool) -> None:
    texts = documents()
    tok = get_tokenizer(tokenizer)
    budget = sum(tok.count(t) for t in texts) // 10
    index = make_index(texts)
    retrieved = [n.node.node_id for n in index.as_retriever(similarity_top_k=len(texts)).retrieve(QUERY)]
    postprocessor = CompactMemoryPostprocessor(budget=budget, tokenizer=tokenizer)
    response, prompts = query(index, recorder, postprocessor, use_async=use_async)

    (prompt,) = prompts  # the compressed context fits in one call
    assert QUERY in prompt
    nodes = response.source_nodes
    assert [n.node.node_id for n in nodes] == retrieved  # every node fits its share here; order kept
    assert sum(tok.count(n.node.get_content(MetadataMode.NONE)) for n in nodes) <= budget
    assert [(n.node.node_id, n.node.get_content(MetadataMode.NONE)) for n in nodes] == pieces(prompt)
    assert share_found(prompt) == 1.0, [f for f in FACTS if f not in prompt]
    assert "compact_memory" not in prompt and "original_tokens" not in prompt  # our metadata stays out
    for n in nodes:
        info = n.node.metadata["compact_memory"]
        original = texts[int(n.node.node_id[3:])]
        assert n.node.metadata["source"] == n.node.node_id
        assert info["original_tokens"] == tok.count(original)
        assert info["compressed_tokens"] == tok.count(n.node.get_content(MetadataMode.NONE)) <= info["allocated_tokens"]
        assert (info["strategy"], info["tokenizer"]) == ("extractive", tokenizer)
        assert info["trace"]["strategy_params"]["query"] == QUERY
        assert n.score is not None
    stored = {node_id: node.get_content(MetadataMode.NONE) for node_id, node in index.docstore.docs.items()}
    assert stored == {f"doc{i}": t for i, t in enumerate(texts)}  # the index's own nodes are untouched


def test_planted_facts_at_a_tenth_of_the_tokens(recorder: PromptRecorder) -> None:
    """`extractive` puts every fact in one prompt within budget; uncompressed, no prompt holds them all."""
    texts = documents()
    tok = get_tokenizer("words")
    budget = sum(tok.count(t) for t in texts) // 10
    index = make_index(texts)
    _, uncompressed = query(index, recorder, None)
    _, with_truncate = query(index, recorder, CompactMemoryPostprocessor(budget=budget, strategy="truncate"))
    _, with_extractive = query(index, recorder, CompactMemoryPostprocessor(budget=budget))
    assert len(uncompressed) > 1 and max(share_found(p) for p in uncompressed) < 1.0  # refine over several calls
    assert len(with_truncate) == 1 and share_found(with_truncate[0]) <= 1 / 3
    assert len(with_extractive) == 1 and share_found(with_extractive[0]) == 1.0
    assert sum(tok.count(text) for _, text in pieces(with_extractive[0])) <= budget


def test_plugin_strategy_from_a_local_plugin_directory(recorder: PromptRecorder, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    local_plugin(tmp_path / "plugins", "marker_pkg", "li_marker", marker="PLUGIN ")
    monkeypatch.setenv("COMPACT_MEMORY_PLUGINS_PATH", str(tmp_path / "plugins"))
    index = make_index(documents())
    response, (prompt,) = query(index, recorder, CompactMemoryPostprocessor(budget=300, strategy="li_marker"))
    found = pieces(prompt)
    assert found and all(text.startswith("PLUGIN ") for _, text in found)
    assert sum(get_tokenizer("words").count(text) for _, text in found) <= 300
    assert {n.node.metadata["compact_memory"]["strategy"] for n in response.source_nodes} == {"li_marker"}

    monkeypatch.setenv("COMPACT_MEMORY_DISABLE_PLUGINS", "all")
    with pytest.raises(ValueError, match=r"strategy: strategy 'li_marker' .* is disabled: all plugins disabled"):
        CompactMemoryPostprocessor(budget=300, strategy="li_marker")


def test_scores_rank_the_nodes_and_their_order_stays() -> None:
    texts = documents()
    nodes = [NodeWithScore(node=TextNode(text=texts[i], id_=f"n{i}"), score=s) for i, s in enumerate((0.2, 0.9, 0.5))]
    kept = CompactMemoryPostprocessor(budget=200).postprocess_nodes(nodes, query_str="rivers")
    assert [n.node.node_id for n in kept] == ["n0", "n1", "n2"]
    allocated = [n.node.metadata["compact_memory"]["allocated_tokens"] for n in kept]
    assert allocated[1] > allocated[2] > allocated[0]
    by_order = CompactMemoryPostprocessor(budget=200, use_scores=False).postprocess_nodes(nodes)
    allocated = [n.node.metadata["compact_memory"]["allocated_tokens"] for n in by_order]
    assert allocated[0] > allocated[1] > allocated[2]


def test_empty_inputs() -> None:
    postprocessor = CompactMemoryPostprocessor(budget=100)
    assert postprocessor.postprocess_nodes([], QueryBundle("q")) == []
    assert asyncio.run(postprocessor.apostprocess_nodes([], QueryBundle("q"))) == []
    nodes = [NodeWithScore(node=TextNode(text=t), score=None) for t in ("", " \n", "Kept as it is.")]
    (kept,) = postprocessor.postprocess_nodes(nodes)
    assert kept.node.get_content() == "Kept as it is." and kept.score is None
    assert CompactMemoryPostprocessor(budget=0).postprocess_nodes(nodes) == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"budget": -1}, r"budget: budget must be >= 0"),
        ({"budget": 2.5}, r"budget\n  Input should be a valid integer"),
        ({"budget": 10}, r"min_tokens: the per-document floor \(24\) is larger than the budget \(10\)"),
        ({"budget": 100, "strategy": "trunkate"}, r"strategy: unknown strategy 'trunkate' \(hint: did you mean "
                                                  r"'truncate'\?"),
        ({"budget": 100, "tokenizer": "o200k"}, r"tokenizer: unknown tokenizer 'o200k'"),
        ({"budget": 100, "params": {"nope": 1}}, r"params: unknown parameter 'nope'"),
        ({"budget": 100, "min_tokns": 3}, r"min_tokns\n  Extra inputs are not permitted"),
    ],
)
def test_bad_options_raise_a_value_error_naming_the_option(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CompactMemoryPostprocessor(**options)


def test_assigning_an_option_is_checked_and_takes_effect() -> None:
    postprocessor = CompactMemoryPostprocessor(budget=100)
    nodes = [NodeWithScore(node=TextNode(text=t)) for t in documents()]
    postprocessor.strategy = "truncate"
    assert {n.node.metadata["compact_memory"]["strategy"] for n in postprocessor.postprocess_nodes(nodes)} == {
        "truncate"}
    with pytest.raises(ValueError, match=r"tokenizer: unknown tokenizer 'nope'"):
        postprocessor.tokenizer = "nope"
    assert postprocessor.tokenizer is None


def test_bad_nodes_raise_a_value_error_naming_the_node() -> None:
    postprocessor = CompactMemoryPostprocessor(budget=100)
    with pytest.raises(ValueError, match=r"nodes\[1\]: expected a NodeWithScore, got TextNode"):
        postprocessor.postprocess_nodes([NodeWithScore(node=TextNode(text="a")), TextNode(text="b")])  # type: ignore[list-item]
    bad = NodeWithScore(node=TextNode.model_construct(text=None, id_="broken", metadata={}))
    with pytest.raises(ValueError, match=r"nodes\[0\]: node 'broken' has NoneType content, not text"):
        postprocessor.postprocess_nodes([bad])
