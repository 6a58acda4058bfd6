"""Get a distribution file from pip, check its hash, and find the strategy package inside it, without installing.

``pip download --no-deps`` fetches exactly one file (a wheel is preferred;
with hashes it runs in ``--require-hashes`` mode) and its SHA-256 is checked
again here. The file is unpacked into the work directory, never installed:
a wheel's entry point names the strategy and its module, whose package
ships the manifest; an sdist holds the package's source tree, pyproject.toml
included. Either way the caller validates that directory statically, so a
package that is not a valid strategy package is refused before pip installs
anything. (pip builds an sdist's metadata with its build backend, which is
the package's own code: wheels avoid that, and the plan says so.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from compact_memory.diagnostics.render import printable
from compact_memory.errors import CompactMemoryError

TIMEOUT = 900.0
MAX_UNPACKED = 200_000_000
MAX_MEMBERS = 20_000


@dataclass
class Artifact:
    file: Path
    sha256: str
    name: str  # the distribution's name, as its metadata spells it
    version: str
    package_dir: Path  # the unpacked directory holding strategy_package.yaml
    is_wheel: bool
    entry_point: str | None = None  # "id = module:Class" in a wheel


def pip_command(*args: str) -> list[str]:
    """``python -m pip`` of the running interpreter, never asking questions."""
    return [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "--no-color", *args]


def run_pip(args: list[str], *, cwd: Path, what: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run pip (in ``cwd``, a directory of ours, so nothing there shadows pip); one-line error when it fails."""
    try:
        done = subprocess.run(pip_command(*args), capture_output=True, text=True, errors="replace", cwd=cwd,
                              timeout=timeout, stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        raise CompactMemoryError(f"{what}: pip did not finish within {timeout:.0f} s",
                                 hint="check your connection and the package index pip uses") from None
    if done.returncode != 0:
        raise CompactMemoryError(f"{what}: {pip_reason(done.stderr)}", hint=pip_hint(done.stderr))
    return done


def pip_reason(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and not line.startswith("  ")]
    errors = [line for line in lines if line.startswith("ERROR:")]
    text = (errors or lines or ["pip failed without a message"])[0].removeprefix("ERROR: ")
    if "No module named pip" in stderr:
        text = "pip is not installed in this Python"
    return printable(text, newlines=False)


def pip_hint(stderr: str) -> str:
    if "No module named pip" in stderr:
        return f"run {sys.executable} -m ensurepip, then try again"
    if "compact-memory" in stderr.lower() and ("conflict" in stderr.lower() or "ResolutionImpossible" in stderr):
        from compact_memory import __version__

        return (f"the package needs another compact-memory than the installed {__version__}; "
                "use a version of it made for this one")
    if "THESE PACKAGES DO NOT MATCH THE HASHES" in stderr:
        return "the file differs from the one the index pinned: do not install it; tell the index's maintainers"
    return "run the same pip command yourself to see more"


def download(requirement: str, hashes: list[str], work: Path) -> Path:
    """The one file pip fetches for ``requirement`` (a requirement or a URL), checked against ``hashes``."""
    target = work / "download"
    target.mkdir()
    line = requirement + "".join(f" --hash={h}" for h in hashes)
    (work / "requirement.txt").write_text(line + "\n", encoding="utf-8")
    args = ["download", "--no-deps", "--prefer-binary", "--quiet", "-d", str(target), "-r", "requirement.txt"]
    run_pip(args + (["--require-hashes"] if hashes else []), cwd=work, what=f"cannot download {requirement}")
    files = sorted(target.iterdir())
    if len(files) != 1:
        raise CompactMemoryError(f"pip fetched {len(files)} files for {requirement}, expected one")
    return files[0]


def check_hash(file: Path, hashes: list[str], shown: str) -> str:
    from compact_memory.plugins.install_files import sha256_file

    digest = sha256_file(file)
    if hashes and f"sha256:{digest}" not in hashes:
        raise CompactMemoryError(f"{shown}: the sha256 of {file.name} is {digest}, which the index does not list; "
                                 "nothing was installed", hint=pip_hint("THESE PACKAGES DO NOT MATCH THE HASHES"))
    return digest


def unpack(file: Path, digest: str, work: Path) -> Artifact:
    """Unpack ``file`` into ``work`` (no link, device or path out of it) and find the strategy package."""
    dest = work / "unpacked"
    dest.mkdir()
    try:
        if file.name.endswith(".whl"):
            _unzip(file, dest)
            return _wheel(file, digest, dest)
        if file.name.endswith(".zip"):
            _unzip(file, dest)
        else:
            _untar(file, dest)
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        raise CompactMemoryError(f"{file.name} cannot be unpacked: {printable(str(exc), newlines=False)}",
                                 hint="the file is damaged or not a Python distribution") from None
    return _sdist(file, digest, dest)


def _check_members(file: Path, members: list[tuple[str, int, bool]]) -> None:
    """(name, size, is a plain file or directory) of every member: few, small, plain and inside."""
    if len(members) > MAX_MEMBERS or sum(size for _, size, _ in members) > MAX_UNPACKED:
        raise CompactMemoryError(f"{file.name} unpacks to too many files or bytes; refused")
    for name, _, plain in members:
        pure = PurePosixPath(name)
        if pure.is_absolute() or ".." in pure.parts or "\\" in name:
            raise CompactMemoryError(f"{file.name} holds the unsafe path {name!r}; refused",
                                     hint="do not install this file")
        if not plain:
            raise CompactMemoryError(f"{file.name} holds {name!r}, which is not a file or directory; refused",
                                     hint="do not install this file")


def _unzip(file: Path, dest: Path) -> None:
    with zipfile.ZipFile(file) as archive:
        _check_members(file, [(m.filename, m.file_size, (m.external_attr >> 16) & 0o170000 != 0o120000)
                              for m in archive.infolist()])
        archive.extractall(dest)


def _untar(file: Path, dest: Path) -> None:
    with tarfile.open(file) as archive:
        _check_members(file, [(m.name, m.size, m.isfile() or m.isdir()) for m in archive.getmembers()])
        archive.extractall(dest, filter="data")


def _wheel(file: Path, digest: str, root: Path) -> Artifact:
    from compact_memory.package import read_package
    from compact_memory.plugins import ENTRY_POINT_GROUP
    from compact_memory.plugins.discovery import shipped_manifest_dir
    from compact_memory.plugins.entry_points import entry_points, module_file

    found = entry_points(ENTRY_POINT_GROUP, path=[str(root)])
    infos = [p for p in root.iterdir() if p.name.endswith(".dist-info")]
    name, version = _name_version(infos[0] / "METADATA") if len(infos) == 1 else ("?", "?")
    shown = f"{name} {version}"
    if len(found) != 1:
        what = "no" if not found else f"{len(found)}"
        raise CompactMemoryError(f"{shown} ({file.name}) declares {what} {ENTRY_POINT_GROUP} entry point"
                                 f"{'s' if found else ''}; it is not a strategy package (one strategy per "
                                 "distribution); nothing was installed", hint="check the name of what you install")
    ep = found[0]
    module = ep.value.partition(":")[0].strip()
    manifest_dir = shipped_manifest_dir(module, module_file(module, str(root), path=[str(root)]))
    if manifest_dir is None:
        raise CompactMemoryError(f"{shown} ({file.name}) ships no strategy_package.yaml next to {module}; "
                                 "nothing was installed", hint="its maintainers must add the manifest to the wheel")
    pkg = read_package(manifest_dir)
    if pkg.strategy_id and pkg.strategy_id != ep.name:
        raise CompactMemoryError(f"{shown}: entry point {ep.name!r} but strategy_id {pkg.strategy_id!r} in its "
                                 "manifest; nothing was installed", hint="its maintainers must make them agree")
    return Artifact(file, digest, name, version, manifest_dir, True, f"{ep.name} = {ep.value}")


def _sdist(file: Path, digest: str, root: Path) -> Artifact:
    from compact_memory.package import MANIFEST_NAME

    tops = [p for p in root.iterdir() if p.is_dir()]
    manifests = sorted(p.parent for p in root.glob(f"*/{MANIFEST_NAME}")) or \
        sorted(p.parent for p in root.glob(f"*/*/{MANIFEST_NAME}") if "tests" not in p.parts)
    if len(tops) != 1 or len(manifests) != 1:
        raise CompactMemoryError(f"{file.name} holds {len(manifests)} {MANIFEST_NAME} files; expected one strategy "
                                 "package; nothing was installed", hint="install a wheel of the package instead")
    name, version = _name_version(tops[0] / "PKG-INFO")
    return Artifact(file, digest, name, version, manifests[0], False)


def _name_version(metadata: Path) -> tuple[str, str]:
    from compact_memory.plugins.entry_points import name_and_version

    return name_and_version(os.fspath(metadata))
