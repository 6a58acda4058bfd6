"""The contract every compression strategy meets, as checks you can run.

For strategy authors, like scikit-learn's ``check_estimator``::

    from compact_memory.testing import check_strategy
    check_strategy(MyStrategy)            # raises StrategyCheckError listing every failure

With pytest, one test per check, named after it::

    from compact_memory.testing import parametrize_strategy_checks

    @parametrize_strategy_checks(MyStrategy)
    def test_strategy_contract(strategy_check):
        strategy_check()

The checks call ``compress`` directly (not through the runtime, which would
hide a budget overrun by cutting the output), with every tokenizer that can
be loaded here: ``words`` always, ``cl100k_base`` and ``o200k_base`` when the
``tiktoken`` extra is installed. A failure names the check, the strategy,
the input, the budget and the tokenizer.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compact_memory.compression.strategies_abc import (
    CompressedMemory,
    CompressionStrategy,
    join_chunks,
)
from compact_memory.compression.trace import CompressionTrace
from compact_memory.names import ID_RULE, id_pattern, is_strategy_id
from compact_memory.tokenizers import Tokenizer, get_tokenizer

__all__ = [
    "SAMPLE_CHUNKS",
    "SAMPLE_TEXTS",
    "UNICODE_TEXTS",
    "StrategyCheck",
    "StrategyCheckError",
    "available_tokenizers",
    "check_strategy",
    "parametrize_strategy_checks",
    "strategy_checks",
]

OPTIONAL_TOKENIZERS = ("cl100k_base", "o200k_base")
DEFAULT_BUDGETS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144)

SAMPLE_TEXTS: dict[str, str] = {
    "prose": (
        "Large language models read a fixed number of tokens at a time. A support assistant that "
        "has talked with a customer for an hour will sooner or later hold more text than the model "
        "can read. Something has to give.\n\n"
        "Keeping the newest text is cheap, but it forgets the order number mentioned in the first "
        "minute. Keeping the oldest text loses the question that was just asked!\n\n"
        "A better compressor looks at what the text says. Does it keep names, numbers (like 2,400 "
        "tickets or 61.5%) and negations? The refund was not approved."
    ),
    "markdown": (
        "# Release notes\n\n## Fixes\n\n- The parser no longer drops the last line.\n"
        "- Budgets of 0 now give empty output.\n\n## Example\n\n```python\n"
        "memory, trace = compress(text, 100)\nprint(memory.text)\n```\n\n"
        "See `docs/authoring.md` for details; report bugs at https://example.com/issues."
    ),
    "one_line": " ".join(f"word{i}" for i in range(120)),
    "whitespace": "  \n\n first   line \t\n\n\n second line  \n  ",
}

UNICODE_TEXTS: dict[str, str] = {
    "accents_emoji": (
        "Ünïcödé naïve café — “quoted” text… Emoji: 😀 👍🏽 👨‍👩‍👧 🇫🇷. Zoë Ñúñez wrote it. "
        "Combining marks: e\u0301 a\u0308. Math: ∑ ≤ ∞."
    ),
    "cjk": "日本語のテキストを圧縮します。中文文本也要压缩。한국어 문장입니다. 混合 mixed テキスト text.",
    "rtl": "مرحبا بالعالم. هذا نص عربي. שלום עולם, זה טקסט בעברית. Mixed with English.",
}

SAMPLE_CHUNKS: tuple[str, ...] = (
    "First chunk: the customer asked about order 1234.",
    "Second chunk: the parcel left the warehouse on Monday.",
    "Third chunk, 日本語 and émoji 🎉 included.",
)

_QUERY = "what happened to the order?"


class StrategyCheckError(AssertionError):
    """A strategy broke the contract; the message says which check and on what input."""


@dataclass(frozen=True)
class StrategyCheck:
    """One named check; call it to run it (raises :class:`StrategyCheckError`)."""

    name: str
    description: str
    run: Callable[[], None]

    def __call__(self) -> None:
        self.run()

    def __repr__(self) -> str:
        return f"StrategyCheck({self.name!r})"


def available_tokenizers() -> list[Tokenizer]:
    """``words`` plus each optional tokenizer that loads in this environment."""
    found = [get_tokenizer("words")]
    for name in OPTIONAL_TOKENIZERS:
        try:
            found.append(get_tokenizer(name))
        except Exception:  # not installed or not loadable here: not this kit's business
            continue
    return found


def _describe_input(value: str | Sequence[str]) -> str:
    shown = repr(value)
    if len(shown) <= 80:
        return shown
    return f"{shown[:72]}...{shown[-1]} ({len(join_chunks(value))} chars)"


class _Subject:
    """The strategy under test, and the helpers every check shares."""

    def __init__(self, cls: type[CompressionStrategy], params: Mapping[str, Any]) -> None:
        self.cls = cls
        self.params = dict(params)
        self.label = f"{cls.__qualname__} (id {getattr(cls, 'id', None)!r})"

    def fail(self, check: str, problem: str, **context: Any) -> StrategyCheckError:
        where = ", ".join(
            f"{key}={_describe_input(value) if key == 'input' else value}" for key, value in context.items()
        )
        return StrategyCheckError(
            f"check {check!r} failed for {self.label}: {problem}" + (f"; {where}" if where else "")
        )

    def make(self, check: str) -> CompressionStrategy:
        from compact_memory.errors import CompactMemoryError
        from compact_memory.factory import make_strategy

        try:
            return make_strategy(self.cls, self.params)
        except CompactMemoryError as exc:
            raise self.fail(check, f"cannot be created with params {self.params!r}: {exc}") from exc

    def run(
        self,
        check: str,
        value: str | Sequence[str],
        budget: int,
        tokenizer: Tokenizer,
        *,
        instance: CompressionStrategy | None = None,
        **extra: Any,
    ) -> tuple[CompressedMemory, CompressionTrace]:
        strategy = instance if instance is not None else self.make(check)
        where = {"input": value, "budget": budget, "tokenizer": tokenizer.name}
        try:
            result = strategy.compress(value, budget, tokenizer=tokenizer, **extra)
        except Exception as exc:
            raise self.fail(check, f"compress raised {type(exc).__name__}: {exc}", **where) from exc
        if not (isinstance(result, tuple) and len(result) == 2):
            raise self.fail(
                check,
                f"compress returned {type(result).__name__}, not a (CompressedMemory, CompressionTrace) tuple",
                **where,
            )
        memory, trace = result
        if not isinstance(memory, CompressedMemory) or not isinstance(memory.text, str):
            raise self.fail(
                check,
                f"compress returned {type(memory).__name__} where CompressedMemory with str text was expected",
                **where,
            )
        if not isinstance(trace, CompressionTrace):
            raise self.fail(
                check, f"compress returned {type(trace).__name__} where CompressionTrace was expected", **where
            )
        return memory, trace

    def within_budget(
        self, check: str, value: str | Sequence[str], budget: int, tokenizer: Tokenizer, **extra: Any
    ) -> str:
        memory, _ = self.run(check, value, budget, tokenizer, **extra)
        where = {"input": value, "budget": budget, "tokenizer": tokenizer.name}
        used = tokenizer.count(memory.text)
        if used > budget:
            raise self.fail(check, f"output has {used} tokens, over the budget of {budget}", **where)
        text = join_chunks(value)
        if "\ufffd" in memory.text and "\ufffd" not in text:
            raise self.fail(check, "output contains U+FFFD (a broken character) that the input lacks", **where)
        try:
            memory.text.encode("utf-8")
        except UnicodeEncodeError:
            raise self.fail(check, "output contains a lone surrogate: it cannot be encoded as UTF-8", **where) from None
        if memory.text != text and tokenizer.count(text) <= budget:
            raise self.fail(check, "the input fits the budget but was not returned unchanged", **where)
        return memory.text


def _budgets_for(tokens: int, budgets: Sequence[int]) -> list[int]:
    return sorted({*budgets, max(tokens - 1, 0), tokens, tokens + 1})


def strategy_checks(
    strategy: type[CompressionStrategy] | str,
    *,
    params: Mapping[str, Any] | None = None,
    tokenizers: Sequence[str | Tokenizer] | None = None,
    budgets: Sequence[int] = DEFAULT_BUDGETS,
) -> list[StrategyCheck]:
    """The contract as a list of named checks; nothing runs until one is called.

    ``strategy`` is a class (or a strategy id, resolved like ``--strategy``);
    ``params`` are passed to its constructor; ``tokenizers`` defaults to
    :func:`available_tokenizers`.
    """
    if isinstance(strategy, str):
        from compact_memory.plugins.registry import get_compression_strategy

        strategy = get_compression_strategy(strategy)
    subject = _Subject(strategy, params or {})
    toks = [get_tokenizer(t) for t in tokenizers] if tokenizers is not None else available_tokenizers()
    words = toks[0]
    checks = [
        StrategyCheck(
            "class_attributes",
            "a CompressionStrategy subclass with a valid id, creatable with params",
            lambda: _class_attributes(subject),
        ),
        StrategyCheck(
            "return_types",
            "compress returns (CompressedMemory with str text, CompressionTrace)",
            lambda: _return_types(subject, words),
        ),
    ]
    for tok in toks:
        checks.append(
            StrategyCheck(
                f"budget_kept[{tok.name}]",
                f"output fits every budget in {list(budgets)} and more under {tok.name}",
                functools.partial(_budget_kept, subject, tok, budgets),
            )
        )
    checks += [
        StrategyCheck(
            "unchanged_when_fits",
            "input that fits the budget comes back unchanged",
            lambda: _unchanged_when_fits(subject, toks),
        ),
        StrategyCheck(
            "empty_input", "empty text and empty chunk lists give empty output", lambda: _empty_input(subject, toks)
        ),
        StrategyCheck(
            "unicode_input",
            "accents, emoji, CJK and right-to-left text: budget kept, no broken characters",
            lambda: _unicode_input(subject, toks),
        ),
        StrategyCheck(
            "chunk_list_input",
            "a list or tuple of chunks is accepted like their text joined by blank lines",
            lambda: _chunk_list_input(subject, toks),
        ),
        StrategyCheck(
            "runtime_kwargs",
            "query= and unknown keyword arguments from newer runtimes are accepted",
            lambda: _runtime_kwargs(subject, words),
        ),
        StrategyCheck(
            "deterministic",
            "the same input gives the same output, on one instance and on a fresh one",
            lambda: _deterministic(subject, toks),
        ),
        StrategyCheck(
            "trace_round_trip",
            "the trace names the strategy id and survives a JSON round trip",
            lambda: _trace_round_trip(subject, words),
        ),
        StrategyCheck(
            "input_not_mutated", "a chunk list passed in is left as it was", lambda: _input_not_mutated(subject, words)
        ),
    ]
    return checks


def check_strategy(
    strategy: type[CompressionStrategy] | str,
    *,
    params: Mapping[str, Any] | None = None,
    tokenizers: Sequence[str | Tokenizer] | None = None,
    budgets: Sequence[int] = DEFAULT_BUDGETS,
) -> None:
    """Run every check; raise one :class:`StrategyCheckError` that lists each failure."""
    failures = []
    checks = strategy_checks(strategy, params=params, tokenizers=tokenizers, budgets=budgets)
    for check in checks:
        try:
            check()
        except StrategyCheckError as exc:
            failures.append(str(exc))
    if failures:
        raise StrategyCheckError(
            f"{len(failures)} of {len(checks)} strategy checks failed:\n" + "\n".join(f"- {f}" for f in failures)
        )


def parametrize_strategy_checks(
    strategy: type[CompressionStrategy] | str,
    *,
    params: Mapping[str, Any] | None = None,
    tokenizers: Sequence[str | Tokenizer] | None = None,
    budgets: Sequence[int] = DEFAULT_BUDGETS,
    argname: str = "strategy_check",
) -> Any:
    """A ``pytest.mark.parametrize`` giving one test per check, with the check's name as its id."""
    import pytest

    checks = strategy_checks(strategy, params=params, tokenizers=tokenizers, budgets=budgets)
    return pytest.mark.parametrize(argname, checks, ids=[c.name for c in checks])


