"""LlamaIndex: a node postprocessor backed by any compact-memory strategy, with one budget for all nodes.

Needs ``llama-index-core`` (``pip install 'compact-memory[llama-index]'``)::

    from compact_memory.integrations.llama_index import CompactMemoryPostprocessor

    engine = index.as_query_engine(
        similarity_top_k=8,
        node_postprocessors=[CompactMemoryPostprocessor(budget=800, tokenizer="cl100k_base")],
    )

The budget is shared as :mod:`compact_memory.context` describes;
docs/integrations.md has a complete example.
"""

from __future__ import annotations

from compact_memory.integrations.extras import missing_framework

try:
    from llama_index.core.postprocessor.types import BaseNodePostprocessor
    from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle
except ImportError as exc:
    raise missing_framework(__name__, "llama-index-core", "llama-index") from exc

from compact_memory.context import METADATA_KEY, ContextError
from compact_memory.integrations.options import ContextOptions

__all__ = ["CompactMemoryPostprocessor"]


class CompactMemoryPostprocessor(ContextOptions, BaseNodePostprocessor):
    """Compress retrieved nodes into one shared token budget with a compact-memory strategy.

    Options (all keyword arguments): ``strategy``, ``tokenizer`` and ``params``
    as :class:`~compact_memory.integrations.options.ContextOptions` says, and

    - ``budget``: tokens for the text of all returned nodes together (required).
    - ``min_tokens``: the per-node floor; a node that would get fewer tokens
      (and does not fit whole in fewer) is dropped instead.
    - ``use_scores``: rank nodes by their retrieval score when every node has
      one (default), else by their order.

    Nodes keep their order and score; the query bundle's ``query_str`` goes
    to the strategy when it accepts one. Returned nodes are copies (the
    index's own nodes are not changed) whose text is the compressed text and
    whose metadata gains ``metadata["compact_memory"]`` (``original_tokens``,
    ``compressed_tokens``, ``allocated_tokens``, ``strategy``, ``tokenizer``,
    ``trace``), excluded from what the LLM and the embedding model see. The
    budget counts node text; metadata LlamaIndex prints into the prompt is
    not counted. An empty list gives an empty list; nodes with empty text
    are dropped. A bad option raises a ``ValueError`` naming it when the
    postprocessor is created or the option assigned.
    """

    use_scores: bool = True

    @classmethod
    def class_name(cls) -> str:
        return "CompactMemoryPostprocessor"

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        texts = _texts(nodes)
        given = [n.score for n in nodes]
        scores = [float(s) for s in given if s is not None] if self.use_scores else []
        query = query_bundle.query_str if query_bundle is not None else None
        kept = self._context.compress(texts, query=query, scores=scores if len(scores) == len(nodes) else None)
        result = []
        for c in kept:
            original = nodes[c.index]
            node = original.node.model_copy()
            node.set_content(c.text)
            node.metadata = {**original.node.metadata, METADATA_KEY: c.metadata_entry()}
            node.excluded_llm_metadata_keys = [*original.node.excluded_llm_metadata_keys, METADATA_KEY]
            node.excluded_embed_metadata_keys = [*original.node.excluded_embed_metadata_keys, METADATA_KEY]
            result.append(NodeWithScore(node=node, score=original.score))
        return result


def _texts(nodes: object) -> list[str]:
    if not isinstance(nodes, list):
        raise ContextError(f"nodes: expected a list of NodeWithScore, got {type(nodes).__name__}")
    texts = []
    for i, item in enumerate(nodes):
        if not isinstance(item, NodeWithScore):
            raise ContextError(f"nodes[{i}]: expected a NodeWithScore, got {type(item).__name__}",
                               hint="wrap a node in NodeWithScore(node=...)")
        text = item.node.get_content(metadata_mode=MetadataMode.NONE)
        if not isinstance(text, str):
            raise ContextError(f"nodes[{i}]: node {item.node.node_id!r} has {type(text).__name__} content, not text")
        texts.append(text)
    return texts
