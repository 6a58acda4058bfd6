"""``compact-memory dev create-strategy-package``: a new, tested, CI-checked strategy package.

Runs ``templates/strategy_package`` through cookiecutter's API without
prompts. Names are checked before anything is written; the package is
generated in a temporary directory next to the target and renamed into
place, so a failure leaves nothing behind; cookiecutter's replay and cache
go to a temporary directory, never into the user's home. The template's
post-generation hook records where the template came from in ``.cruft.json``
(see ``dev update-strategy-package``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from compact_memory.commands import add_command
from compact_memory.errors import CompactMemoryError, UsageError
from compact_memory.scaffold import TEMPLATE, PackageNames, derive_names, problems

DESCRIPTION = (
    "Generate a strategy package from the cookiecutter template. From --name "
    "compact_memory_my_strategy it derives the id my_strategy and the class MyStrategy; "
    "the options below override what is derived."
)


def add_parser(commands: Any, parents: list[argparse.ArgumentParser], summary: str) -> None:
    parser = add_command(
        commands, "create-strategy-package", parents, summary, description=DESCRIPTION,
    )
    parser.add_argument("--name", required=True, help="Python package name, e.g. compact_memory_my_strategy")
    parser.add_argument(
        "--path", type=Path, default=None, help="directory to create (default: ./NAME); must not exist or be empty"
    )
    parser.add_argument("--strategy-id", default=None, help="strategy id (default: NAME without compact_memory_)")
    parser.add_argument(
        "--class-name", default=None, help="strategy class name (default: from the id, e.g. MyStrategy)"
    )
    parser.add_argument("--display-name", default=None, help="name shown by dev list-strategies")
    parser.add_argument("--author", default=None, help='author, e.g. "Ada Lovelace <ada@example.com>"')
    parser.add_argument("--description", default=None, help="one-line description")
    parser.add_argument("--overrides-builtin", action="store_true",
                        help="the strategy replaces the built-in strategy with the same id (overrides_builtin: true)")
    parser.set_defaults(
        handler=lambda a: run(
            a.name,
            path=a.path,
            strategy_id=a.strategy_id,
            class_name=a.class_name,
            display_name=a.display_name,
            author=a.author,
            description=a.description,
            overrides_builtin=a.overrides_builtin,
        )
    )


def run(
    name: str,
    *,
    path: Path | None = None,
    strategy_id: str | None = None,
    class_name: str | None = None,
    display_name: str | None = None,
    author: str | None = None,
    description: str | None = None,
    overrides_builtin: bool = False,
) -> int:
    names = derive_names(
        name,
        strategy_id=strategy_id,
        class_name=class_name,
        display_name=display_name,
        author=author,
        description=description,
        overrides_builtin="yes" if overrides_builtin else None,
    )
    found = problems(names)
    if found:
        raise UsageError("; ".join(found), hint="nothing was written")
    target = (path if path is not None else Path(names.package_name)).absolute()
    create_package(names, target)
    _print_next_steps(names, target)
    return 0


def create_package(names: PackageNames, target: Path) -> Path:
    """Generate the package into ``target`` (absent or empty); all or nothing."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise CompactMemoryError(f"{target} already exists and is not an empty directory", hint="choose another --path")
    from compact_memory.resources import data_path

    template = data_path(*TEMPLATE)
    created_parents = _make_parents(target.parent)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        generated = _generate(template, names, staging)
        if target.exists():
            _fill(target, generated)  # it may be the working directory: fill it, never replace it
        else:
            os.replace(generated, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for parent in created_parents:
            with contextlib.suppress(OSError):
                parent.rmdir()
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return target


def _fill(target: Path, generated: Path) -> None:
    """Move everything generated into the empty ``target``; on any failure, move it all back out."""
    moved: list[str] = []
    try:
        for name in sorted(os.listdir(generated)):
            os.rename(generated / name, target / name)
            moved.append(name)
    except BaseException:
        for name in reversed(moved):
            with contextlib.suppress(OSError):
                os.rename(target / name, generated / name)
        raise


def _make_parents(parent: Path) -> list[Path]:
    """Create missing parents; return them innermost first, to remove after a failure."""
    missing = []
    current = parent
    while not current.exists():
        missing.append(current)
        current = current.parent
    parent.mkdir(parents=True, exist_ok=True)
    return missing


def _generate(template: Path, names: PackageNames, output_dir: Path) -> Path:
    import logging

    from cookiecutter.exceptions import CookiecutterException, FailedHookException  # type: ignore[import-untyped]
    from cookiecutter.main import cookiecutter  # type: ignore[import-untyped]

    # The hook prints its own one-line reasons; keep cookiecutter's traceback logging quiet.
    logger = logging.getLogger("cookiecutter")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())

    with tempfile.TemporaryDirectory(prefix="compact-memory-cookiecutter-") as scratch:
        # Our own config: replay files and clones go to scratch, not to ~/.
        config = Path(scratch) / "config.yaml"
        config.write_text(
            f"replay_dir: {_yaml_path(Path(scratch) / 'replay')}\n"
            f"cookiecutters_dir: {_yaml_path(Path(scratch) / 'cookiecutters')}\n",
            encoding="utf-8",
        )
        try:
            result = cookiecutter(
                str(template),
                no_input=True,
                extra_context=names.context(),
                output_dir=str(output_dir),
                config_file=str(config),
            )
        except FailedHookException as exc:
            raise CompactMemoryError(f"the template rejected the names: {exc}", hint="nothing was written") from None
        except CookiecutterException as exc:
            raise CompactMemoryError(f"cookiecutter failed: {exc}", hint="nothing was written") from None
    return Path(result)


def _yaml_path(path: Path) -> str:
    return '"' + str(path).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _print_next_steps(names: PackageNames, target: Path) -> None:
    shown = os.path.relpath(target) if not os.path.relpath(target).startswith("..") else str(target)
    print(
        f"Created {names.display_name!r} (strategy id {names.strategy_id}, class {names.class_name}) in {shown}\n"
        "\n"
        "Next steps:\n"
        f"  cd {shown}\n"
        "  git init && git add -A && git commit -m 'Generated from the compact-memory template'\n"
        "  edit strategy.py (compress) and README.md\n"
        '  pip install -e ".[test]" && pytest\n'
        "  compact-memory dev validate-strategy-package . --strict --import-check require\n"
        "  pre-commit install                  # validation on every commit\n"
        f"  compact-memory compress --file notes.md --strategy {names.strategy_id} --budget 200\n"
        "\n"
        "To use it without installing, put its parent directory on COMPACT_MEMORY_PLUGINS_PATH.\n"
        "Later, `compact-memory dev update-strategy-package` brings in the template's fixes "
        "(.cruft.json records the template it came from).",
        file=sys.stderr,
    )
