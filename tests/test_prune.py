"""``prune``: filler words go; negations, numbers, identifiers, URLs, code and lines stay."""

from __future__ import annotations

import time

import pytest

from compact_memory.errors import TokenizerError, UsageError
from compact_memory.strategies.prune import FILLER_WORDS, NEGATIONS, PruneStrategy
from compact_memory.testing import check_strategy
from compact_memory.tokenizers import Tokenizer, get_tokenizer, head
from tests.conftest import run_cli

WORDS = get_tokenizer("words")


def prune(text: str, tok: Tokenizer = WORDS, budget: int | None = None, **params: str | bool) -> str:
    """Prune with a budget one token short of the text, so pruning always runs."""
    if budget is None:
        budget = max(tok.count(text) - 1, 0)
    memory, _ = PruneStrategy(**params).compress(text, budget, tokenizer=tok)  # type: ignore[arg-type]
    return memory.text


def test_passes_the_contract_checks() -> None:
    check_strategy(PruneStrategy)


def test_removes_filler_words() -> None:
    assert prune("The cat is very big and it basically just sat there.") == "Cat is big and it sat there."
    assert prune("I really think that the plan actually works") == "I think plan works"


def test_filler_list_is_documented_and_never_holds_a_negation() -> None:
    assert {"a", "an", "the", "very", "really", "basically", "just", "actually", "that"} <= FILLER_WORDS
    assert not FILLER_WORDS & NEGATIONS


def test_keeps_negations() -> None:
    text = "It is not the answer. No, the cat never sat. Nor the dog. I don't know, it isn't, won't, can't, can\u2019t."
    out = prune(text)
    for word in ("not", "No,", "never", "Nor", "don't", "isn't,", "won't,", "can't,", "can\u2019t."):
        assert word in out.split(), word
    assert " the " not in out


def test_keeps_numbers_identifiers_and_urls() -> None:
    text = (
        "Set the the_value to 3 and a theValue to 1,000 via the.config.a and a a.b.c.\n"
        "See the https://example.com/the/a?just=really#that page or www.the.org/a today, the end"
    )
    out = prune(text)
    for kept in ("the_value", "3", "theValue", "1,000", "the.config.a", "a.b.c.", "https://example.com/the/a?just=really#that",
                 "www.the.org/a"):
        assert kept in out.split(), kept
    assert out.startswith("Set the_value to 3 and theValue")


def test_a_capitalized_filler_passes_its_capital_on() -> None:
    text = "The cat sat. The numpy_array grew. The iPhone rang. A b."
    assert prune(text) == "Cat sat. numpy_array grew. iPhone rang. B."
    assert prune("I saw the cat and The dog") == "I saw cat and dog"  # not at a sentence start
    assert prune("(Really.) The very basic one!\" A the cat") == "(Really.) Basic one!\" Cat"


def test_only_free_standing_words_go() -> None:
    assert prune("(a) the, that's the-end 'the' the") == "(a) the, that's the-end 'the'"


def test_fenced_code_blocks_are_untouched() -> None:
    code = "```python\n# the very basic case\nx = a if the else that\n```\n"
    tilde = "~~~~\nthe a an\n~~~\nstill the code\n~~~~\n"
    text = f"The intro.\n{code}The middle.\n{tilde}The end."
    out = prune(text)
    assert code in out and tilde in out
    assert out.startswith("Intro.\n") and out.endswith("Middle.\n" + tilde + "End.")


def test_unterminated_fence_protects_the_rest() -> None:
    text = "The start.\n```\nthe code\nthe more"
    assert prune(text) == "Start.\n```\nthe code\nthe more"


def test_indented_code_and_inline_code_are_untouched() -> None:
    text = "Use `the a.b` and ``just ` the`` now, the end.\n    return the value\n\tthe tab\n  the two"
    assert prune(text) == "Use `the a.b` and ``just ` the`` now, end.\n    return the value\n\tthe tab\n  two"


