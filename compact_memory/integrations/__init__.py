"""Integrations with LLM frameworks and data engines; each is an optional extra, imported only when used.

- :mod:`compact_memory.integrations.langchain`: ``CompactMemoryCompressor``, a
  LangChain document compressor, and ``CompactMemoryRetriever``, a retriever
  that compresses what another retriever returns
  (``pip install 'compact-memory[langchain]'``).
- :mod:`compact_memory.integrations.llama_index`: ``CompactMemoryPostprocessor``,
  a LlamaIndex node postprocessor (``pip install 'compact-memory[llama-index]'``).
- :mod:`compact_memory.integrations.ray`: strategies as a Ray Data map step
  (``pip install 'compact-memory[ray]'``).

The framework adapters share one token budget across the retrieved documents
with :func:`compact_memory.context.compress_context`; see docs/integrations.md
and docs/scaling.md. This package imports nothing, so ``import compact_memory``
never loads a framework or engine.
"""
