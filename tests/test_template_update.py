"""Generated packages stay current: .cruft.json in cruft's format, cruft itself, and dev update-strategy-package.

Everything is real and offline: a git clone of this repository is the
template source, compact-memory runs from that clone (PYTHONPATH), packages
are git repositories, and cruft and cookiecutter run as their CLIs. Cases
that need a compact-memory installed from its wheel are in
test_template_update_e2e.py.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, run_cli
from template_repo import (
    PACKAGE_DIR,
    TEMPLATE_DIR,
    change_template,
    clone_of_this_repository,
    commit_all,
    git,
    snapshot,
)

NAME = "compact_memory_kept"
ANSWERS = {
    "package_name": NAME,
    "strategy_id": "kept",
    "class_name": "KeptStrategy",
    "display_name": "Kept",
    "author": "Ada Lovelace <ada@example.com>",
    "description": "Kept: keeps the lead sentence of each paragraph within the token budget.",
    "version": "0.1.0",
}
# A line of the template's README that the tests change, as the author and as the template.
SHARE_LINE = "- Publish to PyPI with `python -m build` and `twine upload dist/*`, or share"
INTRO_LINE = "A compression strategy for [compact-memory]"


@pytest.fixture(scope="module")
def base_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clone_of_this_repository(tmp_path_factory.mktemp("template-source") / "compact-memory")


@pytest.fixture
def clone(base_clone: Path, tmp_path: Path) -> Path:
    """This test's own template source (tests commit to it)."""
    dest = tmp_path / "compact-memory"
    git(tmp_path, "clone", "-q", str(base_clone), str(dest))
    return dest


def from_clone(clone: Path, *args: str, cwd: Path | None = None, input: str | None = None
               ) -> subprocess.CompletedProcess[str]:
    """The CLI of the compact-memory in ``clone``: its template is the template of the running compact-memory.

    Run outside this checkout: ``python -m`` puts the working directory first on sys.path.
    """
    return run_cli(*args, env={"PYTHONPATH": str(clone), "PYTHONDONTWRITEBYTECODE": "1"}, cwd=cwd or clone.parent,
                   input=input)


def cruft(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cruft", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def generate(clone: Path, where: Path) -> Path:
    """A package from the clone's template, committed in its own git repository."""
    package = where / NAME
    options = ["--author", ANSWERS["author"]]
    result = from_clone(clone, "dev", "create-strategy-package", "--name", NAME, "--path", str(package), *options)
    assert result.returncode == 0, result.stderr
    git(package, "init", "-q")
    commit_all(package, "Generated from the compact-memory template")
    return package


def author_edits(package: Path) -> None:
    readme = package / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace(INTRO_LINE, "My own introduction. " + INTRO_LINE),
                      encoding="utf-8")
    with (package / "strategy.py").open("a", encoding="utf-8") as out:
        out.write("\n# The author's own line.\n")
    (package / "tests" / "test_mine.py").write_text("def test_mine() -> None:\n    assert True\n", encoding="utf-8")
    commit_all(package, "The author's edits")


def template_fixes(clone: Path) -> str:
    """Template changes: one line the author also has, one file the author never touched, strategy.py."""
    change_template(clone, ".gitignore", ".mypy_cache/\n", ".mypy_cache/\n*.log\n", "Ignore logs")
    change_template(clone, "README.md", "## Share it\n", "## Share it\n\nShared by the template.\n", "README")
    return change_template(clone, "strategy.py", '"""', '"""Template fix. ', "strategy.py fix")


