"""The strategy under test and what every check shares: building it, calling it, saying what failed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from compact_memory.compression.strategies_abc import CompressedMemory, CompressionStrategy, join_chunks
from compact_memory.compression.trace import CompressionTrace
from compact_memory.testing.samples import OPTIONAL_TOKENIZERS
from compact_memory.tokenizers import Tokenizer, get_tokenizer


class StrategyCheckError(AssertionError):
    """A strategy broke the contract; the message says which check and on what input."""


def available_tokenizers() -> list[Tokenizer]:
    """``words`` plus each optional tokenizer that loads in this environment."""
    found = [get_tokenizer("words")]
    for name in OPTIONAL_TOKENIZERS:
        try:
            found.append(get_tokenizer(name))
        except Exception:  # not installed or not loadable here: not this kit's business
            continue
    return found


def describe_input(value: str | Sequence[str]) -> str:
    shown = repr(value)
    if len(shown) <= 80:
        return shown
    return f"{shown[:72]}...{shown[-1]} ({len(join_chunks(value))} chars)"


class Subject:
    """The strategy under test, and the helpers every check shares."""

    def __init__(self, cls: type[CompressionStrategy], params: Mapping[str, Any],
                 samples: Mapping[str, str | Sequence[str]] | None = None) -> None:
        self.cls = cls
        self.params = dict(params)
        self.samples = dict(samples or {})  # the author's own inputs, checked like ours
        self.label = f"{cls.__qualname__} (id {getattr(cls, 'id', None)!r})"

    def fail(self, check: str, problem: str, **context: Any) -> StrategyCheckError:
        where = ", ".join(
            f"{key}={describe_input(value) if key == 'input' else value}" for key, value in context.items()
        )
        return StrategyCheckError(
            f"check {check!r} failed for {self.label}: {problem}" + (f"; {where}" if where else "")
        )

    def fail_call(self, check: str, problem: str, value: str | Sequence[str], budget: int,
                  tokenizer: Tokenizer) -> StrategyCheckError:
        """A failure of one ``compress`` call; the message names its input, budget and tokenizer."""
        return self.fail(check, problem, input=value, budget=budget, tokenizer=tokenizer.name)

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
        try:
            result = strategy.compress(value, budget, tokenizer=tokenizer, **extra)
        except Exception as exc:
            raise self.fail_call(check, f"compress raised {type(exc).__name__}: {exc}", value, budget,
                                 tokenizer) from exc
        if not (isinstance(result, tuple) and len(result) == 2):
            problem = f"compress returned {type(result).__name__}, not a (CompressedMemory, CompressionTrace) tuple"
            raise self.fail_call(check, problem, value, budget, tokenizer)
        memory, trace = result
        if not isinstance(memory, CompressedMemory) or not isinstance(memory.text, str):
            problem = f"compress returned {type(memory).__name__} where CompressedMemory with str text was expected"
            raise self.fail_call(check, problem, value, budget, tokenizer)
        if not isinstance(trace, CompressionTrace):
            problem = f"compress returned {type(trace).__name__} where CompressionTrace was expected"
            raise self.fail_call(check, problem, value, budget, tokenizer)
        return memory, trace

    def within_budget(
        self, check: str, value: str | Sequence[str], budget: int, tokenizer: Tokenizer, **extra: Any
    ) -> str:
        memory, _ = self.run(check, value, budget, tokenizer, **extra)
        used = tokenizer.count(memory.text)
        text = join_chunks(value)
        problem = None
        if used > budget:
            problem = f"output has {used} tokens, over the budget of {budget}"
        elif "\ufffd" in memory.text and "\ufffd" not in text:
            problem = "output contains U+FFFD (a broken character) that the input lacks"
        elif not _encodable(memory.text):
            problem = "output contains a lone surrogate: it cannot be encoded as UTF-8"
        elif memory.text != text and tokenizer.count(text) <= budget:
            problem = "the input fits the budget but was not returned unchanged"
        if problem is not None:
            raise self.fail_call(check, problem, value, budget, tokenizer)
        return memory.text


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def budgets_for(tokens: int, budgets: Sequence[int]) -> list[int]:
    return sorted({*budgets, max(tokens - 1, 0), tokens, tokens + 1})
