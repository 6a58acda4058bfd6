"""``compact-memory compress`` through the real CLI: every option and every bad input."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli, run_with_terminal_stderr
from plugin_factory import local_plugin

from compact_memory.compression import CompressionTrace

SENTENCE = "The quick brown fox jumps over the lazy dog. "
LONG = SENTENCE * 20
TRUNCATE = ("--strategy", "truncate")

PARAMS_PLUGIN = '''
from compact_memory.compression import CompressionStrategy, CompressedMemory, CompressionTrace, Param
from compact_memory.tokenizers import get_tokenizer, head


class PluginStrategy(CompressionStrategy):
    id = "echo_params"
    params = (
        Param("window", int, 3, "a whole number"),
        Param("ratio", float, 0.5, "a fraction"),
        Param("loud", bool, False, "a switch"),
        Param("label", str, "", "free text"),
    )

    def __init__(self, window=3, ratio=0.5, loud=False, label=""):
        self.values = {"window": window, "ratio": ratio, "loud": loud, "label": label}

    def compress(self, text_or_chunks, llm_token_budget, **kwargs):
        text = head(get_tokenizer(kwargs.get("tokenizer")), text_or_chunks, llm_token_budget)
        params = {**self.values, "query": kwargs.get("query")}
        return CompressedMemory(text=text), CompressionTrace(strategy_name=self.id, strategy_params=params)
'''

needs_default_strategy = pytest.mark.skipif(
    importlib.util.find_spec("compact_memory.strategies.extractive") is None,
    reason="the default strategy (extractive) is not built yet",
)


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


@pytest.fixture
def params_env(tmp_path: Path) -> dict[str, str]:
    local_plugin(tmp_path / "plugins", "echo", "echo_params", source=PARAMS_PLUGIN)
    return {"COMPACT_MEMORY_PLUGINS_PATH": str(tmp_path / "plugins")}


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- inputs -----------------------------------------------------------------


def test_text_goes_to_stdout_with_a_final_newline() -> None:
    result = run_cli("compress", "--text", LONG, "--budget", "4", *TRUNCATE)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "The quick brown fox\n"
    assert result.stderr == ""


def test_text_that_fits_is_returned_unchanged() -> None:
    result = run_cli("compress", "--text", "short text", "--budget", "100", *TRUNCATE)
    assert (result.returncode, result.stdout) == (0, "short text\n")


def test_text_dash_reads_stdin() -> None:
    result = run_cli("compress", "--text", "-", "--budget", "2", *TRUNCATE, input="from stdin here")
    assert (result.returncode, result.stdout) == (0, "from stdin\n")


def test_stdin_is_decoded_strictly_and_encoding_is_honoured() -> None:
    raw = "café au lait".encode("latin-1")
    command = [sys.executable, "-m", "compact_memory", "compress", "--text", "-", "--budget", "9", *TRUNCATE]
    bad = subprocess.run(command, input=raw, capture_output=True, timeout=120)
    assert bad.returncode == 1
    assert bad.stderr.decode().strip() == (
        "error: <stdin>: not valid utf-8: byte 0xe9 at offset 3 (line 1) "
        "(hint: pass --encoding with the file's encoding, e.g. --encoding latin-1)"
    )
    good = subprocess.run([*command, "--encoding", "latin-1"], input=raw, capture_output=True, timeout=120)
    assert good.returncode == 0, good.stderr
    assert good.stdout.decode("utf-8") == "café au lait\n"


@pytest.mark.skipif(os.name != "posix", reason="POSIX passes undecodable argv bytes through")
def test_undecodable_text_argument_is_one_line_error() -> None:
    command = [sys.executable.encode(), b"-m", b"compact_memory", b"compress", b"--text", b"ab\xffcd",
               b"--budget", b"3", b"--strategy", b"truncate"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "LC_ALL": "C.UTF-8"})
    assert_one_line_error(result, 1, "--text", "--encoding")


def test_file_input(tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text(LONG, encoding="utf-8")
    result = run_cli("compress", "--file", str(tmp_path / "in.txt"), "--budget", "3", *TRUNCATE)
    assert (result.returncode, result.stdout) == (0, "The quick brown\n")


def test_utf8_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbfhello world")
    result = run_cli("compress", "--file", str(tmp_path / "bom.txt"), "--budget", "5", *TRUNCATE)
    assert (result.returncode, result.stdout) == (0, "hello world\n")


def test_non_utf8_file_names_file_and_byte_offset(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("line one\nna\u00efve".encode("latin-1"))
    result = run_cli("compress", "--file", str(path), "--budget", "5", *TRUNCATE)
    assert_one_line_error(result, 1, str(path), "not valid utf-8", "byte 0xef at offset 11", "line 2", "--encoding")


def test_non_utf8_offset_counts_the_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom_bad.txt"
    path.write_bytes(b"\xef\xbb\xbfab\xff")
    result = run_cli("compress", "--file", str(path), "--budget", "5", *TRUNCATE)
    assert_one_line_error(result, 1, "byte 0xff at offset 5")


def test_encoding_option_reads_other_encodings(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("naïve café".encode("latin-1"))
    result = run_cli("compress", "--file", str(path), "--budget", "10", "--encoding", "latin-1", *TRUNCATE)
    assert (result.returncode, result.stdout) == (0, "naïve café\n")
    utf16 = tmp_path / "wide.txt"
    utf16.write_text("wide text", encoding="utf-16")
    result = run_cli("compress", "--file", str(utf16), "--budget", "10", "--encoding", "utf-16", *TRUNCATE)
    assert (result.returncode, result.stdout) == (0, "wide text\n")


@pytest.mark.parametrize("name", ["klingon", "hex"])
def test_unknown_encoding_is_usage_error(name: str) -> None:
    result = run_cli("compress", "--text", "-", "--budget", "3", "--encoding", name, *TRUNCATE, input="x")
    assert_one_line_error(result, 2, f"unknown text encoding {name!r}")


def test_binary_file_is_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    result = run_cli("compress", "--file", str(path), "--budget", "5", *TRUNCATE)
    assert_one_line_error(result, 1, str(path), "binary", "NUL byte at offset 8")


def test_utf16_without_encoding_is_called_binary_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "wide.txt"
    path.write_text("wide text", encoding="utf-16")
    result = run_cli("compress", "--file", str(path), "--budget", "5", *TRUNCATE)
    assert_one_line_error(result, 1, "binary", "--encoding utf-16")


@pytest.mark.parametrize(
    ("option", "make", "needles"),
    [
        ("--file", None, ("no such file",)),
        ("--file", "dir", ("is a directory", "use --dir")),
        ("--dir", "file", ("is a file, not a directory", "use --file")),
        ("--dir", None, ("no such directory",)),
    ],
    ids=["missing-file", "dir-as-file", "file-as-dir", "missing-dir"],
)
def test_wrong_kind_of_path_is_one_line_error(tmp_path: Path, option: str, make: str | None,
                                              needles: tuple[str, ...]) -> None:
    path = tmp_path / "thing"
    if make == "dir":
        path.mkdir()
    elif make == "file":
        path.write_text("text", encoding="utf-8")
    result = run_cli("compress", option, str(path), "--budget", "5", *TRUNCATE)
    assert_one_line_error(result, 1, str(path), *needles)


def test_empty_input_gives_empty_output(tmp_path: Path) -> None:
    result = run_cli("compress", "--text", "", "--budget", "5", *TRUNCATE)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    (tmp_path / "empty.txt").write_bytes(b"")
    out = tmp_path / "out.txt"
    result = run_cli("compress", "--file", str(tmp_path / "empty.txt"), "--budget", "5", *TRUNCATE, "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == b""
    result = run_cli("compress", "--text", "-", "--budget", "5", *TRUNCATE, input="")
    assert (result.returncode, result.stdout) == (0, "")


@needs_default_strategy
def test_empty_input_with_the_default_strategy() -> None:
    result = run_cli("compress", "--text", "", "--budget", "5")
    assert (result.returncode, result.stdout) == (0, "")


@needs_default_strategy
def test_default_strategy_respects_the_budget() -> None:
    result = run_cli("compress", "--text", LONG, "--budget", "12", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["stats"]["output_tokens"] <= 12


# --- budget, strategy, tokenizer, query, params -------------------------------


@pytest.mark.parametrize("budget", ["-1", "1.5", "ten", ""])
def test_bad_budget_is_usage_error(budget: str) -> None:
    result = run_cli("compress", "--text", "x", "--budget", budget, *TRUNCATE)
    assert result.returncode == 2
    assert "--budget" in result.stderr and "Traceback" not in result.stderr and result.stdout == ""


def test_budget_is_required() -> None:
    result = run_cli("compress", "--text", "x", *TRUNCATE)
    assert result.returncode == 2 and "--budget" in result.stderr


def test_budget_zero_gives_empty_output() -> None:
    result = run_cli("compress", "--text", LONG, "--budget", "0", *TRUNCATE)
    assert (result.returncode, result.stdout) == (0, "")


def test_unknown_strategy_suggests_a_close_one() -> None:
    result = run_cli("compress", "--text", "x", "--budget", "3", "--strategy", "truncat")
    assert_one_line_error(result, 1, "unknown strategy 'truncat'", "did you mean 'truncate'")


def test_unknown_tokenizer_names_the_choices() -> None:
    result = run_cli("compress", "--text", "x", "--budget", "3", "--tokenizer", "nope", *TRUNCATE)
    assert_one_line_error(result, 1, "unknown tokenizer 'nope'", "words", "cl100k_base", "o200k_base")


@pytest.mark.skipif(importlib.util.find_spec("tiktoken") is None, reason="needs the tiktoken extra")
def test_tokenizer_option_is_used_and_recorded() -> None:
    result = run_cli("compress", "--text", LONG, "--budget", "7", "--tokenizer", "cl100k_base", *TRUNCATE, "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["stats"]["tokenizer"] == doc["trace"]["tokenizer"] == "cl100k_base"
    assert doc["stats"]["output_tokens"] <= 7


def test_params_are_typed_by_the_strategy_and_query_is_passed(params_env: dict[str, str]) -> None:
    result = run_cli("compress", "--text", LONG, "--budget", "3", "--strategy", "echo_params", "--json",
                     "--param", "window=7", "--param", "ratio=0.25", "--param", "loud=yes",
                     "--param", "label=a=b", "--param", "window=8", "--query", "where is the fox?", env=params_env)
    assert result.returncode == 0, result.stderr
    params = json.loads(result.stdout)["trace"]["strategy_params"]
    assert params == {"window": 8, "ratio": 0.25, "loud": True, "label": "a=b", "query": "where is the fox?"}


def test_unknown_param_lists_the_known_ones(params_env: dict[str, str]) -> None:
    result = run_cli("compress", "--text", "x", "--budget", "3", "--strategy", "echo_params",
                     "--param", "windw=3", env=params_env)
    assert_one_line_error(result, 2, "unknown parameter 'windw'", "label, loud, ratio, window")


def test_param_on_a_strategy_without_params(tmp_path: Path) -> None:
    result = run_cli("compress", "--text", "x", "--budget", "3", *TRUNCATE, "--param", "size=3")
    assert_one_line_error(result, 2, "unknown parameter 'size'", "'truncate' takes no parameters")


@pytest.mark.parametrize(
    ("item", "needles"),
    [
        ("window=abc", ("parameter window='abc'", "'echo_params'", "expected an int")),
        ("ratio=half", ("parameter ratio='half'", "expected a float")),
        ("loud=maybe", ("parameter loud='maybe'", "expected a bool")),
        ("window", ("expected KEY=VALUE",)),
        ("=3", ("expected KEY=VALUE",)),
    ],
)
def test_bad_param_value_names_param_and_type(params_env: dict[str, str], item: str,
                                              needles: tuple[str, ...]) -> None:
    result = run_cli("compress", "--text", "x", "--budget", "3", "--strategy", "echo_params",
                     "--param", item, env=params_env)
    assert_one_line_error(result, 2, *needles)


# --- single outputs --------------------------------------------------------------


def test_output_file_gets_exact_text_and_stdout_stays_empty(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    result = run_cli("compress", "--text", LONG, "--budget", "4", *TRUNCATE, "-o", str(out))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert out.read_text(encoding="utf-8") == "The quick brown fox"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temporary file left behind


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_output_file_gets_ordinary_permissions(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    result = subprocess.run(
        ["sh", "-c", f'umask 022 && "{sys.executable}" -m compact_memory compress --text hi --budget 3 '
                     f'--strategy truncate -o "{out}"'],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert out.stat().st_mode & 0o777 == 0o644


def test_output_dash_is_stdout() -> None:
    result = run_cli("compress", "--text", LONG, "--budget", "2", *TRUNCATE, "-o", "-")
    assert (result.returncode, result.stdout) == (0, "The quick\n")


def test_existing_output_is_refused_without_force(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    out.write_text("precious", encoding="utf-8")
    result = run_cli("compress", "--text", LONG, "--budget", "4", *TRUNCATE, "--output", str(out))
    assert_one_line_error(result, 1, str(out), "already exists", "--force")
    assert out.read_text(encoding="utf-8") == "precious"
    forced = run_cli("compress", "--text", LONG, "--budget", "4", *TRUNCATE, "--output", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert out.read_text(encoding="utf-8") == "The quick brown fox"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_force_keeps_the_replaced_files_permissions(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o640)
    result = run_cli("compress", "--text", "new", "--budget", "4", *TRUNCATE, "-o", str(out), "--force")
    assert result.returncode == 0, result.stderr
    assert (out.read_text(encoding="utf-8"), out.stat().st_mode & 0o777) == ("new", 0o640)


def test_output_over_the_input_is_refused_even_with_force(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(LONG, encoding="utf-8")
    for extra in ((), ("--force",)):
        result = run_cli("compress", "--file", str(path), "--budget", "2", *TRUNCATE, "-o", str(path), *extra)
        assert_one_line_error(result, 1, "is an input file", "refusing to overwrite")
        assert path.read_text(encoding="utf-8") == LONG


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_output_through_a_link_to_the_input_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(LONG, encoding="utf-8")
    (tmp_path / "link.txt").symlink_to(path)
    os.link(path, tmp_path / "hard.txt")
    for target in ("link.txt", "hard.txt"):
        result = run_cli("compress", "--file", str(path), "--budget", "2", *TRUNCATE,
                         "-o", str(tmp_path / target), "--force")
        assert_one_line_error(result, 1, "is an input file")
    assert path.read_text(encoding="utf-8") == LONG


def test_output_in_a_missing_directory_is_one_line_error(tmp_path: Path) -> None:
    out = tmp_path / "nowhere" / "out.txt"
    result = run_cli("compress", "--text", "x", "--budget", "4", *TRUNCATE, "-o", str(out))
    assert_one_line_error(result, 1, "cannot write", "does not exist")


def test_output_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    result = run_cli("compress", "--text", "x", "--budget", "4", *TRUNCATE, "-o", str(tmp_path), "--force")
    assert_one_line_error(result, 1, "is a directory")


def test_output_trace_writes_a_loadable_trace(tmp_path: Path) -> None:
    trace_path = tmp_path / "trace.json"
    result = run_cli("compress", "--text", LONG, "--budget", "4", *TRUNCATE, "--output-trace", str(trace_path))
    assert (result.returncode, result.stdout) == (0, "The quick brown fox\n")
    trace = CompressionTrace.from_json(trace_path.read_text(encoding="utf-8"))
    assert trace.strategy_name == "truncate" and trace.tokenizer == "words"
    assert trace.output_summary["tokens"] == 4 and trace.input_summary["tokens"] == 200
    again = run_cli("compress", "--text", "x", "--budget", "4", *TRUNCATE, "--output-trace", str(trace_path))
    assert_one_line_error(again, 1, "already exists", "--force")
    bad = run_cli("compress", "--text", "x", "--budget", "4", *TRUNCATE, "--output-trace", "-")
    assert_one_line_error(bad, 2, "--output-trace needs a file name", "--json")


def test_output_and_trace_cannot_be_the_same_file(tmp_path: Path) -> None:
    same = str(tmp_path / "same.json")
    result = run_cli("compress", "--text", "x", "--budget", "4", *TRUNCATE, "-o", same, "--output-trace", same)
    assert_one_line_error(result, 2, "same output file")


def test_json_is_the_only_thing_on_stdout(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    result = run_cli("compress", "--text", LONG, "--budget", "4", *TRUNCATE, "--json", "-o", str(out))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert list(doc) == ["format_version", "input", "output", "text", "stats", "trace"]
    assert doc["format_version"] == 1
    assert (doc["input"], doc["output"], doc["text"]) == ("<text>", str(out), "The quick brown fox")
    assert out.read_text(encoding="utf-8") == doc["text"]
    stats = doc["stats"]
    assert stats["strategy"] == "truncate" and stats["budget"] == 4 and stats["tokenizer"] == "words"
    assert (stats["input_tokens"], stats["output_tokens"], stats["compression_ratio"]) == (200, 4, 0.02)
    assert CompressionTrace.from_dict(doc["trace"]).output_summary["tokens"] == 4


def test_json_names_the_input_file(tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_text("ünïcödé text", encoding="utf-8")
    result = run_cli("compress", "--file", str(path), "--budget", "5", *TRUNCATE, "--json")
    doc = json.loads(result.stdout)
    assert (doc["input"], doc["output"], doc["text"]) == (str(path), None, "ünïcödé text")
    assert doc["stats"]["compression_ratio"] == 1.0


def test_json_with_empty_input_has_no_ratio() -> None:
    result = run_cli("compress", "--text", "-", "--budget", "5", *TRUNCATE, "--json", input="")
    doc = json.loads(result.stdout)
    assert (doc["input"], doc["text"], doc["stats"]["compression_ratio"]) == ("<stdin>", "", None)


# --- option combinations ----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--text", "x", "--file", "f"), "not allowed with"),
        ((), "one of the arguments"),
        (("--text", "x", "--pattern", "*.md"), "--pattern needs --dir"),
        (("--text", "x", "--recursive"), "--recursive needs --dir"),
        (("--text", "x", "--output-dir", "out"), "--output-dir needs --dir"),
        (("--dir", ".", "-o", "out.txt"), "use --output-dir"),
        (("--text", "x", "--encoding", "latin-1"), "--encoding applies to files"),
        (("--dir", ".", "--output-dir", "."), "--output-dir is the input directory"),
    ],
    ids=["two-inputs", "no-input", "pattern", "recursive", "output-dir", "o-with-dir", "encoding", "same-dir"],
)
def test_option_misuse_is_usage_error(tmp_path: Path, args: tuple[str, ...], needle: str) -> None:
    result = run_cli("compress", *args, "--budget", "3", *TRUNCATE, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr and result.stdout == "" and "Traceback" not in result.stderr


# --- directories -------------------------------------------------------------------


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".hidden").mkdir()
    (root / "b.txt").write_text("bravo " * 10, encoding="utf-8")
    (root / "a.txt").write_text("alpha " * 10, encoding="utf-8")
    (root / "c.md").write_text("charlie " * 10, encoding="utf-8")
    (root / ".secret.txt").write_text("hidden " * 10, encoding="utf-8")
    (root / "sub" / "d.txt").write_text("delta " * 10, encoding="utf-8")
    (root / "sub" / "deeper" / "e.txt").write_text("echo " * 10, encoding="utf-8")
    (root / ".hidden" / "f.txt").write_text("foxtrot " * 10, encoding="utf-8")
    return root


def test_dir_to_stdout_with_separators(docs: Path) -> None:
    result = run_cli("compress", "--dir", str(docs), "--budget", "2", *TRUNCATE)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"==> {docs / 'a.txt'} <==\nalpha alpha\n\n==> {docs / 'b.txt'} <==\nbravo bravo\n"
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


def test_dir_recursive_and_patterns(docs: Path) -> None:
    result = run_cli("compress", "--dir", str(docs), "--budget", "1", *TRUNCATE, "--recursive", "--json")
    assert [Path(d["input"]).relative_to(docs).as_posix() for d in json.loads(result.stdout)["results"]] == [
        "a.txt", "b.txt", "sub/d.txt", "sub/deeper/e.txt"]
    result = run_cli("compress", "--dir", str(docs), "--budget", "1", *TRUNCATE, "-r",
                     "--pattern", "*.md", "--pattern", "d.*", "--json")
    assert [d["text"] for d in json.loads(result.stdout)["results"]] == ["charlie", "delta"]
    result = run_cli("compress", "--dir", str(docs), "--budget", "1", *TRUNCATE, "--pattern", ".*.txt", "--json")
    assert [d["text"] for d in json.loads(result.stdout)["results"]] == ["hidden"]


def test_dir_without_matches_is_an_error(docs: Path) -> None:
    result = run_cli("compress", "--dir", str(docs), "--budget", "1", *TRUNCATE, "--pattern", "*.rst")
    assert_one_line_error(result, 1, "no files match *.rst", "--recursive")


def test_output_dir_mirrors_the_tree(docs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "nested"
    before = tree(docs)
    result = run_cli("compress", "--dir", str(docs), "--budget", "1", *TRUNCATE, "-r", "--output-dir", str(out))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert tree(out) == {"a.txt": b"alpha", "b.txt": b"bravo", "sub/d.txt": b"delta", "sub/deeper/e.txt": b"echo"}
    assert tree(docs) == before


def test_output_dir_inside_input_is_never_read_back(docs: Path) -> None:
    out = docs / "compressed"
    args = ("compress", "--dir", str(docs), "--budget", "1", *TRUNCATE, "-r", "--output-dir", str(out))
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    second = run_cli(*args, "--force")
    assert second.returncode == 0, second.stderr
    assert sorted(tree(out)) == ["a.txt", "b.txt", "sub/d.txt", "sub/deeper/e.txt"]


def test_existing_outputs_are_refused_before_anything_is_written(docs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "sub" / "d.txt").write_text("keep me", encoding="utf-8")
    result = run_cli("compress", "--dir", str(docs), "--budget", "1", *TRUNCATE, "-r", "--output-dir", str(out))
    assert_one_line_error(result, 1, str(out / "sub" / "d.txt"), "already exists", "--force")
    assert tree(out) == {"sub/d.txt": b"keep me"}
    forced = run_cli("compress", "--dir", str(docs), "--budget", "1", *TRUNCATE, "-r", "--output-dir", str(out),
                     "--force")
    assert forced.returncode == 0, forced.stderr
    assert tree(out)["sub/d.txt"] == b"delta"


def test_several_existing_outputs_are_counted(docs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_cli("compress", "--dir", str(docs), "--budget", "1", *TRUNCATE, "-r", "--output-dir", str(out))
    result = run_cli("compress", "--dir", str(docs), "--budget", "1", *TRUNCATE, "-r", "--output-dir", str(out))
    assert_one_line_error(result, 1, "and 1 more already exist", "replace them")


def test_output_dir_that_is_a_file_is_refused(docs: Path, tmp_path: Path) -> None:
    (tmp_path / "out").write_text("a file", encoding="utf-8")
    result = run_cli("compress", "--dir", str(docs), "--budget", "1", *TRUNCATE, "--output-dir", str(tmp_path / "out"))
    assert_one_line_error(result, 1, "is a file, not a directory")
    assert (tmp_path / "out").read_text(encoding="utf-8") == "a file"


def test_output_dir_never_overwrites_an_input(tmp_path: Path) -> None:
    # Input tree inside the output tree: out/in/in/x.txt would be written to out/in/x.txt, an input.
    (tmp_path / "out" / "in" / "in").mkdir(parents=True)
    (tmp_path / "out" / "in" / "x.txt").write_text("outer " * 5, encoding="utf-8")
    (tmp_path / "out" / "in" / "in" / "x.txt").write_text("inner " * 5, encoding="utf-8")
    before = tree(tmp_path)
    result = run_cli("compress", "--dir", str(tmp_path / "out" / "in"), "--budget", "1", *TRUNCATE, "-r",
                     "--output-dir", str(tmp_path / "out"), "--force")
    assert_one_line_error(result, 1, "is an input file")
    assert tree(tmp_path) == before


def test_dir_bad_files_are_reported_and_the_rest_compressed(docs: Path, tmp_path: Path) -> None:
    (docs / "bad.txt").write_bytes(b"ok\xff")
    (docs / "zero.txt").write_bytes(b"a\x00b")
    out = tmp_path / "out"
    result = run_cli("compress", "--dir", str(docs), "--budget", "1", *TRUNCATE, "--output-dir", str(out), "--json")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3 and "Traceback" not in result.stderr
    assert str(docs / "bad.txt") in lines[0] and "offset 2" in lines[0]
    assert str(docs / "zero.txt") in lines[1] and "binary" in lines[1]
    assert lines[2] == "error: 2 of 4 files could not be compressed; see above"
    doc = json.loads(result.stdout)["results"]
    assert [("error" in d, d["output"]) for d in doc] == [
        (False, str(out / "a.txt")), (False, str(out / "b.txt")), (True, None), (True, None)]
    assert tree(out) == {"a.txt": b"alpha", "b.txt": b"bravo"}


def test_dir_to_stdout_after_a_bad_first_file(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_bytes(b"\xff")
    (tmp_path / "in" / "b.txt").write_text("fine text", encoding="utf-8")
    result = run_cli("compress", "--dir", str(tmp_path / "in"), "--budget", "5", *TRUNCATE)
    assert result.returncode == 1
    assert result.stdout == f"==> {tmp_path / 'in' / 'b.txt'} <==\nfine text\n"
    assert "a.txt" in result.stderr and "1 of 2 files" in result.stderr


def test_dir_encoding_applies_to_every_file(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "x.txt").write_bytes("déjà vu".encode("cp1252"))
    result = run_cli("compress", "--dir", str(tmp_path / "in"), "--budget", "5", *TRUNCATE, "--encoding", "cp1252")
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("déjà vu\n")


def test_dir_output_trace_is_a_list_and_is_never_read_as_input(docs: Path, tmp_path: Path) -> None:
    trace_path = docs / "traces.txt"  # matches the pattern on purpose
    args = ("compress", "--dir", str(docs), "--budget", "1", *TRUNCATE, "--output-trace", str(trace_path))
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    traces = json.loads(trace_path.read_text(encoding="utf-8"))
    assert [t["input"] for t in traces] == [str(docs / "a.txt"), str(docs / "b.txt")]
    assert all(CompressionTrace.from_dict(t["trace"]).strategy_name == "truncate" for t in traces)
    again = run_cli(*args, "--force")
    assert again.returncode == 0, again.stderr
    assert "traces.txt" not in again.stdout


def test_dir_json_lists_the_results(docs: Path) -> None:
    result = run_cli("compress", "--dir", str(docs), "--budget", "1", *TRUNCATE, "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert list(doc) == ["format_version", "results"]
    doc = doc["results"]
    assert [(d["text"], d["output"], d["stats"]["output_tokens"]) for d in doc] == [("alpha", None, 1),
                                                                                     ("bravo", None, 1)]


@pytest.mark.skipif(os.name != "posix", reason="needs a pseudo-terminal")
def test_progress_bar_only_when_stderr_is_a_terminal(docs: Path, tmp_path: Path) -> None:
    code, stdout, text = run_with_terminal_stderr("compress", "--dir", str(docs), "--budget", "1", *TRUNCATE, "-r",
                                                  "--output-dir", str(tmp_path / "out"))
    assert code == 0 and stdout == b""
    assert "[0/4]" in text and "[4/4] done" in text and "\r" in text
    assert text.endswith("\r")  # the line is cleared at the end


# --- atomic writes ------------------------------------------------------------------


def test_failed_write_keeps_the_existing_file_and_leaves_no_temporary(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from compact_memory import io
    from compact_memory.errors import CompactMemoryError

    target = tmp_path / "out.txt"
    target.write_text("precious", encoding="utf-8")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(CompactMemoryError, match=r"cannot write .*No space left on device"):
        io.atomic_write_text(target, "new text", overwrite=True)
    assert target.read_text(encoding="utf-8") == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_no_clobber_holds_at_the_moment_of_the_move(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from compact_memory import io
    from compact_memory.errors import CompactMemoryError

    target = tmp_path / "out.txt"
    real_mkstemp = tempfile.mkstemp

    def racing_mkstemp(**kwargs: str) -> tuple[int, str]:
        result = real_mkstemp(**kwargs)
        target.write_text("appeared meanwhile", encoding="utf-8")
        return result

    monkeypatch.setattr(tempfile, "mkstemp", racing_mkstemp)
    with pytest.raises(CompactMemoryError, match="already exists"):
        io.atomic_write_text(target, "ours")
    assert target.read_text(encoding="utf-8") == "appeared meanwhile"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