def test_line_structure_and_indentation_are_kept() -> None:
    text = "The first line\r\n\n  - the item\n  - very\nthe\n\nlast the\tone  \n"
    out = prune(text)
    assert out == "First line\r\n\n  - item\n  -\n\n\nlast\tone  \n"
    assert out.count("\n") == text.count("\n")


def test_text_that_fits_is_returned_unchanged() -> None:
    text = "The very basic text that just fits."
    memory, trace = PruneStrategy().compress(text, WORDS.count(text), tokenizer=WORDS)
    assert memory.text == text
    assert trace.steps[0]["type"] == "fits"


def test_always_prunes_text_that_fits() -> None:
    text = "The very basic text that just fits."
    for always in (True, "yes"):
        assert prune(text, budget=100, always=always) == "Basic text fits."
    with pytest.raises(UsageError, match="always must be true or false"):
        PruneStrategy(always="perhaps")
    result = run_cli("compress", "--text", text, "--budget", "100", "--strategy", "prune", "--param", "always=on")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Basic text fits.\n"


def test_fits_the_budget_with_the_head_of_the_pruned_text() -> None:
    text = "\n".join(f"The line {i} is very, very long and really that boring." for i in range(100))
    full = prune(text)
    for budget in (0, 1, 7, 50, 333):
        out = prune(text, budget=budget)
        assert WORDS.count(out) <= budget
        assert out == head(WORDS, full, budget)


def test_extra_and_keep_words() -> None:
    text = "Please keep the very important note, please."
    assert prune(text, extra_words="please, Important", keep_words="VERY") == "Keep very note, please."
    with pytest.raises(UsageError, match="negations are always kept"):
        PruneStrategy(extra_words="maybe,not,shouldn't")


def test_trace_reports_removed_words() -> None:
    text = "the a an the word " * 10
    _, trace = PruneStrategy().compress(text, 5, tokenizer=WORDS)
    types = [s["type"] for s in trace.steps]
    assert types == ["prune", "truncate"]
    assert trace.steps[0]["details"]["removed_words"] >= 4


def test_large_input_prunes_only_what_the_budget_can_reach() -> None:
    text = "The quick brown fox is really very quick.\n" * 200_000  # 8 MB
    started = time.perf_counter()
    memory, trace = PruneStrategy().compress(text, 200, tokenizer=WORDS)
    assert time.perf_counter() - started < 2
    assert WORDS.count(memory.text) <= 200
    assert trace.steps[0]["details"]["whole_text_pruned"] is False
    assert memory.text.startswith("Quick brown fox is quick.\nQuick brown fox")


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
def test_bpe_tokenizers_keep_the_budget(name: str) -> None:
    try:
        tok = get_tokenizer(name)
    except TokenizerError as exc:
        pytest.skip(f"{name} not available: {exc}")
    text = "The café is really not that 👍🏽 good, basically.\n```\nthe code\n```\n" * 30
    for budget in (0, 1, 9, 100, tok.count(text) - 1):
        out = prune(text, tok, budget=budget)
        assert tok.count(out) <= budget
        assert "\ufffd" not in out


def test_cli_prune() -> None:
    result = run_cli("compress", "--text", "The cat is not very big, it just sat.\nThe end of it.", "--budget", "12",
                     "--strategy", "prune")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Cat is not big, it sat.\nEnd of it.\n"


def test_a_restructuredtext_tilde_underline_is_no_code_fence() -> None:
    from compact_memory.strategies.prune import PruneStrategy

    text = "Section\n~~~~~~~\n\nThe cat is very really just a cat.\n\nOther\n~~~~~\n\nIt is really just a dog.\n"
    memory, _ = PruneStrategy(always=True).compress(text, 100)
    assert memory.text == "Section\n~~~~~~~\n\nCat is cat.\n\nOther\n~~~~~\n\nIt is dog.\n"
