"""Compress the documents of one LLM context into one shared token budget.

:func:`compress_context` is what the LangChain and LlamaIndex adapters
(:mod:`compact_memory.integrations`) call; it needs neither framework::

    from compact_memory.context import compress_context

    kept = compress_context(retrieved_texts, 800, "extractive", query="refund policy")
    prompt_context = "\\n\\n".join(doc.text for doc in kept)

How the budget is shared, step by step:

1. **Rank.** Documents are ranked by ``scores`` (highest first) when given,
   else by their position (the retriever's order). Ties keep position.
2. **Overlaps.** Documents that share a line of text with another
   (overlapping chunks of one source, copied boilerplate) are split into
   sentences (the units of the ``extractive`` splitter: sentence, list item,
   heading, line, code block), and a sentence of at least three words that
   a better-ranked one of them holds, up to case and spacing, is removed, so
   their shares go to what is new in them.
3. **Shares.** The document ranked *k*-th (from 1, among those with text
   left) weighs *1/k*: the first gets twice the share of the second and
   three times that of the third. The budget is divided in proportion to
   these weights, each document capped at its own token count; what a short
   document does not need is divided again among the others. Shares are
   whole tokens and add up to at most the budget.
4. **Floor.** A document whose share is below ``min_tokens`` (and below its
   own length) would be cut to less than is useful: the worst-ranked such
   document is dropped and the shares are computed again, until every
   remaining document gets at least ``min_tokens`` or all of itself.
5. **Compression.** Each remaining document is compressed to its share with
   ``strategy`` (the query is passed when the strategy accepts one) through
   :func:`compact_memory.compress`, which re-counts the output and cuts it if
   a strategy returned more than asked.
6. **Repeats.** The outputs are split into sentences the same way, and a
   sentence of at least three words that a better-ranked output shows is
   removed: no such sentence appears twice in the result, and none is
   removed where the context does not still show it
   (:mod:`compact_memory.context_repeats`).

So the token counts of the returned texts, each counted with ``tokenizer``,
add up to at most ``budget``. Separators and prompt text that a framework
adds around the documents are not part of the budget. Tokens a strategy
leaves unused in one document are not passed on to another.

Documents with empty (whitespace-only) text, documents that were entirely
repeats, documents dropped at step 4 and documents compressed to nothing are
left out of the result; every result keeps its input ``index``, and results
are in input order.

Bad arguments raise :class:`ContextError`, a ``ValueError`` (what LangChain
and LlamaIndex users expect) that is also a
:class:`compact_memory.errors.UsageError`; its message starts with the
option it is about (``strategy: unknown strategy 'x' (hint: did you mean
...)``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from compact_memory.compression.strategies_abc import CompressedMemory, CompressionStrategy
from compact_memory.compression.trace import CompressionTrace
from compact_memory.context_budget import allocate, priority_order
from compact_memory.context_repeats import overlapping, remove_repeats
from compact_memory.errors import CompactMemoryError, PluginError, UsageError
from compact_memory.factory import StrategySpec, make_strategy, strategy_id
from compact_memory.runtime import check_budget
from compact_memory.tokenizers import Tokenizer, get_tokenizer, head

__all__ = [
    "DEFAULT_MIN_TOKENS",
    "METADATA_KEY",
    "CompressedDocument",
    "ContextCompressor",
    "ContextDocument",
    "ContextError",
    "check_min_tokens",
    "compress_context",
    "resolve_strategy",
    "resolve_tokenizer",
]

# About one sentence of prose: less than this of a document is a fragment, not context.
DEFAULT_MIN_TOKENS = 24
# The metadata key the adapters add to each returned document.
METADATA_KEY = "compact_memory"


class ContextError(UsageError, ValueError):
    """A bad argument to :func:`compress_context` or an adapter; the message starts with the option."""


@dataclass(frozen=True)
class ContextDocument:
    """A document to compress: its text and metadata that is carried over to the result."""

    text: str
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class CompressedDocument:
    """One document of the compressed context."""

    index: int  # position in the input
    text: str
    metadata: dict[str, Any]  # a copy of the input document's metadata
    original_tokens: int  # of the input text, before repeats were removed
    compressed_tokens: int  # of ``text``
    allocated_tokens: int  # the share of the budget the document was given
    strategy: str  # the strategy id
    tokenizer: str  # the tokenizer's name; all counts are in its tokens
    trace: CompressionTrace

    def metadata_entry(self) -> dict[str, Any]:
        """What the adapters store under ``metadata["compact_memory"]``: JSON-serialisable.

        ``trace`` holds the trace's fields (as ``CompressionTrace.to_dict()``
        does), sharing their values with :attr:`trace` rather than copying
        them: a deep copy costs more than some strategies spend compressing.
        """
        return {
            "original_tokens": self.original_tokens,
            "compressed_tokens": self.compressed_tokens,
            "allocated_tokens": self.allocated_tokens,
            "strategy": self.strategy,
            "tokenizer": self.tokenizer,
            "trace": {f.name: getattr(self.trace, f.name) for f in fields(self.trace)},
        }


class ContextCompressor:
    """The options of :func:`compress_context`, checked and resolved once, for many calls.

    The strategy is resolved (built-in or plugin, as on the command line) and
    built with ``params``, and the tokenizer loaded, when the object is
    created; a bad option raises :class:`ContextError` then, not at the first
    call.
    """

    def __init__(self, budget: int, strategy: StrategySpec = "extractive", *, tokenizer: str | Tokenizer | None = None,
                 params: Mapping[str, Any] | None = None, min_tokens: int = DEFAULT_MIN_TOKENS) -> None:
        self.budget = _checked_budget(budget)
        self.min_tokens = check_min_tokens(min_tokens, self.budget)
        self.tokenizer = resolve_tokenizer(tokenizer)
        self.strategy = resolve_strategy(strategy, params)
        self.strategy_id = strategy_id(type(self.strategy))
        self._query_ok = _accepts_query(self.strategy)

    def compress(self, documents: Sequence[str | ContextDocument], *, query: str | None = None,
                 scores: Sequence[float] | None = None) -> list[CompressedDocument]:
        """The kept documents, compressed, in input order; see :func:`compress_context`."""
        texts, metadata = _texts(documents)
        checked_scores = _checked_scores(scores, len(texts))
        if not texts:
            return []
        return self._compress(texts, metadata, query or None, checked_scores)

    def _compress(self, texts: list[str], metadata: list[dict[str, Any]], query: str | None,
                  scores: list[float] | None) -> list[CompressedDocument]:
        tok, budget = self.tokenizer, self.budget
        order = priority_order(len(texts), scores)
        rank = {i: r for r, i in enumerate(order)}
        cleaned, removed = remove_repeats(texts, order, among=overlapping(texts))
        original = [tok.count(t) for t in texts]
        lengths = [o if c is t else tok.count(c) for o, c, t in zip(original, cleaned, texts, strict=True)]
        lengths = [n if c.strip() else 0 for n, c in zip(lengths, cleaned, strict=True)]
        shares = allocate(lengths, order, budget, self.min_tokens)
        chosen = [i for i in range(len(texts)) if shares[i] > 0]
        results = dict(zip(chosen, self._compress_each([cleaned[i] for i in chosen], [shares[i] for i in chosen],
                                                       query if self._query_ok else None), strict=True))
        outputs = [results[i][0].text if i in results else "" for i in range(len(texts))]
        final, removed_after = remove_repeats(outputs, order, among=results.keys())
        kept: list[CompressedDocument] = []
        for i in chosen:
            trace = results[i][1]
            if final[i] is not outputs[i]:
                final[i] = self._recount(final[i], shares[i], trace)
            trace.input_summary["tokens"] = lengths[i]
            trace.add_step("context", {"document": i, "rank": rank[i] + 1, "documents": len(texts),
                                       "budget": budget, "allocated": shares[i], "original_tokens": original[i],
                                       "repeats_removed": removed[i], "repeats_removed_after": removed_after[i]})
            if final[i].strip():
                kept.append(CompressedDocument(i, final[i], metadata[i], original[i], trace.output_summary["tokens"],
                                               shares[i], self.strategy_id, tok.name, trace))
        return kept

    def _recount(self, text: str, share: int, trace: CompressionTrace) -> str:
        """An output that lost repeats, recounted into its trace (and cut, should joining ever cost tokens)."""
        tokens = self.tokenizer.count(text)
        if tokens > share:
            text = head(self.tokenizer, text, share)
            tokens = self.tokenizer.count(text)
        trace.output_summary.update({"tokens": tokens, "chars": len(text)})
        return text

    def _compress_each(self, texts: list[str], budgets: list[int],
                       query: str | None) -> list[tuple[CompressedMemory, CompressionTrace]]:
        """Each text compressed to its own budget: the one place that runs the strategy (the batch API, in process)."""
        from compact_memory.batch import compress_many

        return [result.unwrap() for result in compress_many(texts, budgets, self.strategy, tokenizer=self.tokenizer,
                                                             query=query, count_input=False)]


def compress_context(
    documents: Sequence[str | ContextDocument],
    budget: int,
    strategy: StrategySpec = "extractive",
    *,
    tokenizer: str | Tokenizer | None = None,
    query: str | None = None,
    params: Mapping[str, Any] | None = None,
    min_tokens: int = DEFAULT_MIN_TOKENS,
    scores: Sequence[float] | None = None,
) -> list[CompressedDocument]:
    """Compress ``documents`` so that together they take at most ``budget`` tokens.

    ``documents`` are strings or :class:`ContextDocument` objects, best-ranked
    first unless ``scores`` (one number per document, higher is better) says
    otherwise. ``strategy`` is any registered id (built-in or plugin, resolved
    as on the command line), a class or an instance, built with ``params``.
    ``min_tokens`` is the per-document floor. The module docstring gives the
    allocation rule and what is left out; :class:`ContextCompressor` resolves
    the options once for many calls.
    """
    compressor = ContextCompressor(budget, strategy, tokenizer=tokenizer, params=params, min_tokens=min_tokens)
    return compressor.compress(documents, query=query, scores=scores)


def resolve_strategy(strategy: StrategySpec, params: Mapping[str, Any] | None = None) -> CompressionStrategy:
    """An instance of ``strategy`` (resolved and built as on the command line); errors name the option."""
    if params is not None and not isinstance(params, Mapping):
        raise ContextError(f"params: expected a mapping of parameter names to values, got {type(params).__name__}")
    try:
        return make_strategy(strategy, params)
    except PluginError:
        raise  # the plugin's own failure: reported as that plugin's, with its id and origin
    except CompactMemoryError as exc:
        option = "params" if params and ("parameter" in exc.message or "params" in exc.message) else "strategy"
        raise ContextError(f"{option}: {exc.message}", hint=exc.hint) from None


def resolve_tokenizer(tokenizer: str | Tokenizer | None) -> Tokenizer:
    """The tokenizer ``tokenizer`` names (``None``: the default ``words``); errors name the option."""
    try:
        return get_tokenizer(tokenizer)
    except CompactMemoryError as exc:
        raise ContextError(f"tokenizer: {exc.message}", hint=exc.hint) from None


def check_min_tokens(min_tokens: object, budget: int) -> int:
    """``min_tokens`` is a whole number >= 0 and, unless the budget is 0, at most the budget."""
    if isinstance(min_tokens, bool) or not isinstance(min_tokens, int) or min_tokens < 0:
        raise ContextError(f"min_tokens: must be a whole number of tokens >= 0, got {min_tokens!r}")
    if 0 < budget < min_tokens:
        raise ContextError(
            f"min_tokens: the per-document floor ({min_tokens}) is larger than the budget ({budget}), "
            "so every document that does not fit whole would be dropped",
            hint=f"raise the budget or set min_tokens to at most {budget} (0 turns the floor off)",
        )
    return min_tokens


def _checked_budget(budget: object) -> int:
    try:
        return check_budget(budget)
    except UsageError as exc:
        raise ContextError(f"budget: {exc.message}", hint=exc.hint) from None


def _texts(documents: object) -> tuple[list[str], list[dict[str, Any]]]:
    if isinstance(documents, (str, bytes)) or not isinstance(documents, Sequence):
        raise ContextError(f"documents: expected a list of texts or ContextDocument, got {type(documents).__name__}",
                           hint="pass [text] for a single document")
    texts: list[str] = []
    metadata: list[dict[str, Any]] = []
    for i, doc in enumerate(documents):
        text, meta = (doc.text, dict(doc.metadata)) if isinstance(doc, ContextDocument) else (doc, {})
        if not isinstance(text, str):
            raise ContextError(f"documents[{i}]: text must be a str, got {type(text).__name__}")
        texts.append(text)
        metadata.append(meta)
    return texts, metadata


def _checked_scores(scores: object, count: int) -> list[float] | None:
    if scores is None:
        return None
    if isinstance(scores, (str, bytes)) or not isinstance(scores, Sequence) or len(scores) != count:
        raise ContextError(f"scores: expected one number per document ({count}), got {scores!r:.80}")
    for i, score in enumerate(scores):
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
            raise ContextError(f"scores[{i}]: expected a finite number, got {score!r}")
    return [float(s) for s in scores]


def _accepts_query(instance: CompressionStrategy) -> bool:
    """Whether ``compress`` takes ``query=`` (or any keyword): strategies written without it still work."""
    import inspect

    try:
        parameters = inspect.signature(instance.compress).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.kind is p.VAR_KEYWORD or (p.name == "query" and p.kind is not p.POSITIONAL_ONLY)
               for p in parameters)
