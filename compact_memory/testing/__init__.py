"""The contract every compression strategy meets, as checks you can run.

For strategy authors, like scikit-learn's ``check_estimator``::

    from compact_memory.testing import check_strategy
    check_strategy(MyStrategy)            # raises StrategyCheckError listing every failure

With pytest, one test per check, named after it::

    from compact_memory.testing import parametrize_strategy_checks

    @parametrize_strategy_checks(MyStrategy, samples={"notes": NOTES})
    def test_strategy_contract(strategy_check):
        strategy_check()

The checks call ``compress`` directly (not through the runtime, which would
hide a budget overrun by cutting the output), with every tokenizer that can
be loaded here: ``words`` always, ``cl100k_base`` and ``o200k_base`` when the
``tiktoken`` extra is installed. A failure names the check, the strategy,
the input, the budget and the tokenizer.

``samples`` adds your own inputs (a name -> text or chunk list mapping) to
the budget, fits-unchanged and determinism checks. ``expected_failures``
(check name -> reason) marks a check you know your strategy fails: it still
runs, its failure is reported with your reason (pytest shows it as xfail),
and it is an error once the check passes, so the mark never goes stale.
:func:`check_experiments` runs the strategy on the documents of a package's
default experiments at their budgets.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from compact_memory.compression.strategies_abc import CompressionStrategy
from compact_memory.testing import checks as c
from compact_memory.testing.experiments import check_experiments
from compact_memory.testing.samples import DEFAULT_BUDGETS, SAMPLE_CHUNKS, SAMPLE_TEXTS, UNICODE_TEXTS
from compact_memory.testing.subject import StrategyCheckError, Subject, available_tokenizers
from compact_memory.tokenizers import Tokenizer, get_tokenizer

__all__ = [
    "SAMPLE_CHUNKS",
    "SAMPLE_TEXTS",
    "UNICODE_TEXTS",
    "CheckReport",
    "StrategyCheck",
    "StrategyCheckError",
    "available_tokenizers",
    "check_experiments",
    "check_strategy",
    "parametrize_strategy_checks",
    "strategy_checks",
]

Samples = Mapping[str, str | Sequence[str]]

if TYPE_CHECKING:
    from typing_extensions import Unpack


class CheckOptions(TypedDict, total=False):
    """The keyword options of :func:`strategy_checks`, taken alike by :func:`check_strategy` and
    :func:`parametrize_strategy_checks`."""

    params: Mapping[str, Any] | None
    tokenizers: Sequence[str | Tokenizer] | None
    budgets: Sequence[int]
    samples: Samples | None
    expected_failures: Mapping[str, str] | None


@dataclass(frozen=True)
class StrategyCheck:
    """One named check; call it to run it (raises :class:`StrategyCheckError`).

    A check marked as an expected failure (``expected_failure`` holds the
    reason) raises only when it unexpectedly passes.
    """

    name: str
    description: str
    run: Callable[[], None]
    expected_failure: str | None = None

    def __call__(self) -> None:
        if self.expected_failure is None:
            self.run()
            return
        try:
            self.run()
        except StrategyCheckError:
            return
        raise StrategyCheckError(f"check {self.name!r} was expected to fail ({self.expected_failure}) but passed; "
                                 "remove it from expected_failures")

    def __repr__(self) -> str:
        return f"StrategyCheck({self.name!r})"


@dataclass(frozen=True)
class CheckReport:
    """What :func:`check_strategy` ran: the checks that passed and the expected failures, with reasons."""

    passed: tuple[str, ...]
    expected_failures: dict[str, str]

    def __str__(self) -> str:
        text = f"{len(self.passed)} strategy checks passed"
        for name, reason in self.expected_failures.items():
            text += f"\n- {name}: failed as expected ({reason})"
        return text


def strategy_checks(
    strategy: type[CompressionStrategy] | str,
    *,
    params: Mapping[str, Any] | None = None,
    tokenizers: Sequence[str | Tokenizer] | None = None,
    budgets: Sequence[int] = DEFAULT_BUDGETS,
    samples: Samples | None = None,
    expected_failures: Mapping[str, str] | None = None,
) -> list[StrategyCheck]:
    """The contract as a list of named checks; nothing runs until one is called.

    ``strategy`` is a class (or a strategy id, resolved like ``--strategy``);
    ``params`` are passed to its constructor; ``tokenizers`` defaults to
    :func:`available_tokenizers`; see the module docstring for ``samples``
    and ``expected_failures``.
    """
    if isinstance(strategy, str):
        from compact_memory.plugins.registry import get_compression_strategy

        strategy = get_compression_strategy(strategy)
    s = Subject(strategy, params or {}, samples)
    toks = [get_tokenizer(t) for t in tokenizers] if tokenizers is not None else available_tokenizers()
    words = toks[0]
    found: list[tuple[str, str, Callable[[], None]]] = [
        ("class_attributes", "a CompressionStrategy subclass with a valid id, creatable with params",
         lambda: c.class_attributes(s)),
        ("return_types", "compress returns (CompressedMemory with str text, CompressionTrace)",
         lambda: c.return_types(s, words)),
        *((f"budget_kept[{tok.name}]", f"output fits every budget in {list(budgets)} and more under {tok.name}",
           functools.partial(c.budget_kept, s, tok, budgets)) for tok in toks),
        ("unchanged_when_fits", "input that fits the budget comes back unchanged",
         lambda: c.unchanged_when_fits(s, toks)),
        ("empty_input", "empty text and empty chunk lists give empty output", lambda: c.empty_input(s, toks)),
        ("unicode_input", "accents, emoji, CJK and right-to-left text: budget kept, no broken characters",
         lambda: c.unicode_input(s, toks)),
        ("chunk_list_input", "a list or tuple of chunks is accepted like their text joined by blank lines",
         lambda: c.chunk_list_input(s, toks)),
        ("runtime_kwargs", "query= and unknown keyword arguments from newer runtimes are accepted",
         lambda: c.runtime_kwargs(s, words)),
        ("deterministic", "the same input gives the same output, on one instance and on a fresh one",
         lambda: c.deterministic(s, toks)),
        ("trace_round_trip", "the trace names the strategy id and survives a JSON round trip",
         lambda: c.trace_round_trip(s, words)),
        ("input_not_mutated", "a chunk list passed in is left as it was", lambda: c.input_not_mutated(s, words)),
    ]
    expected = dict(expected_failures or {})
    names = [name for name, _, _ in found]
    unknown = [name for name in expected if name not in names]
    if unknown:
        close = difflib.get_close_matches(unknown[0], names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f"; the checks are {', '.join(names)}"
        raise ValueError(f"expected_failures names no check {unknown[0]!r}{hint}")
    return [StrategyCheck(name, text, run, expected.get(name)) for name, text, run in found]


def check_strategy(strategy: type[CompressionStrategy] | str, **options: Unpack[CheckOptions]) -> CheckReport:
    """Run every check of :func:`strategy_checks` (same options); raise one :class:`StrategyCheckError`
    that lists each unexpected result."""
    failures = []
    passed = []
    checks = strategy_checks(strategy, **options)
    for check in checks:
        try:
            check()
        except StrategyCheckError as exc:
            failures.append(str(exc))
        else:
            if check.expected_failure is None:
                passed.append(check.name)
    if failures:
        raise StrategyCheckError(
            f"{len(failures)} of {len(checks)} strategy checks failed:\n" + "\n".join(f"- {f}" for f in failures)
        )
    return CheckReport(tuple(passed), {ck.name: ck.expected_failure for ck in checks if ck.expected_failure})


def parametrize_strategy_checks(
    strategy: type[CompressionStrategy] | str, *, argname: str = "strategy_check", **options: Unpack[CheckOptions]
) -> Any:
    """A ``pytest.mark.parametrize`` giving one test per check of :func:`strategy_checks` (same options),
    named after it; expected failures are xfail."""
    import pytest

    checks = strategy_checks(strategy, **options)
    cases = [
        pytest.param(
            StrategyCheck(ck.name, ck.description, ck.run), id=ck.name,
            marks=[pytest.mark.xfail(reason=ck.expected_failure, strict=True, raises=StrategyCheckError)]
            if ck.expected_failure else [],
        )
        for ck in checks
    ]
    return pytest.mark.parametrize(argname, cases)
