"""Adapters that put compact-memory strategies into LLM frameworks; each is an optional extra.

- :mod:`compact_memory.integrations.langchain`: ``CompactMemoryCompressor``, a
  LangChain document compressor, and ``CompactMemoryRetriever``, a retriever
  that compresses what another retriever returns
  (``pip install 'compact-memory[langchain]'``).
- :mod:`compact_memory.integrations.llama_index`: ``CompactMemoryPostprocessor``,
  a LlamaIndex node postprocessor (``pip install 'compact-memory[llama-index]'``).

Both share one token budget across the retrieved documents with
:func:`compact_memory.context.compress_context`; see docs/integrations.md.
This package imports nothing, so ``import compact_memory`` never loads a
framework.
"""