# --- the checks ------------------------------------------------------------


def _class_attributes(s: _Subject) -> None:
    name = "class_attributes"
    if not (isinstance(s.cls, type) and issubclass(s.cls, CompressionStrategy)):
        raise s.fail(name, "is not a subclass of compact_memory.compression.CompressionStrategy")
    sid = getattr(s.cls, "id", None)
    if not is_strategy_id(sid):
        raise s.fail(name, f"id {sid!r} must match {id_pattern().pattern} ({ID_RULE})")
    for attr in ("display_name", "version"):
        value = getattr(s.cls, attr, None)
        if value is not None and not isinstance(value, str):
            raise s.fail(name, f"{attr} must be a string or None, got {type(value).__name__}")
    s.make(name)


def _return_types(s: _Subject, tok: Tokenizer) -> None:
    for budget in (0, 10, 10_000):
        s.run("return_types", SAMPLE_TEXTS["prose"], budget, tok)


def _budget_kept(s: _Subject, tok: Tokenizer, budgets: Sequence[int]) -> None:
    instance = s.make(f"budget_kept[{tok.name}]")
    for text in SAMPLE_TEXTS.values():
        for budget in _budgets_for(tok.count(text), budgets):
            s.within_budget(f"budget_kept[{tok.name}]", text, budget, tok, instance=instance)