def update(clone: Path, package: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return from_clone(clone, "dev", "update-strategy-package", str(package), *args, cwd=package.parent)


def cruft_state(package: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((package / ".cruft.json").read_text(encoding="utf-8"))
    return data


# --- what is recorded --------------------------------------------------------------------------------


def test_compact_memory_runs_from_the_clone(clone: Path) -> None:
    result = from_clone(clone, "--version")  # the same CLI, imported from the clone
    where = subprocess.run([sys.executable, "-c", "import compact_memory; print(compact_memory.__file__)"],
                           env={**os.environ, "PYTHONPATH": str(clone)}, capture_output=True, text=True, timeout=60,
                           cwd=clone.parent)
    assert result.returncode == 0 and Path(where.stdout.strip()).is_relative_to(clone)


def test_cruft_json_is_what_cruft_create_writes(clone: Path, tmp_path: Path) -> None:
    package = generate(clone, tmp_path / "ours")
    by_cruft = cruft("create", str(clone), "--directory", TEMPLATE_DIR.as_posix(), "--no-input", "--extra-context",
                     json.dumps(ANSWERS), "--skip", "strategy.py", "--output-dir", str(tmp_path / "cruft"),
                     cwd=tmp_path)
    assert by_cruft.returncode == 0, by_cruft.stdout + by_cruft.stderr
    by_cookiecutter = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(tmp_path / "cc"), str(clone / TEMPLATE_DIR),
         *[f"{key}={value}" for key, value in ANSWERS.items()]],
        capture_output=True, text=True, timeout=300,
    )
    assert by_cookiecutter.returncode == 0, by_cookiecutter.stderr
    ours = (package / ".cruft.json").read_bytes()
    assert ours == (tmp_path / "cruft" / NAME / ".cruft.json").read_bytes()
    assert ours == (tmp_path / "cc" / NAME / ".cruft.json").read_bytes()
    state = cruft_state(package)
    head = git(clone, "rev-parse", "HEAD")
    assert (state["template"], state["commit"], state["checkout"]) == (str(clone), head, None)
    assert (state["directory"], state["skip"]) == ("templates/strategy_package", ["strategy.py"])
    answers = state["context"]["cookiecutter"]  # type: ignore[index]
    assert {key: answers[key] for key in ANSWERS} == ANSWERS
    assert (answers["_template"], answers["_commit"]) == (str(clone), head)
    assert answers["__template_digest"].startswith("sha256:")
    # And the rest of the files too: one template, three front doors.
    for other in (tmp_path / "cruft" / NAME, tmp_path / "cc" / NAME):
        assert snapshot(other) == {k: v for k, v in snapshot(package).items() if not k.startswith("<")}


def test_cruft_check_and_diff_agree_right_after_generation(clone: Path, tmp_path: Path) -> None:
    package = generate(clone, tmp_path)
    check = cruft("check", cwd=package)
    assert check.returncode == 0, check.stdout + check.stderr
    diff = cruft("diff", "--exit-code", cwd=package)
    assert (diff.returncode, diff.stdout) == (0, ""), diff.stdout + diff.stderr


def test_a_relative_template_path_records_the_checkout(clone: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(tmp_path), TEMPLATE_DIR.as_posix(),
         f"package_name={NAME}"],
        cwd=clone, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    state = cruft_state(tmp_path / NAME)
    assert (state["template"], state["directory"]) == (str(clone), "templates/strategy_package")


def test_a_repository_url_given_to_cookiecutter_is_recorded(clone: Path, tmp_path: Path) -> None:
    url = clone.as_uri()  # cookiecutter clones it, as it would https://github.com/...
    result = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(tmp_path), f"git+{url}", "--directory",
         TEMPLATE_DIR.as_posix(), f"package_name={NAME}"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    state = cruft_state(tmp_path / NAME)
    assert (state["template"], state["commit"]) == (url, git(clone, "rev-parse", "HEAD"))
    assert cruft("check", cwd=tmp_path / NAME).returncode == 0


def test_uncommitted_template_changes_are_warned_about(clone: Path, tmp_path: Path) -> None:
    readme = clone / PACKAGE_DIR / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nNot committed.\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(tmp_path), str(clone / TEMPLATE_DIR)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "has changes that are not in its commit" in result.stderr
    assert cruft_state(tmp_path / "compact_memory_my_strategy")["commit"] == git(clone, "rev-parse", "HEAD")


