"""Properties every built-in strategy keeps, under every tokenizer we can load.

The strategies are called directly, not through the runtime, which would
hide a budget overrun by cutting the output.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compact_memory.compression.strategies_abc import CompressedMemory, CompressionStrategy
from compact_memory.errors import TokenizerError
from compact_memory.plugins.registry import get_compression_strategy
from compact_memory.strategies import BUILTINS
from compact_memory.tokenizers import Tokenizer, get_tokenizer

STRATEGY_IDS = [spec.id for spec in BUILTINS]
TOKENIZER_NAMES = ["words", "cl100k_base", "o200k_base"]
REPLACEMENT = "\ufffd"

FRAGMENTS = [
    "The quick brown fox jumps over the lazy dog. ",
    "It is not very good, really. ",
    "Basically, that just doesn't work!\n",
    "Visit https://example.com/a_b?x=1&y=two for details. ",
    "Call `parse_config(path)` or cfg.loader.readAll() now.\n",
    "```python\ndef f(x):\n    return x  # the answer\n```\n",
    "日本語のテキスト、漢字とかな。",
    "한국어 문장입니다. ",
    "Ünïcödé façade — naïve café. ",
    "emoji 👩‍👩‍👧‍👦 family 🏳️‍🌈 flag 👍🏽 ok ",
    "e\u0301 combining \u200b zero width ",
    "\n\n\n",
    "    \t  ",
    "\r\n",
    "3.14159 42 1,000,000 ",
    "a" * 40,
    "!!!???...",
]

texts = st.lists(
    st.one_of(
        st.sampled_from(FRAGMENTS),
        st.text(st.characters(exclude_categories=["Cs"]), max_size=12),
        st.text(alphabet=" \t\n", min_size=1, max_size=6),
    ),
    max_size=14,
).map("".join)

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

_strategy_cache: dict[str, CompressionStrategy] = {}


def load_tokenizer(name: str) -> Tokenizer:
    try:
        return get_tokenizer(name)
    except TokenizerError as exc:
        pytest.skip(f"tokenizer {name} is not available here: {exc}")


def strategy_for(strategy_id: str) -> CompressionStrategy:
    # Built once per id: the pipeline resolves its steps through discovery.
    if strategy_id not in _strategy_cache:
        _strategy_cache[strategy_id] = get_compression_strategy(strategy_id)()
    return _strategy_cache[strategy_id]


def run(strategy_id: str, tok: Tokenizer, text: str, budget: int) -> str:
    return compress(strategy_id, tok, text, budget).text


def compress(strategy_id: str, tok: Tokenizer, text: str, budget: int) -> CompressedMemory:
    memory, _ = strategy_for(strategy_id).compress(text, budget, tokenizer=tok)
    return memory


def is_ordered_verbatim(output: str, source: str) -> bool:
    """Every whitespace-separated piece of ``output`` occurs in ``source``, in order, without overlap."""
    pos = 0
    for piece in output.split():
        found = source.find(piece, pos)
        if found < 0:
            return False
        pos = found + len(piece)
    return True


def extractive_parts_ok(output: str, source: str, metadata: dict[str, object]) -> bool:
    """The output is the reported spans of the source, in order, joined by whitespace only."""
    spans = metadata.get("spans")
    if not isinstance(spans, list):
        return is_ordered_verbatim(output, source)
    end = 0
    for start, stop in spans:
        if not end <= start <= stop <= len(source):
            return False
        end = stop
    pattern = r"\s*".join(re.escape(source[start:stop]) for start, stop in spans)
    return re.fullmatch(pattern, output) is not None


def first_last_parts_ok(output: str, source: str, marker: str) -> bool:
    if source.startswith(output):
        return True  # head only
    start = output.find(marker)
    while start >= 0:
        first, last = output[:start], output[start + len(marker) :]
        if source.startswith(first) and source.endswith(last) and len(first) + len(last) <= len(source):
            return True
        start = output.find(marker, start + 1)
    return False


@pytest.mark.parametrize("tokenizer_name", TOKENIZER_NAMES)
@pytest.mark.parametrize("strategy_id", STRATEGY_IDS)
@SETTINGS
@given(data=st.data(), text=texts)
def test_contract_properties(strategy_id: str, tokenizer_name: str, data: st.DataObject, text: str) -> None:
    tok = load_tokenizer(tokenizer_name)
    size = tok.count(text)
    budget = data.draw(st.integers(0, size + 5), label="budget")
    memory = compress(strategy_id, tok, text, budget)
    output = memory.text
    assert tok.count(output) <= budget
    if budget == 0:
        assert output == ""  # even for text of zero tokens, such as whitespace
    elif size <= budget:
        assert output == text
    if REPLACEMENT not in text:
        assert REPLACEMENT not in output
    if strategy_id == "truncate":
        assert text.startswith(output)
    elif strategy_id == "first_last":
        marker = getattr(strategy_for(strategy_id), "marker", "\n[...]\n")
        assert first_last_parts_ok(output, text, marker)
    elif strategy_id == "extractive":
        assert extractive_parts_ok(output, text, memory.metadata)


@pytest.mark.parametrize("strategy_id", STRATEGY_IDS)
def test_chunks_behave_like_their_joined_text(strategy_id: str) -> None:
    tok = load_tokenizer("words")
    chunks = [FRAGMENTS[0] * 5, FRAGMENTS[4], FRAGMENTS[2] * 3]
    for budget in (0, 7, 30, 10_000):
        output = run(strategy_id, tok, "\n\n".join(chunks), budget)
        memory, _ = strategy_for(strategy_id).compress(chunks, budget, tokenizer=tok)
        assert memory.text == output
        assert tok.count(output) <= budget


DETERMINISM_SCRIPT = r"""
import json, sys
from compact_memory.plugins.registry import get_compression_strategy
from compact_memory.tokenizers import get_tokenizer
corpus, ids, tokenizers = json.loads(sys.stdin.read())
out = {}
for sid in ids:
    strategy = get_compression_strategy(sid)()
    for name in tokenizers:
        tok = get_tokenizer(name)
        for i, text in enumerate(corpus):
            for budget in (0, 5, 17, 60, 100000):
                for query in (None, "fox config"):
                    kwargs = {"tokenizer": tok} if query is None else {"tokenizer": tok, "query": query}
                    memory, _ = strategy.compress(text, budget, **kwargs)
                    out[f"{sid}/{name}/{i}/{budget}/{query}"] = memory.text
