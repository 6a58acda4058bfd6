"""``extractive`` gives the same output, byte for byte, as the code the hashes were recorded with.

The memory work of issue 14 rewrote how ``extractive`` holds its data (arrays
instead of lists of objects, no lowercase copy of the input); selection must
not change. ``tests/data/extractive_golden.json`` holds a SHA-256 of the
output text and kept spans for every case below, recorded before the rewrite.
A deliberate change of behaviour re-records them::

    python tests/test_extractive_golden.py --write
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compact_memory.errors import TokenizerError
from compact_memory.strategies.extractive import ExtractiveStrategy
from compact_memory.tokenizers import get_tokenizer

GOLDEN = Path(__file__).parent / "data" / "extractive_golden.json"
SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sample_text.md"

PARAM_SETS: list[dict[str, Any]] = [
    {},
    {"redundancy": 0.0},
    {"length_exponent": 0.5, "position_weight": 0.0},
    {"max_sentences": 3},
    {"lead_share": 2.0, "query_weight": 0.5},
]


def _pydoc() -> str:
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key] for key in sorted(topics))


def documents() -> list[tuple[str, str]]:
    """Varied, deterministic inputs: prose, Markdown, code, lists, logs, CJK, CRLF, case that changes length."""
    rng = random.Random(14)
    pydoc = _pydoc()
    paragraphs = [p for p in pydoc.split("\n\n") if p.strip()]
    docs: list[tuple[str, str]] = [("sample", SAMPLE.read_text(encoding="utf-8"))]
    for i in range(8):
        start = rng.randrange(len(pydoc) - 60_000)
        docs.append((f"pydoc{i}", pydoc[start : start + rng.choice([3_000, 12_000, 40_000])]))
    for i in range(4):
        picked = rng.sample(paragraphs, 40)
        picked += rng.sample(picked, 10)  # verbatim repeats
        docs.append((f"shuffled{i}", "\n\n".join(picked)))
    fence = "```python\ndef f(x):\n    return x * 2.  # not a sentence end\n\n\nprint(f(3))\n```"
    markdown = "\n\n".join([
        "# Title of the page", "Intro sentence one. Intro sentence two follows it!", fence,
        "## Section", "- item one is here\n- item two is here\n  continued line\n1. first\n2) second",
        "| a | b |\n|---|---|\n| 1 | 2 |", ">>> print('x')\nx", "Title\n~~~~~", "---",
        "Dr. Smith met J. Doe at 3.14 p.m. The U.S. Army said so. Acme Inc. The end etc. No. 5 is here.",
        "```\nunclosed fence. Still text here.",
    ])
    docs.append(("markdown", markdown * 3))
    log = "\n".join(f"2024-01-{d:02d} 12:00:{d:02d} INFO worker {d % 7} handled request {d * 13}" for d in range(1, 29))
    docs.append(("log", (log + "\n\n") * 5))
    bang, question = "\uff01", "\uff1f"  # fullwidth marks
    cjk = "".join(f"这是第{i}个句子。" + (f"它很重要{bang}" if i % 3 == 0 else f"是吗{question}") for i in range(300))
    docs.append(("cjk", cjk))
    docs.append(("crlf", "\r\n".join(pydoc[5_000:15_000].split("\n"))))
    turkish = " ".join(f"İstanbul İzmir sentence {i} talks about İnce things. ΣΊΣΥΦΟΣ wrote {i}." for i in range(200))
    docs.append(("case_changes_length", turkish))
    # Greek capital sigma lowercases by context (final or not); units must not change that at their edges.
    greek = " ".join(f"ΟΔΟΣ {i} ΚΑΛΟΣ. ΣΟΦΟΣ ΛΟΓΟΣ! Σ ΑΣ ΑΣ. ΒΑΣΗ ΤΗΣ ΝΥΞ 。ΑΣ。ΒΣ ΔΙΑΣ'ΑΣ" for i in range(150))
    docs.append(("greek_sigma", greek))
    words = pydoc.split()
    docs.append(("no_punctuation", " ".join(rng.choice(words).strip(".!?") for _ in range(3_000))))
    docs.append(("one_long_sentence", " ".join(words[:2_000]).replace(".", ",") + "."))
    docs.append(("tiny", "Just one short sentence."))
    docs.append(("empty", ""))
    docs.append(("whitespace", " \n\n\t \n"))
    docs.append(("large", pydoc[:400_000]))
    return docs


def cases() -> Iterator[tuple[str, str, int, str, str, dict[str, Any]]]:
    """(case id, text, budget, tokenizer, query, params)."""
    rng = random.Random(1414)
    for name, text in documents():
        budgets = [0, 1, 7, 40, 150, 600] if name != "large" else [40, 1_000, 8_000]
        for budget in budgets:
            tokenizers = ["words", "cl100k_base"] if budget in (40, 150, 1_000) else ["words"]
            for tokenizer in tokenizers:
                yield f"{name}/{budget}/{tokenizer}", text, budget, tokenizer, "", {}
        words = [w for w in text.split() if w.isalpha() and len(w) > 4]
        if words:
            query = " ".join(rng.sample(words, min(3, len(words)))) + "?"
            yield f"{name}/query", text, 120, "words", query, {}
        for index, params in enumerate(PARAM_SETS[1:], start=1):
            yield f"{name}/params{index}", text, 90, "words", "", params
    yield "o200k", _pydoc()[:30_000], 200, "o200k_base", "", {}


def digest(text: str, budget: int, tokenizer: str, query: str, params: dict[str, Any]) -> str:
    memory, _ = ExtractiveStrategy(**params).compress(text, budget, tokenizer=get_tokenizer(tokenizer), query=query)
    payload = json.dumps({"text": memory.text, "spans": memory.metadata["spans"]}, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def compute() -> dict[str, str]:
    return {case_id: digest(text, budget, tok, query, params) for case_id, text, budget, tok, query, params in cases()}


def test_outputs_are_unchanged() -> None:
    try:
        get_tokenizer("cl100k_base")
        get_tokenizer("o200k_base")
    except TokenizerError as exc:
        pytest.skip(f"BPE tokenizers are not installed: {exc}")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    actual = compute()
    assert sorted(actual) == sorted(expected), "the set of cases changed; re-record with --write"
    changed = [case_id for case_id in expected if actual[case_id] != expected[case_id]]
    assert changed == [], f"{len(changed)} of {len(expected)} outputs changed: {changed[:10]}"


def test_lazy_ranking_is_the_full_stable_sort(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large inputs rank only a prefix of the units; what selection reads must be the full sort's order."""
    from array import array

    from compact_memory.strategies import extractive_order

    rng = random.Random(3)
    count = 16_000  # 1/32 of it is less than the prefix below
    initial = array("d", (rng.choice([0.25, 0.5, rng.random()]) for _ in range(count)))  # many ties
    sizes = array("q", (rng.randint(1, 60) for _ in range(count)))
    full = sorted(range(count), key=initial.__getitem__, reverse=True)
    monkeypatch.setattr(extractive_order, "_ORDER_PREFIX", 600)
    order = extractive_order.Order(initial)
    assert [order[k] for k in range(600)] == full[:600] and not order.complete
    assert list(order.walk(sizes, lambda: 30)) == full[:600] + [i for i in full[600:] if sizes[i] <= 30]
    assert order[601] == full[601] and order.complete  # reading past the prefix sorts everything


def test_large_inputs_select_as_with_a_full_sort(monkeypatch: pytest.MonkeyPatch) -> None:
    from compact_memory.strategies import extractive_order

    rng = random.Random(8)
    paragraphs = [p for p in _pydoc().split("\n\n") if p.strip()]
    text = "\n\n".join(f"{rng.choice(paragraphs)} Part {i}." for i in range(6_000))
    cases = [(40, ""), (700, ""), (3_000, ""), (300, "how are exceptions raised and caught?")]
    lazy = [ExtractiveStrategy().compress(text, budget, query=query)[0].text for budget, query in cases]
    monkeypatch.setattr(extractive_order, "_ORDER_PREFIX", 10**9)  # never lazy: the plain full sort
    assert lazy == [ExtractiveStrategy().compress(text, budget, query=query)[0].text for budget, query in cases]


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python tests/test_extractive_golden.py --write")
    result = compute()
    GOLDEN.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {len(result)} hashes to {GOLDEN}")