def test_a_template_outside_git_and_outside_a_release_records_nothing(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(REPO / TEMPLATE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "template_origin.json"))
    result = subprocess.run([sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(tmp_path / "out"),
                             str(copy)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert ".cruft.json was not written" in result.stderr and "cruft link" in result.stderr
    generated = tmp_path / "out" / "compact_memory_my_strategy"
    assert (generated / "strategy.py").is_file() and not (generated / ".cruft.json").exists()


# --- updating ----------------------------------------------------------------------------------------


def test_cruft_alone_updates_and_keeps_the_authors_edits(clone: Path, tmp_path: Path) -> None:
    package = generate(clone, tmp_path)
    author_edits(package)
    authored = (package / "strategy.py").read_bytes()
    new_head = template_fixes(clone)
    check = cruft("check", cwd=package)
    assert check.returncode == 1 and "out of date" in check.stdout
    result = cruft("update", "--skip-apply-ask", cwd=package)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "*.log" in (package / ".gitignore").read_text(encoding="utf-8")
    readme = (package / "README.md").read_text(encoding="utf-8")
    assert "My own introduction." in readme and "Shared by the template." in readme
    assert (package / "strategy.py").read_bytes() == authored  # skipped: the author's own
    assert (package / "tests" / "test_mine.py").is_file()
    assert cruft_state(package)["commit"] == new_head
    assert cruft("check", cwd=package).returncode == 0


def test_update_strategy_package_reports_then_applies(clone: Path, tmp_path: Path) -> None:
    package = generate(clone, tmp_path)
    author_edits(package)
    authored = (package / "strategy.py").read_bytes()
    current = update(clone, package, "--check", "--json")
    assert current.returncode == 0, current.stderr
    assert json.loads(current.stdout)["status"] == "current"
    old_head = git(clone, "rev-parse", "HEAD")
    new_head = template_fixes(clone)

    report = update(clone, package, "--check", "--json")
    assert report.returncode == 1, report.stderr
    doc = json.loads(report.stdout)  # stdout holds the document only
    assert (doc["status"], doc["result"]) == ("behind", "checked")
    assert (doc["package"]["commit"], doc["running"]["commit"]) == (old_head, new_head)
    text = update(clone, package, "--check")
    assert text.returncode == 1 and "behind the template of compact-memory" in text.stdout

    applied = update(clone, package, "-y", "--json")
    assert applied.returncode == 0, applied.stderr
    doc = json.loads(applied.stdout)
    assert doc["result"] == "updated" and doc["conflicts"] == []
    command = doc["command"]
    assert command[:2] == ["cruft", "update"] and command[command.index("--checkout") + 1] == new_head
    assert set(doc["changed"]) == {".cruft.json", ".gitignore", "README.md"}
    readme = (package / "README.md").read_text(encoding="utf-8")
    assert "My own introduction." in readme and "Shared by the template." in readme
    assert (package / "strategy.py").read_bytes() == authored
    assert cruft_state(package)["commit"] == new_head
    again = update(clone, package, "--check")
    assert again.returncode == 0 and "up to date" in again.stdout

    # The updated package passes its own tests and the validator.
    commit_all(package, "Template update")
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=package,
                           capture_output=True, text=True, timeout=600,
                           env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert "test_mine" in subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only"], cwd=package,
        capture_output=True, text=True, timeout=600).stdout
    valid = from_clone(clone, "dev", "validate-strategy-package", str(package), "--strict", "--import-check",
                       "require")
    assert valid.returncode == 0, valid.stdout + valid.stderr


def on_a_terminal(clone: Path, package: Path, answer: bytes) -> tuple[int, str, str]:
    """The update run with stdin and stderr on a pseudo-terminal, answering cruft's question: (exit, stdout, shown)."""
    import pty
    import select

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "compact_memory", "dev", "update-strategy-package", str(package)],
        stdin=follower, stdout=subprocess.PIPE, stderr=follower, cwd=package.parent,
        env={**os.environ, "PYTHONPATH": str(clone), "PYTHONDONTWRITEBYTECODE": "1"},
    )
    os.close(follower)
    shown, answered = b"", False
    try:
        while select.select([leader], [], [], 120)[0]:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the other side closed
                break
            if not chunk:
                break
            shown += chunk
            if not answered and b"Apply diff and update?" in shown:
                os.write(leader, answer)
                answered = True
        stdout = process.communicate(timeout=120)[0].decode()
    finally:
        os.close(leader)
    return process.returncode, stdout, shown.decode(errors="replace")


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a POSIX pseudo-terminal")
def test_on_a_terminal_cruft_asks_before_applying(clone: Path, tmp_path: Path) -> None:
    package = generate(clone, tmp_path)
    template_fixes(clone)
    before = snapshot(package)
    code, stdout, shown = on_a_terminal(clone, package, b"n\n")  # no: nothing changes
    assert code == 1 and "Apply diff and update?" in shown and "Traceback" not in shown, shown
    assert "not updated (declined" in stdout and snapshot(package) == before
    code, stdout, shown = on_a_terminal(clone, package, b"y\n")
    assert code == 0, shown
    assert "updated 3 file(s)" in stdout and "*.log" in (package / ".gitignore").read_text(encoding="utf-8")


