"""Hostile wheels and sdists as a class: refused while unpacking, before pip or any package code runs."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile import run


def _zip(path: Path, members: list[tuple[str, bytes, int]]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            archive.writestr(info, data)


class _Zeros(io.RawIOBase):
    def read(self, size: int = -1) -> bytes:
        return b"\0" * max(size, 0)


def _tar(path: Path, members: list[tarfile.TarInfo]) -> None:
    with tarfile.open(path, "w:gz", compresslevel=1) as archive:
        for member in members:
            archive.addfile(member, _Zeros() if member.isfile() else None)


def _member(name: str, kind: bytes = tarfile.REGTYPE, size: int = 1, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname = kind, size if kind == tarfile.REGTYPE else 0, target
    return info


META = ("evil-1.0.dist-info/METADATA", b"Name: evil\nVersion: 1.0\n", 0o100644)
CASES: dict[str, tuple[str, Callable[[Path], None], str]] = {
    "wheel_path_traversal": ("evil-1.0-py3-none-any.whl",
                             lambda p: _zip(p, [META, ("../../escaped.txt", b"x", 0o100644)]), "unsafe path"),
    "wheel_absolute_path": ("evil-1.0-py3-none-any.whl",
                            lambda p: _zip(p, [META, ("/tmp/absolute.txt", b"x", 0o100644)]), "unsafe path"),
    "wheel_symlink": ("evil-1.0-py3-none-any.whl",
                      lambda p: _zip(p, [META, ("evil/link", b"/etc/passwd", 0o120777)]), "not a file or directory"),
    "wheel_too_many_members": ("evil-1.0-py3-none-any.whl",
                               lambda p: _zip(p, [META] + [(f"evil/{i}", b"", 0o100644) for i in range(20_001)]),
                               "too many files or bytes"),
    "wheel_no_entry_point": ("evil-1.0-py3-none-any.whl", lambda p: _zip(p, [META]), "declares no"),
    "wheel_not_a_zip": ("evil-1.0-py3-none-any.whl", lambda p: p.write_bytes(b"not a zip"), "cannot be unpacked"),
    "sdist_path_traversal": ("evil-1.0.tar.gz", lambda p: _tar(p, [_member("evil-1.0/../../x")]), "unsafe path"),
    "sdist_symlink": ("evil-1.0.tar.gz",
                      lambda p: _tar(p, [_member("evil-1.0/link", tarfile.SYMTYPE, target="/etc/passwd")]),
                      "not a file or directory"),
    "sdist_device": ("evil-1.0.tar.gz", lambda p: _tar(p, [_member("evil-1.0/dev", tarfile.CHRTYPE)]),
                     "not a file or directory"),
    "sdist_hard_link": ("evil-1.0.tar.gz",
                        lambda p: _tar(p, [_member("evil-1.0/h", tarfile.LNKTYPE, target="/etc/passwd")]),
                        "not a file or directory"),
    "sdist_huge_member": ("evil-1.0.tar.gz", lambda p: _tar(p, [_member("evil-1.0/big", size=200_000_001)]),
                          "too many files or bytes"),
    "sdist_without_manifest": ("evil-1.0.tar.gz", lambda p: _tar(p, [_member("evil-1.0/PKG-INFO")]),
                               "holds 0 strategy_package.yaml files"),
    "sdist_not_gzip": ("evil-1.0.tar.gz", lambda p: p.write_bytes(b"plain text"), "cannot be unpacked"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_archives_are_refused_before_anything_is_installed(case: str, tmp_path: Path,
                                                                  user_plugin_dir: Path) -> None:
    name, build, needle = CASES[case]
    work = tmp_path / "work"
    work.mkdir()
    archive = work / name
    build(archive)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    before = sorted(os.listdir(tmp_path))
    result = run("dev", "install-strategy-package", str(archive), "--yes", env={"TMPDIR": str(scratch),
                                                                          "PIP_NO_INDEX": "1"}, cwd=work)
    assert result.returncode in (1, 2), result.stderr
    assert needle in result.stderr, result.stderr
    assert sorted(os.listdir(tmp_path)) == before and list(scratch.iterdir()) == []
    assert list(user_plugin_dir.iterdir()) == []
    assert not (tmp_path / "escaped.txt").exists() and not Path("/tmp/absolute.txt").exists()
