"""LangChain: a document compressor backed by any compact-memory strategy, with one budget for all documents.

Needs ``langchain-core`` (``pip install 'compact-memory[langchain]'``)::

    from compact_memory.integrations.langchain import CompactMemoryCompressor, CompactMemoryRetriever

    compressor = CompactMemoryCompressor(budget=800, strategy="extractive", tokenizer="cl100k_base")
    retriever = CompactMemoryRetriever(base_retriever=vectorstore.as_retriever(), compressor=compressor)

``CompactMemoryCompressor`` also fits LangChain's
``ContextualCompressionRetriever(base_compressor=..., base_retriever=...)``
where the installed LangChain provides it (``langchain-classic``). The
budget is shared as :mod:`compact_memory.context` describes; docs/integrations.md
has a complete example.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from compact_memory.integrations.extras import missing_framework

try:
    from langchain_core.callbacks import (
        AsyncCallbackManagerForRetrieverRun,
        CallbackManagerForRetrieverRun,
        Callbacks,
    )
    from langchain_core.documents import BaseDocumentCompressor, Document
    from langchain_core.retrievers import BaseRetriever
except ImportError as exc:
    raise missing_framework(__name__, "langchain-core", "langchain") from exc

from compact_memory.context import METADATA_KEY, ContextError
from compact_memory.integrations.options import ContextOptions

__all__ = ["CompactMemoryCompressor", "CompactMemoryRetriever"]


class CompactMemoryCompressor(ContextOptions, BaseDocumentCompressor):
    """Compress retrieved documents into one shared token budget with a compact-memory strategy.

    Options (all keyword arguments): ``strategy``, ``tokenizer`` and ``params``
    as :class:`~compact_memory.integrations.options.ContextOptions` says, and

    - ``budget``: tokens for all returned documents together (required).
    - ``min_tokens``: the per-document floor; a document that would get
      fewer tokens (and does not fit whole in fewer) is dropped instead.
    - ``score_key``: a metadata key holding a relevance score (higher is
      better) to rank documents by, instead of their order.

    ``compress_documents`` keeps the retriever's order, passes the query to
    the strategy when it accepts one, and returns copies of the kept
    documents (the inputs are not changed) with their metadata plus
    ``metadata["compact_memory"]``: ``original_tokens``,
    ``compressed_tokens``, ``allocated_tokens``, ``strategy``, ``tokenizer``
    and ``trace`` (the strategy's trace as a dict). An empty list gives an
    empty list; documents with empty text are dropped. A bad option raises a
    ``ValueError`` naming it when the compressor is created or the option
    assigned. ``acompress_documents`` runs the same work in an executor
    thread.
    """

    score_key: str | None = None

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """The documents compressed to share ``budget`` tokens, in the order given; see the class docstring."""
        docs = _checked_documents(documents)
        scores = None if self.score_key is None else _scores(docs, self.score_key)
        kept = self._context.compress([d.page_content for d in docs], query=query, scores=scores)
        return [_copy(docs[c.index], c.text, {**docs[c.index].metadata, METADATA_KEY: c.metadata_entry()})
                for c in kept]


class CompactMemoryRetriever(BaseRetriever):
    """A retriever that compresses what ``base_retriever`` returns with ``compressor``.

    The langchain-core counterpart of LangChain's
    ``ContextualCompressionRetriever``: use it in a chain where a retriever
    goes (``{"context": retriever | format_docs, ...}``). Sync and async.
    """

    base_retriever: BaseRetriever
    compressor: CompactMemoryCompressor

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        docs = self.base_retriever.invoke(query, config={"callbacks": run_manager.get_child()})
        return list(self.compressor.compress_documents(docs, query, callbacks=run_manager.get_child()))

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        docs = await self.base_retriever.ainvoke(query, config={"callbacks": run_manager.get_child()})
        return list(await self.compressor.acompress_documents(docs, query, callbacks=run_manager.get_child()))


def _copy(doc: Document, text: str, metadata: dict[str, Any]) -> Document:
    """A copy of ``doc`` (of its own class, with its id) holding ``text`` and ``metadata``."""
    return doc.model_copy(update={"page_content": text, "metadata": metadata})


def _checked_documents(documents: object) -> list[Document]:
    if isinstance(documents, (str, bytes)) or not isinstance(documents, Sequence):
        raise ContextError(f"documents: expected a list of langchain_core Document, got {type(documents).__name__}")
    for i, doc in enumerate(documents):
        if not isinstance(doc, Document):
            raise ContextError(f"documents[{i}]: expected a langchain_core Document, got {type(doc).__name__}",
                               hint="wrap text in Document(page_content=...)")
    return list(documents)


def _scores(docs: list[Document], key: str) -> list[float]:
    scores = []
    for i, doc in enumerate(docs):
        value = doc.metadata.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ContextError(f"score_key: documents[{i}].metadata[{key!r}] is {value!r}, not a number",
                               hint="give every document a score there, or leave score_key unset to rank by order")
        scores.append(float(value))
    return scores