def test_a_template_commit_that_leaves_the_template_alone_changes_nothing(clone: Path, tmp_path: Path) -> None:
    package = generate(clone, tmp_path)
    (clone / "NOTES.txt").write_text("not the template\n", encoding="utf-8")
    commit_all(clone, "Elsewhere in the repository")
    report = update(clone, package, "--check", "--json")
    assert report.returncode == 0 and json.loads(report.stdout)["status"] == "current"
    result = update(clone, package, "-y")
    assert result.returncode == 0 and "up to date" in result.stdout
    assert cruft_state(package)["commit"] != git(clone, "rev-parse", "HEAD")  # cruft was not even run


def test_skip_update_records_the_template_without_applying_it(clone: Path, tmp_path: Path) -> None:
    package = generate(clone, tmp_path)
    gitignore = (package / ".gitignore").read_bytes()
    new_head = template_fixes(clone)
    result = update(clone, package, "--skip-update")
    assert result.returncode == 0, result.stderr
    assert "recorded as up to date" in result.stdout
    assert cruft_state(package)["commit"] == new_head and (package / ".gitignore").read_bytes() == gitignore
    assert update(clone, package, "--check").returncode == 0


def test_a_merge_conflict_is_reported_and_both_versions_are_kept(clone: Path, tmp_path: Path) -> None:
    package = generate(clone, tmp_path)
    readme = package / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace(SHARE_LINE, "- Publish to our own index."),
                      encoding="utf-8")
    commit_all(package, "The author's wording")
    change_template(clone, "README.md", SHARE_LINE, SHARE_LINE.replace("or share", "or (new) share"), "Wording")
    change_template(clone, ".gitignore", ".mypy_cache/\n", ".mypy_cache/\n*.log\n", "Ignore logs")
    result = update(clone, package, "-y", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["conflicts"] == ["README.md"]
    error = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "conflicts to resolve in README.md" in error[0] and "hint:" in error[0]
    text = readme.read_text(encoding="utf-8")
    assert "<<<<<<<" in text and "- Publish to our own index." in text and "or (new) share" in text
    assert "*.log" in (package / ".gitignore").read_text(encoding="utf-8")  # the rest was applied


def test_an_old_package_is_told_how_to_link_and_the_link_works(clone: Path, tmp_path: Path) -> None:
    git(clone, "tag", "v0.1.0")  # the release the package's pre-commit config pins
    package = generate(clone, tmp_path)
    (package / ".cruft.json").unlink()
    commit_all(package, "As generated before .cruft.json existed")
    template_fixes(clone)
    before = snapshot(package)
    result = update(clone, package, "-y")
    assert result.returncode == 1 and snapshot(package) == before
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {package} has no .cruft.json") and "docs/authoring.md" in line
    command = shlex.split(line.split("link it once with: ", 1)[1].split(" && git add", 1)[0])
    assert command[:3] == ["cruft", "link", str(clone)] and "--checkout" in command
    assert command[command.index("--checkout") + 1] == "v0.1.0"
    assert json.loads(command[command.index("--extra-context") + 1]) == ANSWERS
    linked = subprocess.run([sys.executable, "-m", "cruft", *command[1:]], cwd=package.parent, capture_output=True,
                            text=True, timeout=300)
    assert linked.returncode == 0, linked.stdout + linked.stderr
    assert cruft_state(package)["commit"] == git(clone, "rev-parse", "v0.1.0")
    commit_all(package, "Link to the compact-memory template")
    applied = update(clone, package, "-y")
    assert applied.returncode == 0, applied.stderr
    assert "*.log" in (package / ".gitignore").read_text(encoding="utf-8")


# --- refusals: one error line, exit 1, the package unchanged -------------------------------------------


def refused(result: subprocess.CompletedProcess[str], *words: str, code: int = 1) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if not line.startswith("warning:")]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


