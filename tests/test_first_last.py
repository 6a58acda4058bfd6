"""``first_last``: verbatim head and tail around a marker, within the budget."""

from __future__ import annotations

import json

import pytest

from compact_memory.errors import TokenizerError, UsageError
from compact_memory.strategies.first_last import DEFAULT_MARKER, FirstLastStrategy
from compact_memory.testing import check_strategy
from compact_memory.tokenizers import Tokenizer, get_tokenizer
from tests.conftest import run_cli

WORDS = get_tokenizer("words")
TEXT = " ".join(f"w{i}" for i in range(200))  # 200 tokens, each word distinct


def compress(text: str, budget: int, tok: Tokenizer = WORDS, **params: object) -> str:
    memory, _ = FirstLastStrategy(**params).compress(text, budget, tokenizer=tok)  # type: ignore[arg-type]
    return memory.text


def split(output: str, marker: str = DEFAULT_MARKER) -> tuple[str, str]:
    first, found, last = output.partition(marker)
    assert found, f"no marker in {output!r}"
    return first, last


def test_passes_the_contract_checks() -> None:
    check_strategy(FirstLastStrategy)


def test_text_that_fits_comes_back_unchanged_without_marker() -> None:
    assert compress(TEXT, 200) == TEXT
    assert compress(TEXT, 10_000) == TEXT


def test_keeps_the_true_start_and_end_around_the_marker() -> None:
    output = compress(TEXT, 25)
    first, last = split(output)
    assert TEXT.startswith(first) and first.startswith("w0 w1")
    assert TEXT.endswith(last) and last.endswith("w198 w199")
    assert WORDS.count(output) <= 25
    # The marker's 5 tokens count: 20 are left for the text, split evenly.
    assert WORDS.count(DEFAULT_MARKER) == 5
    assert (WORDS.count(first), WORDS.count(last)) == (10, 10)


def test_head_and_tail_never_overlap() -> None:
    text = "alpha beta gamma delta epsilon"
    for budget in range(4):
        output = compress(text, budget)
        assert WORDS.count(output) <= budget
    assert compress(text, 4, marker="|") == "alpha|delta epsilon"
    # One word too many: all but one are kept, each once.
    assert compress(text + " zeta", 5, marker="|") == "alpha beta|epsilon zeta"


@pytest.mark.parametrize(("fraction", "expected"), [(0.0, (0, 20)), (0.25, (5, 15)), (1.0, (20, 0))])
def test_head_fraction_shares_the_tokens(fraction: float, expected: tuple[int, int]) -> None:
    first, last = split(compress(TEXT, 25, head_fraction=fraction))
    assert (WORDS.count(first), WORDS.count(last)) == expected


def test_a_budget_too_small_for_the_marker_keeps_the_head_only() -> None:
    for budget in (1, 6, 9):  # marker 5 tokens: needs at least 10
        output = compress(TEXT, budget)
        assert DEFAULT_MARKER not in output
        assert TEXT.startswith(output) and WORDS.count(output) == budget
    assert DEFAULT_MARKER in compress(TEXT, 10)


def test_budget_zero_gives_nothing() -> None:
    assert compress(TEXT, 0) == ""
    assert compress("", 0) == ""


def test_custom_marker_counts_toward_the_budget() -> None:
    marker = " <<< cut here >>> "
    output = compress(TEXT, 30, marker=marker)
    first, last = split(output, marker)
    assert WORDS.count(output) <= 30
    assert WORDS.count(first) + WORDS.count(last) == 30 - WORDS.count(marker)


def test_empty_marker_is_allowed() -> None:
    output = compress(TEXT, 10, marker="\n")
    first, last = split(output, "\n")
    assert TEXT.startswith(first) and TEXT.endswith(last)


def test_chunks_are_joined_by_blank_lines() -> None:
    chunks = ["first chunk here", "middle " * 50, "last chunk here"]
    memory, _ = FirstLastStrategy().compress(chunks, 16, tokenizer=WORDS)
    first, last = split(memory.text)
    assert first.startswith("first chunk here") and last.endswith("last chunk here")


def test_params_from_strings_and_bad_values() -> None:
    assert FirstLastStrategy(head_fraction="0.3").head_fraction == pytest.approx(0.3)
    for bad in ("1.5", "-0.1", "half"):
        with pytest.raises(UsageError, match="head_fraction"):
            FirstLastStrategy(head_fraction=bad)
    with pytest.raises(UsageError, match="marker"):
        FirstLastStrategy(marker=3)  # type: ignore[arg-type]


def test_trace_says_what_was_kept() -> None:
    _, trace = FirstLastStrategy().compress(TEXT, 25, tokenizer=WORDS)
    (step,) = trace.steps
    assert step["type"] == "head_tail"
    assert step["details"]["head_chars"] + step["details"]["tail_chars"] + step["details"]["dropped_chars"] == len(TEXT)
    _, trace = FirstLastStrategy().compress(TEXT, 3, tokenizer=WORDS)
    assert trace.steps[0]["type"] == "head_only"
    assert json.loads(trace.to_json())["strategy_params"] == {"marker": DEFAULT_MARKER, "head_fraction": 0.5}


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
def test_bpe_tokenizers_keep_the_budget(name: str) -> None:
    try:
        tok = get_tokenizer(name)
    except TokenizerError as exc:
        pytest.skip(f"{name} not available: {exc}")
    text = "Ünïcödé 👩‍👩‍👧‍👦 text with code `x = 1` and numbers 3.14159.\n" * 40
    for budget in (0, 1, 5, 9, 10, 11, 40, 333):
        output = compress(text, budget, tok)
        assert tok.count(output) <= budget
        if DEFAULT_MARKER in output:
            first, last = split(output)
            assert text.startswith(first) and text.endswith(last)
        else:
            assert text.startswith(output)


def test_large_input_is_cut_without_tokenizing_all_of_it() -> None:
    class Counting:
        name = "counting"

        def __init__(self) -> None:
            self.chars = 0

        def count(self, text: str) -> int:
            self.chars += len(text)
            return WORDS.count(text)

    tok = Counting()
    text = "word " * 400_000  # 2 MB
    output = compress(text, 100, tok)
    assert WORDS.count(output) <= 100
    assert tok.chars < len(text) // 10


def test_cli_first_last_with_params() -> None:
    result = run_cli("compress", "--text", TEXT, "--budget", "11", "--strategy", "first_last",
                     "--param", "head_fraction=0.5", "--param", "marker= ~ ")
    assert result.returncode == 0, result.stderr
    first, last = split(result.stdout.rstrip("\n"), " ~ ")
    assert first == "w0 w1 w2 w3 w4" and last == "w195 w196 w197 w198 w199"


class CostlyJoins:
    """Words, with the marker costing 3 and any marker next to text costing 4 more."""

    name = "costly_joins"

    def count(self, text: str) -> int:
        words = text.split()
        marks = text.count("[...]")
        return len(words) + 3 * marks + (4 if marks and len(words) > marks else 0)


def test_never_keeps_the_marker_with_no_text_on_one_side() -> None:
    from compact_memory.strategies.first_last import FirstLastStrategy
    from compact_memory.tokenizers import head

    tok = CostlyJoins()
    text = " ".join(f"w{i}" for i in range(40))
    memory, trace = FirstLastStrategy().compress(text, 9, tokenizer=tok)
    assert tok.count(memory.text) <= 9
    assert memory.text == head(tok, text, 9)  # the head only, not "[...]" with a word or none
    assert any(step["type"] == "head_only" for step in trace.steps)
