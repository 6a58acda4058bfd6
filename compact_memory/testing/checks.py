"""The checks themselves; each raises :class:`StrategyCheckError` naming the input, budget and tokenizer."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence

from compact_memory.compression.strategies_abc import CompressionStrategy, join_chunks
from compact_memory.compression.trace import CompressionTrace
from compact_memory.names import ID_RULE, id_pattern, is_strategy_id
from compact_memory.testing.samples import QUERY, SAMPLE_CHUNKS, SAMPLE_TEXTS, UNICODE_TEXTS
from compact_memory.testing.subject import Subject, budgets_for
from compact_memory.tokenizers import Tokenizer


def class_attributes(s: Subject) -> None:
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


def return_types(s: Subject, tok: Tokenizer) -> None:
    for budget in (0, 10, 10_000):
        s.run("return_types", SAMPLE_TEXTS["prose"], budget, tok)


def budget_kept(s: Subject, tok: Tokenizer, budgets: Sequence[int]) -> None:
    instance = s.make(f"budget_kept[{tok.name}]")
    for text in (*SAMPLE_TEXTS.values(), *s.samples.values()):
        for budget in budgets_for(tok.count(join_chunks(text)), budgets):
            s.within_budget(f"budget_kept[{tok.name}]", text, budget, tok, instance=instance)


def unchanged_when_fits(s: Subject, toks: Sequence[Tokenizer]) -> None:
    for tok in toks:
        own = [join_chunks(sample) for sample in s.samples.values()]
        for text in (*SAMPLE_TEXTS.values(), *UNICODE_TEXTS.values(), "One short sentence.", *own):
            tokens = tok.count(text)
            for budget in (tokens, tokens + 50):
                memory, _ = s.run("unchanged_when_fits", text, budget, tok)
                if memory.text != text:
                    problem = f"the input fits ({tokens} tokens) but came back changed as {memory.text[:60]!r}"
                    raise s.fail_call("unchanged_when_fits", problem, text, budget, tok)


def empty_input(s: Subject, toks: Sequence[Tokenizer]) -> None:
    for tok in toks:
        for value in ("", [], [""]):
            for budget in (0, 5):
                memory, _ = s.run("empty_input", value, budget, tok)
                if memory.text.strip():
                    raise s.fail_call("empty_input", f"output {memory.text[:60]!r} is not empty", value, budget, tok)


def unicode_input(s: Subject, toks: Sequence[Tokenizer]) -> None:
    for tok in toks:
        for text in UNICODE_TEXTS.values():
            tokens = tok.count(text)
            for budget in sorted({0, 1, 3, tokens // 3, tokens // 2, tokens - 1, tokens}):
                s.within_budget("unicode_input", text, max(budget, 0), tok)


def chunk_list_input(s: Subject, toks: Sequence[Tokenizer]) -> None:
    for tok in toks:
        tokens = tok.count(join_chunks(SAMPLE_CHUNKS))
        for value in (list(SAMPLE_CHUNKS), SAMPLE_CHUNKS, [SAMPLE_CHUNKS[0]]):
            for budget in (0, 4, tokens // 2, tokens, tokens + 10):
                s.within_budget("chunk_list_input", value, budget, tok)


def runtime_kwargs(s: Subject, tok: Tokenizer) -> None:
    text = SAMPLE_TEXTS["prose"]
    for budget in (10, 40):
        s.within_budget("runtime_kwargs", text, budget, tok, query=QUERY)
        s.within_budget("runtime_kwargs", text, budget, tok, query=QUERY, compact_memory_future_option=True)


def deterministic(s: Subject, toks: Sequence[Tokenizer]) -> None:
    instance = s.make("deterministic")
    for tok in toks:
        own = [join_chunks(sample) for sample in s.samples.values()]
        for text in (SAMPLE_TEXTS["prose"], SAMPLE_TEXTS["markdown"], UNICODE_TEXTS["accents_emoji"], *own):
            budget = max(tok.count(text) // 3, 1)
            first = s.run("deterministic", text, budget, tok, instance=instance)[0].text
            again = s.run("deterministic", text, budget, tok, instance=instance)[0].text
            fresh = s.run("deterministic", text, budget, tok)[0].text
            if not first == again == fresh:
                which = "a second call on the same instance" if first != again else "a fresh instance"
                other = again if first != again else fresh
                problem = f"{which} gave different output ({first[:40]!r} vs {other[:40]!r})"
                raise s.fail_call("deterministic", problem, text, budget, tok)


def trace_round_trip(s: Subject, tok: Tokenizer) -> None:
    name = "trace_round_trip"
    for value, budget in (
        (SAMPLE_TEXTS["prose"], 20),
        (SAMPLE_TEXTS["prose"], 10_000),
        (list(SAMPLE_CHUNKS), 8),
        ("", 0),
    ):
        _, trace = s.run(name, value, budget, tok)
        if trace.strategy_name != s.cls.id:
            problem = f"trace.strategy_name is {trace.strategy_name!r}, not the strategy id {s.cls.id!r}"
            raise s.fail_call(name, problem, value, budget, tok)
        try:
            encoded = json.dumps(trace.to_dict(), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise s.fail_call(name, f"the trace is not JSON-serialisable: {exc}", value, budget, tok) from exc
        restored = CompressionTrace.from_json(encoded)
        if restored != trace:
            problem = "the trace changes in a JSON round trip (use lists, not tuples, and str keys)"
            raise s.fail_call(name, problem, value, budget, tok)


def input_not_mutated(s: Subject, tok: Tokenizer) -> None:
    chunks = list(SAMPLE_CHUNKS)
    before = copy.deepcopy(chunks)
    for budget in (0, 6, 10_000):
        s.run("input_not_mutated", chunks, budget, tok)
        if chunks != before:
            raise s.fail_call("input_not_mutated", f"the chunk list was changed to {chunks!r}", before, budget, tok)