CORRUPT = {
    "not-json": (b'{"template": "x",', "is not valid JSON: "),
    "not-utf8": (b"\xff\xfe{}", "is not UTF-8 text"),
    "a-list": (b"[]", "expected a JSON object, found list"),
    "no-commit": (b'{"template": "/x", "context": {"cookiecutter": {}}}', '"commit" must be a non-empty string'),
    "option-as-url": (b'{"template": "--upload-pack=touch /tmp/x", "commit": "abc", "context": {"cookiecutter": {}}}',
                      'must not start with "-"'),
    "no-answers": (b'{"template": "/x", "commit": "abc", "context": {}}', '"context" must be an object'),
    "bad-skip": (b'{"template": "/x", "commit": "abc", "context": {"cookiecutter": {}}, "skip": "strategy.py"}',
                 '"skip" must be a list'),
}


@pytest.mark.parametrize("case", CORRUPT)
def test_a_corrupt_cruft_json_is_refused(clone: Path, tmp_path: Path, case: str) -> None:
    package = generate(clone, tmp_path)
    content, message = CORRUPT[case]
    (package / ".cruft.json").write_bytes(content)
    commit_all(package, "Broken")
    template_fixes(clone)
    before = snapshot(package)
    for args in (("-y",), ("--check",)):
        refused(update(clone, package, *args), ".cruft.json", message, "git checkout -- .cruft.json")
        assert snapshot(package) == before


@pytest.mark.parametrize("kind", ["directory", "symlink"])
def test_a_cruft_json_that_is_no_regular_file_is_refused(clone: Path, tmp_path: Path, kind: str) -> None:
    package = generate(clone, tmp_path)
    (package / ".cruft.json").unlink()
    if kind == "directory":
        (package / ".cruft.json").mkdir()
        (package / ".cruft.json" / "keep").write_text("", encoding="utf-8")
    else:
        (package / ".cruft.json").symlink_to(package / "README.md")
    before = snapshot(package)
    refused(update(clone, package, "--check"), ".cruft.json is not a regular file")
    assert snapshot(package) == before


def test_uncommitted_changes_in_the_package_are_refused(clone: Path, tmp_path: Path) -> None:
    package = generate(clone, tmp_path)
    template_fixes(clone)
    (package / "README.md").write_text("work in progress\n", encoding="utf-8")
    before = snapshot(package)
    refused(update(clone, package, "-y"), "has uncommitted changes (README.md)", "commit or stash")
    assert snapshot(package) == before


