"""CompactMemoryCompressor in real langchain-core pipelines: retriever, compressor, prompt, chat model."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from planted_facts import FACTS, QUERY, documents, share_found
from plugin_factory import installed_dist, local_plugin, strategy_module

from compact_memory.tokenizers import get_tokenizer, head

pytest.importorskip("langchain_core", reason="needs the langchain extra: pip install 'compact-memory[langchain]'")

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import BaseMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore

from compact_memory.integrations.langchain import CompactMemoryCompressor, CompactMemoryRetriever

PROMPT = ChatPromptTemplate.from_messages(
    [("system", "Answer from this context only.\n\n{context}"), ("human", "{question}")]
)
HEADER = re.compile(r"^\[(doc\d+)\]\n", re.M)


@pytest.fixture(autouse=True)
def no_tracing(monkeypatch: pytest.MonkeyPatch) -> None:
    """LangSmith tracing would post runs over the network."""
    for var in ("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2", "LANGSMITH_API_KEY", "LANGCHAIN_API_KEY"):
        monkeypatch.delenv(var, raising=False)


class PromptRecorder(BaseCallbackHandler):
    """Keeps the messages every chat model in the run received."""

    def __init__(self) -> None:
        self.prompts: list[list[BaseMessage]] = []

    def on_chat_model_start(self, serialized: dict[str, Any], messages: list[list[BaseMessage]],
                            **kwargs: Any) -> None:
        self.prompts.extend(messages)


def store_retriever(texts: list[str]) -> BaseRetriever:
    store = InMemoryVectorStore(DeterministicFakeEmbedding(size=32))
    store.add_documents([Document(page_content=t, metadata={"source": f"doc{i}"}, id=f"id{i}")
                         for i, t in enumerate(texts)])
    return store.as_retriever(search_kwargs={"k": len(texts)})


def format_docs(docs: list[Document]) -> str:
    return "\n\n".join(f"[{d.metadata['source']}]\n{d.page_content}" for d in docs)


def chain_over(retriever: Runnable[str, list[Document]], cut: Runnable[str, str] | None = None) -> Runnable[str, str]:
    context: Runnable[Any, str] = retriever | RunnableLambda(format_docs)
    if cut is not None:
        context = context | cut
    model = FakeListChatModel(responses=["The answer."])
    return {"context": context, "question": RunnablePassthrough()} | PROMPT | model | StrOutputParser()


def run(chain: Runnable[str, str], query: str, *, use_async: bool = False) -> str:
    """Run ``chain`` and return the system message (the context) the chat model received."""
    recorder = PromptRecorder()
    config = {"callbacks": [recorder]}
    answer = asyncio.run(chain.ainvoke(query, config=config)) if use_async else chain.invoke(query, config=config)
    assert answer == "The answer."
    (messages,) = recorder.prompts
    assert messages[1].content == query
    return str(messages[0].content)


def pieces(system: str) -> list[tuple[str, str]]:
    """(source, text) of each document in the prompt, in prompt order."""
    body = system.split("Answer from this context only.\n\n", 1)[1]
    parts = HEADER.split(body)[1:]
    return [(parts[k], parts[k + 1].rstrip("\n")) for k in range(0, len(parts), 2)]


def is_subsequence(items: list[str], sequence: list[str]) -> bool:
    it = iter(sequence)
    return all(item in it for item in items)


@pytest.mark.parametrize("tokenizer", ["words", "cl100k_base"])
@pytest.mark.parametrize("use_async", [False, True], ids=["invoke", "ainvoke"])
def test_chain_prompt_is_within_budget_in_retriever_order_and_keeps_what_the_query_asks(
        tokenizer: str, use_async: bool) -> None:
    texts = documents()
    tok = get_tokenizer(tokenizer)
    budget = sum(tok.count(t) for t in texts) // 10
    base = store_retriever(texts)
    retrieved = [d.metadata["source"] for d in base.invoke(QUERY)]
    compressor = CompactMemoryCompressor(budget=budget, strategy="extractive", tokenizer=tokenizer)
    system = run(chain_over(CompactMemoryRetriever(base_retriever=base, compressor=compressor)), QUERY,
                 use_async=use_async)

    found = pieces(system)
    assert sum(tok.count(text) for _, text in found) <= budget
    assert [source for source, _ in found] == retrieved  # every document fits its share here; order kept
    for source, text in found:
        original = texts[int(source[3:])]
        assert is_subsequence(text.split(), original.split())  # verbatim pieces of the original, in its order
    assert share_found(system) == 1.0, [f for f in FACTS if f not in system]


def test_compressed_documents_keep_metadata_and_id_and_gain_counts_strategy_and_trace() -> None:
    texts = documents()
    base = store_retriever(texts)
    compressor = CompactMemoryCompressor(budget=400)
    originals = base.invoke(QUERY)
    kept = compressor.compress_documents(originals, QUERY)
    assert [d.id for d in kept] == [d.id for d in originals][:len(kept)]
    tok = get_tokenizer("words")
    assert sum(tok.count(d.page_content) for d in kept) <= 400
    for doc, original in zip(kept, originals, strict=False):
        info = doc.metadata["compact_memory"]
        assert doc.metadata["source"] == original.metadata["source"]
        assert info["original_tokens"] == tok.count(original.page_content)
        assert info["compressed_tokens"] == tok.count(doc.page_content) <= info["allocated_tokens"]
        assert (info["strategy"], info["tokenizer"]) == ("extractive", "words")
        assert info["trace"]["strategy_name"] == "extractive"
        assert info["trace"]["strategy_params"]["query"] == QUERY  # the query reached the strategy
        assert "compact_memory" not in original.metadata and original.page_content in texts  # inputs untouched


def test_contextual_compression_retriever() -> None:
    retrievers = pytest.importorskip(
        "langchain_classic.retrievers",
        reason="ContextualCompressionRetriever lives in langchain-classic (pip install langchain-classic)")
    texts = documents()
    base = store_retriever(texts)
    compressor = CompactMemoryCompressor(budget=600, tokenizer="o200k_base")
    retriever = retrievers.ContextualCompressionRetriever(base_compressor=compressor, base_retriever=base)
    for use_async in (False, True):
        system = run(chain_over(retriever), QUERY, use_async=use_async)
        found = pieces(system)
        assert sum(get_tokenizer("o200k_base").count(text) for _, text in found) <= 600
        assert is_subsequence([s for s, _ in found], [d.metadata["source"] for d in base.invoke(QUERY)])
        assert share_found(system) == 1.0


@pytest.mark.parametrize("tokenizer", ["words", "cl100k_base"])
def test_planted_facts_at_a_tenth_of_the_tokens(tokenizer: str) -> None:
    """All facts reach the prompt with `extractive`; the same pipeline cut to the budget keeps one."""
    texts = documents()
    tok = get_tokenizer(tokenizer)
    budget = sum(tok.count(t) for t in texts) // 10
    base = store_retriever(texts)
    uncompressed = run(chain_over(base), QUERY)
    cut = run(chain_over(base, RunnableLambda(lambda context: head(tok, context, budget))), QUERY)
    shares = {}
    for strategy in ("extractive", "truncate"):
        retriever = CompactMemoryRetriever(base_retriever=base, compressor=CompactMemoryCompressor(
            budget=budget, strategy=strategy, tokenizer=tokenizer))
        system = run(chain_over(retriever), QUERY)
        assert sum(tok.count(text) for _, text in pieces(system)) <= budget
        shares[strategy] = share_found(system)
    assert share_found(uncompressed) == 1.0 and tok.count(uncompressed) > 9 * budget
    assert shares["extractive"] == 1.0
    assert share_found(cut) <= 1 / 3 and shares["truncate"] <= 1 / 3, (share_found(cut), shares)


def test_plugin_strategy_from_a_local_plugin_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    local_plugin(tmp_path / "plugins", "marker_pkg", "marker_plugin", marker="PLUGIN ")
    monkeypatch.setenv("COMPACT_MEMORY_PLUGINS_PATH", str(tmp_path / "plugins"))
    texts = documents()
    base = store_retriever(texts)
    compressor = CompactMemoryCompressor(budget=300, strategy="marker_plugin")
    found = pieces(run(chain_over(CompactMemoryRetriever(base_retriever=base, compressor=compressor)), QUERY))
    assert found and all(text.startswith("PLUGIN ") for _, text in found)
    assert sum(get_tokenizer("words").count(text) for _, text in found) <= 300
    info = compressor.compress_documents(base.invoke(QUERY), QUERY)[0].metadata["compact_memory"]
    assert info["strategy"] == "marker_plugin"

    monkeypatch.setenv("COMPACT_MEMORY_DISABLE_PLUGINS", "marker_plugin")
    with pytest.raises(ValueError, match=r"strategy: strategy 'marker_plugin' .* is disabled"):
        CompactMemoryCompressor(budget=300, strategy="marker_plugin")


def test_plugin_precedence_is_the_command_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A local plugin directory wins over an entry point with the same id, as on the command line."""
    site = tmp_path / "site"
    installed_dist(site, "lc-shadowed-plugin", {"lc_twin": "lc_twin_ep.strategy:S"},
                   modules={"lc_twin_ep/__init__.py": "", "lc_twin_ep/strategy.py": strategy_module("S", "lc_twin",
                                                                                                   "ENTRYPOINT ")})
    monkeypatch.syspath_prepend(str(site))
    local_plugin(tmp_path / "plugins", "twin_pkg", "lc_twin", marker="LOCAL ")
    monkeypatch.setenv("COMPACT_MEMORY_PLUGINS_PATH", str(tmp_path / "plugins"))
    docs = [Document(page_content="one two three four five six seven eight nine ten " * 5)]
    (kept,) = CompactMemoryCompressor(budget=30, strategy="lc_twin").compress_documents(docs, "q")
    assert kept.page_content.startswith("LOCAL ")


