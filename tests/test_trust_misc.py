"""The smaller promises of the trust boundary, each through the real CLI under a timeout."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hostile import one_error_line, run
from plugin_factory import local_plugin

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sample_strategy_package"


def package_with_experiment(tmp_path: Path, experiment: str, data: dict[str, bytes]) -> Path:
    pkg = Path(shutil.copytree(SAMPLE, tmp_path / "pkg"))
    for rel, raw in data.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_bytes(raw)
    (pkg / "experiments" / "hostile.yaml").write_text(experiment, encoding="utf-8")
    manifest = pkg / "strategy_package.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        "default_experiments:\n", "default_experiments:\n  - experiments/hostile.yaml\n"), encoding="utf-8")
    return pkg


def test_a_deeply_nested_jsonl_record(tmp_path: Path) -> None:
    record = b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
    pkg = package_with_experiment(tmp_path, "name: deep\ndataset: deep.jsonl\nbudgets: [10]\n",
                                  {"experiments/deep.jsonl": record})
    result = run("dev", "run-package-experiment", str(pkg), "--experiment", "experiments/hostile.yaml")
    assert result.returncode == 1
    one_error_line(result, "deep.jsonl:1", "nested too deeply")
    checked = run("dev", "validate-strategy-package", str(pkg))
    assert "CM504" in checked.stdout and "nested too deeply" in checked.stdout


@pytest.mark.parametrize("glob", ["/etc/*", "../*.md", "../../**/*"])
def test_a_dataset_glob_that_leaves_the_package(tmp_path: Path, glob: str) -> None:
    experiment = f"name: glob\ndataset:\n  path: docs\n  format: directory\n  glob: {json.dumps(glob)}\nbudgets: [5]\n"
    pkg = package_with_experiment(tmp_path, experiment, {"experiments/docs/a.md": b"words here"})
    result = run("dev", "run-package-experiment", str(pkg), "--experiment", "experiments/hostile.yaml")
    assert result.returncode == 1
    one_error_line(result, "leaves the dataset directory")
    checked = run("dev", "validate-strategy-package", str(pkg))
    assert checked.returncode == 1 and "CM302" in checked.stdout and "reaches outside" in checked.stdout


@pytest.mark.skipif(os.name != "posix", reason="named pipes")
def test_a_module_swapped_for_a_named_pipe_after_it_was_cached(tmp_path: Path) -> None:
    package = local_plugin(tmp_path, "swapped", "swapped")
    (package / "README.md").write_text("readme\n", encoding="utf-8")
    assert run("dev", "validate-strategy-package", str(package)).returncode == 0  # now cached
    (package / "strategy.py").unlink()
    os.mkfifo(package / "strategy.py")
    result = run("dev", "validate-strategy-package", str(package), timeout=30)
    assert result.returncode == 1 and "CM301" in result.stdout


def test_create_strategy_package_into_the_working_directory(tmp_path: Path) -> None:
    here = tmp_path / "empty"
    here.mkdir()
    result = run("dev", "create-strategy-package", "--name", "compact_memory_zap", "--path", ".", cwd=here)
    assert result.returncode == 0, result.stderr
    assert (here / "strategy_package.yaml").is_file() and (here / ".cruft.json").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["empty"]  # no staging directory left beside it
    again = run("dev", "create-strategy-package", "--name", "compact_memory_zap", "--path", ".", cwd=here)
    assert again.returncode == 1
    one_error_line(again, "already exists and is not an empty directory")


def test_text_that_fits_a_wordpiece_tokenizer_is_not_cut(tmp_path: Path) -> None:
    tokenizers = pytest.importorskip("tokenizers")
    from tokenizers.models import WordPiece
    from tokenizers.pre_tokenizers import Whitespace

    wordpiece = tokenizers.Tokenizer(WordPiece(vocab={"[UNK]": 0, "x": 1, "##x": 2}, unk_token="[UNK]",
                                               max_input_chars_per_word=100))
    wordpiece.pre_tokenizer = Whitespace()
    wordpiece.save(str(tmp_path / "tokenizer.json"))
    for strategy in ("truncate", "extractive", "first_last", "prune", "pipeline"):
        result = run("compress", "--text", "x" * 200, "--budget", "1", "-s", strategy, "--tokenizer",
                     str(tmp_path / "tokenizer.json"))
        assert result.stdout == "x" * 200 + "\n", strategy


@pytest.mark.parametrize("tokenizer", ["words", "cl100k_base", "o200k_base"])
def test_budget_zero_gives_empty_output_for_every_strategy(tokenizer: str) -> None:
    text = "  \n\n first   line \t\n\n\n second line  \n  "
    for strategy, params in (("pipeline", ["--param", "steps=truncate@5|truncate@1000"]), ("truncate", []),
                             ("extractive", []), ("first_last", []), ("prune", [])):
        result = run("compress", "--text", text, "--budget", "0", "-s", strategy, *params, "--tokenizer", tokenizer,
                     "--json")
        assert json.loads(result.stdout)["text"] == "", strategy


def test_usage_errors_are_one_line_with_a_hint() -> None:
    for argv in (["compress", "--budget", "x", "--text", "a"], ["compres"], ["dev", "validate-strategy-package"],
                 ["compress", "--text", "a", "--budget", "1", "--jobs", "-3"], ["dev", "inspect-trace"]):
        result = run(*argv)
        assert result.returncode == 2
        one_error_line(result, "(hint: run 'compact-memory")