print(json.dumps(out, sort_keys=True))
"""


def test_outputs_do_not_depend_on_the_hash_seed() -> None:
    ids = STRATEGY_IDS
    tokenizers = []
    for name in ("words", "cl100k_base"):
        try:
            get_tokenizer(name)
        except TokenizerError:
            continue
        tokenizers.append(name)
    corpus = [
        "".join(FRAGMENTS),
        "".join(reversed(FRAGMENTS)) * 3,
        "One. Two two. Three three three. The fox is not here. The fox was there. " * 8,
    ]
    payload = json.dumps([corpus, ids, tokenizers])
    results = []
    for seed in ("1", "4242"):
        proc = subprocess.run(
            [sys.executable, "-c", DETERMINISM_SCRIPT],
            input=payload, capture_output=True, text=True, timeout=120,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert proc.returncode == 0, proc.stderr
        results.append(json.loads(proc.stdout))
    assert results[0] == results[1]
    assert len(results[0]) == len(ids) * len(tokenizers) * len(corpus) * 5 * 2


def test_the_listing_table_names_each_builtin_as_its_class_does() -> None:
    from compact_memory.plugins.registry import get_compression_strategy
    from compact_memory.strategies import BUILTINS

    for spec in BUILTINS:
        cls = get_compression_strategy(spec.id)
        assert (cls.__module__, cls.__name__, cls.id, cls.display_name) == (
            spec.module, spec.class_name, spec.id, spec.display_name)