def test_untracked_files_are_refused_unless_allowed(clone: Path, tmp_path: Path) -> None:
    package = generate(clone, tmp_path)
    template_fixes(clone)
    (package / "notes.txt").write_text("mine\n", encoding="utf-8")
    before = snapshot(package)
    refused(update(clone, package, "-y"), "uncommitted changes (notes.txt)", "--allow-untracked-files")
    assert snapshot(package) == before
    allowed = update(clone, package, "-y", "--allow-untracked-files")
    assert allowed.returncode == 0, allowed.stderr
    assert (package / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    assert "*.log" in (package / ".gitignore").read_text(encoding="utf-8")


def test_a_package_outside_git_is_refused(clone: Path, tmp_path: Path) -> None:
    package = generate(clone, tmp_path)
    shutil.rmtree(package / ".git")
    template_fixes(clone)
    before = snapshot(package)
    refused(update(clone, package, "-y"), "is not in a git repository", "git init")
    assert snapshot(package) == before


def test_a_template_source_that_cannot_be_reached_is_refused(clone: Path, tmp_path: Path) -> None:
    package = generate(clone, tmp_path)
    template_fixes(clone)
    before = snapshot(package)
    nowhere = tmp_path / "moved-away"
    refused(update(clone, package, "-y", "--template-path", str(nowhere)), "cannot be reached: no such directory",
            str(nowhere))
    assert snapshot(package) == before


def test_a_template_source_without_the_packages_commit_is_refused(clone: Path, tmp_path: Path) -> None:
    package = generate(clone, tmp_path)
    template_fixes(clone)
    commit = cruft_state(package)["commit"]
    before = snapshot(package)
    # This checkout of compact-memory never had the clone's commits.
    result = run_cli("dev", "update-strategy-package", str(package), "-y", "--checkout", "HEAD")
    refused(result, f"has no commit {commit}", "--checkout")
    assert snapshot(package) == before


def test_a_package_newer_than_the_running_template_is_not_taken_back(clone: Path, tmp_path: Path) -> None:
    older = git(clone, "rev-parse", "HEAD")
    template_fixes(clone)
    package = generate(clone, tmp_path)
    git(clone, "checkout", "-q", older)  # the running compact-memory is now the older one
    report = update(clone, package, "--check", "--json")
    assert report.returncode == 1 and json.loads(report.stdout)["status"] == "ahead"
    before = snapshot(package)
    refused(update(clone, package, "-y"), "generated from a newer template", "upgrade compact-memory")
    assert snapshot(package) == before


def test_without_a_terminal_it_asks_for_skip_apply_ask(clone: Path, tmp_path: Path) -> None:
    package = generate(clone, tmp_path)
    template_fixes(clone)
    before = snapshot(package)
    refused(update(clone, package), "stdin is not a terminal", "--skip-apply-ask", code=2)
    assert snapshot(package) == before


def test_a_directory_that_is_no_package(tmp_path: Path) -> None:
    refused(run_cli("dev", "update-strategy-package", str(tmp_path)), "is not a strategy package")
    refused(run_cli("dev", "update-strategy-package", str(tmp_path / "missing")), "no such directory")


# --- the generated CI workflow --------------------------------------------------------------------------


@pytest.mark.parametrize("check", ["update-strategy-package", "cruft"])
def test_the_workflows_template_job_is_valid_once_uncommented(tmp_path: Path, check: str) -> None:
    pytest.importorskip("check_jsonschema", reason="check-jsonschema is not installed (pip install check-jsonschema)")
    import yaml

    lines = (REPO / PACKAGE_DIR / ".github" / "workflows" / "validate.yml").read_text(encoding="utf-8").splitlines()
    start = lines.index("  # template:")
    assert all(line.startswith("  #") for line in lines[start:])
    enabled = [line.replace("  # ", "  ", 1) for line in lines[start:]]
    if check == "cruft":
        enabled = [line.replace("# - run: cruft check", "- run: cruft check") for line in enabled]
    workflow = tmp_path / "validate.yml"
    workflow.write_text("\n".join(lines[:start] + enabled) + "\n", encoding="utf-8")
    runs = [step.get("run") for step in yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"]["template"]
            ["steps"]]
    assert 'python -m pip install "compact-memory[update]"' in runs
    assert "compact-memory dev update-strategy-package --check" in runs
    assert ("cruft check" in runs) == (check == "cruft")
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                             str(workflow)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_template_code_and_the_build_hook_pass_the_linters() -> None:
    # Outside compact_memory/, so test_lint.py does not see them; the template's Jinja files are not Python.
    files = [str(REPO / TEMPLATE_DIR / "strategy_template_origin.py"), str(REPO / "hatch_build.py")]
    for tool in (["ruff", "check", "--no-cache"], ["mypy", "--strict", "--no-incremental"]):
        result = subprocess.run([sys.executable, "-m", *tool, *files], cwd=REPO, capture_output=True, text=True,
                                timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