def test_empty_inputs() -> None:
    compressor = CompactMemoryCompressor(budget=100)
    assert compressor.compress_documents([], "q") == []
    assert asyncio.run(compressor.acompress_documents([], "q")) == []
    docs = [Document(page_content=""), Document(page_content="  \n "), Document(page_content="Kept as it is.")]
    (kept,) = compressor.compress_documents(docs, "q")
    assert kept.page_content == "Kept as it is."
    assert CompactMemoryCompressor(budget=0).compress_documents(docs, "q") == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"budget": -5}, r"budget: budget must be >= 0"),
        ({"budget": "100"}, r"budget\n  Input should be a valid integer"),
        ({"budget": 10}, r"min_tokens: the per-document floor \(24\) is larger than the budget \(10\)"),
        ({"budget": 100, "min_tokens": -1}, r"min_tokens: must be a whole number"),
        ({"budget": 100, "strategy": "extractiv"}, r"strategy: unknown strategy 'extractiv' \(hint: did you mean "
                                                   r"'extractive'\?"),
        ({"budget": 100, "tokenizer": "cl100k"}, r"tokenizer: unknown tokenizer 'cl100k'"),
        ({"budget": 100, "tokenizer": "hf:/nowhere/tokenizer.json"}, r"tokenizer: .*nowhere"),
        ({"budget": 100, "params": {"query_wieght": 1}}, r"params: unknown parameter 'query_wieght' .* did you mean "
                                                         r"'query_weight'"),
        ({"budget": 100, "params": {"query_weight": "high"}}, r"params: parameter query_weight='high'"),
        ({"budget": 100, "bugdet": 3}, r"bugdet\n  Extra inputs are not permitted"),
    ],
)
def test_bad_options_raise_a_value_error_naming_the_option(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CompactMemoryCompressor(**options)


def test_assigning_an_option_is_checked_and_takes_effect() -> None:
    compressor = CompactMemoryCompressor(budget=400)
    docs = [Document(page_content=t) for t in documents()]
    compressor.budget = 100
    assert sum(get_tokenizer("words").count(d.page_content) for d in compressor.compress_documents(docs, QUERY)) <= 100
    with pytest.raises(ValueError, match=r"min_tokens: the per-document floor \(24\) is larger than the budget \(5\)"):
        compressor.budget = 5
    with pytest.raises(ValueError, match=r"strategy: unknown strategy 'nope'"):
        compressor.strategy = "nope"
    assert (compressor.budget, compressor.strategy) == (100, "extractive")  # a refused value is not kept
    compressor.strategy = "truncate"
    (first, *_) = compressor.compress_documents(docs, QUERY)
    assert first.metadata["compact_memory"]["strategy"] == "truncate" and docs[0].page_content.startswith(
        first.page_content)


def test_bad_documents_raise_a_value_error_naming_the_document() -> None:
    compressor = CompactMemoryCompressor(budget=100)
    with pytest.raises(ValueError, match=r"documents\[1\]: expected a langchain_core Document, got str"):
        compressor.compress_documents([Document(page_content="a"), "b"], "q")  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"documents: expected a list of langchain_core Document, got str"):
        compressor.compress_documents("text", "q")  # type: ignore[arg-type]
    bad = Document.model_construct(page_content=b"bytes", metadata={})
    with pytest.raises(ValueError, match=r"documents\[0\]: text must be a str, got bytes"):
        compressor.compress_documents([bad], "q")


def test_score_key_ranks_by_score() -> None:
    texts = documents()
    docs = [Document(page_content=texts[i], metadata={"score": s}) for i, s in enumerate((0.1, 0.9, 0.5))]
    kept = CompactMemoryCompressor(budget=200, score_key="score").compress_documents(docs, "rivers")
    allocated = {d.metadata["score"]: d.metadata["compact_memory"]["allocated_tokens"] for d in kept}
    assert [d.metadata["score"] for d in kept] == [0.1, 0.9, 0.5]  # the order stays the retriever's
    assert allocated[0.9] > allocated[0.5] > allocated[0.1]
    with pytest.raises(ValueError, match=r"score_key: documents\[1\]\.metadata\['score'\] is None, not a number"):
        CompactMemoryCompressor(budget=120, score_key="score").compress_documents(
            [docs[0], Document(page_content="x")], "q")