def _unchanged_when_fits(s: _Subject, toks: Sequence[Tokenizer]) -> None:
    for tok in toks:
        for text in (*SAMPLE_TEXTS.values(), *UNICODE_TEXTS.values(), "One short sentence."):
            tokens = tok.count(text)
            for budget in (tokens, tokens + 50):
                memory, _ = s.run("unchanged_when_fits", text, budget, tok)
                if memory.text != text:
                    raise s.fail(
                        "unchanged_when_fits",
                        f"the input fits ({tokens} tokens) but came back changed as {memory.text[:60]!r}",
                        input=text,
                        budget=budget,
                        tokenizer=tok.name,
                    )


def _empty_input(s: _Subject, toks: Sequence[Tokenizer]) -> None:
    for tok in toks:
        for value in ("", [], [""]):
            for budget in (0, 5):
                memory, _ = s.run("empty_input", value, budget, tok)
                if memory.text.strip():
                    raise s.fail(
                        "empty_input",
                        f"output {memory.text[:60]!r} is not empty",
                        input=value,
                        budget=budget,
                        tokenizer=tok.name,
                    )


def _unicode_input(s: _Subject, toks: Sequence[Tokenizer]) -> None:
    for tok in toks:
        for text in UNICODE_TEXTS.values():
            tokens = tok.count(text)
            for budget in sorted({0, 1, 3, tokens // 3, tokens // 2, tokens - 1, tokens}):
                s.within_budget("unicode_input", text, max(budget, 0), tok)


def _chunk_list_input(s: _Subject, toks: Sequence[Tokenizer]) -> None:
    for tok in toks:
        tokens = tok.count(join_chunks(SAMPLE_CHUNKS))
        for value in (list(SAMPLE_CHUNKS), SAMPLE_CHUNKS, [SAMPLE_CHUNKS[0]]):
            for budget in (0, 4, tokens // 2, tokens, tokens + 10):
                s.within_budget("chunk_list_input", value, budget, tok)


def _runtime_kwargs(s: _Subject, tok: Tokenizer) -> None:
    text = SAMPLE_TEXTS["prose"]
    for budget in (10, 40):
        s.within_budget("runtime_kwargs", text, budget, tok, query=_QUERY)
        s.within_budget("runtime_kwargs", text, budget, tok, query=_QUERY, compact_memory_future_option=True)


def _deterministic(s: _Subject, toks: Sequence[Tokenizer]) -> None:
    instance = s.make("deterministic")
    for tok in toks:
        for text in (SAMPLE_TEXTS["prose"], SAMPLE_TEXTS["markdown"], UNICODE_TEXTS["accents_emoji"]):
            budget = max(tok.count(text) // 3, 1)
            first = s.run("deterministic", text, budget, tok, instance=instance)[0].text
            again = s.run("deterministic", text, budget, tok, instance=instance)[0].text
            fresh = s.run("deterministic", text, budget, tok)[0].text
            if not first == again == fresh:
                which = "a second call on the same instance" if first != again else "a fresh instance"
                raise s.fail(
                    "deterministic",
                    f"{which} gave different output ({first[:40]!r} vs {(again if first != again else fresh)[:40]!r})",
                    input=text,
                    budget=budget,
                    tokenizer=tok.name,
                )


def _trace_round_trip(s: _Subject, tok: Tokenizer) -> None:
    name = "trace_round_trip"
    for value, budget in (
        (SAMPLE_TEXTS["prose"], 20),
        (SAMPLE_TEXTS["prose"], 10_000),
        (list(SAMPLE_CHUNKS), 8),
        ("", 0),
    ):
        where = {"input": value, "budget": budget, "tokenizer": tok.name}
        _, trace = s.run(name, value, budget, tok)
        if trace.strategy_name != s.cls.id:
            raise s.fail(
                name, f"trace.strategy_name is {trace.strategy_name!r}, not the strategy id {s.cls.id!r}", **where
            )
        try:
            encoded = json.dumps(trace.to_dict(), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise s.fail(name, f"the trace is not JSON-serialisable: {exc}", **where) from exc
        restored = CompressionTrace.from_json(encoded)
        if restored != trace:
            raise s.fail(name, "the trace changes in a JSON round trip (use lists, not tuples, and str keys)", **where)


def _input_not_mutated(s: _Subject, tok: Tokenizer) -> None:
    chunks = list(SAMPLE_CHUNKS)
    before = copy.deepcopy(chunks)
    for budget in (0, 6, 10_000):
        s.run("input_not_mutated", chunks, budget, tok)
        if chunks != before:
            raise s.fail(
                "input_not_mutated",
                f"the chunk list was changed to {chunks!r}",
                input=before,
                budget=budget,
                tokenizer=tok.name,
            )
