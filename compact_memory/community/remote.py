"""Index URLs: fetched over http(s) within a size and time limit, checked, and cached in the user cache directory.

A copy younger than :data:`MAX_AGE` is used without a request; an older one
is revalidated with its ETag / Last-Modified (a 304 keeps it). A fetched body
replaces the cache only when it passes the index checks, and it is written
with one rename, so a concurrent run never reads half a file. When a fetch
fails for any reason (offline, refused, slow, too large, an HTTP error,
invalid) nothing is raised: the cached copy stands in, or none, with a
one-line note saying which and how old. Nothing fetched is ever executed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

URL_ENV = "COMPACT_MEMORY_INDEX_URL"
MAX_BYTES = 5_000_000
TIMEOUT = 15.0  # seconds for the whole fetch: connecting, headers and every byte of the body
MAX_AGE = 3600.0


@dataclass
class Fetched:
    url: str
    path: Path | None  # the local copy to read; None when there is none
    note: str | None  # says what stands in for a fresh copy, if anything does
    fetched_at: float | None


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def index_urls(environ: Mapping[str, str] | None = None) -> list[str]:
    """The URLs of :data:`URL_ENV`, separated by whitespace, in order (earlier wins)."""
    env = os.environ if environ is None else environ
    return env.get(URL_ENV, "").split()


def cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("compact_memory")) / "indexes"


def fetch_index(url: str, *, refresh: bool = False, cache: Path | None = None, max_bytes: int = MAX_BYTES,
                timeout: float = TIMEOUT, max_age: float = MAX_AGE) -> Fetched:
    """The freshest good copy of the index at ``url`` that can be had now (see the module's rules)."""
    import http.client

    from compact_memory.diagnostics.render import printable

    where = cache or cache_dir()
    key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]
    body, meta_path = where / f"{key}.yaml", where / f"{key}.json"
    meta = _read_meta(meta_path, url) if body.is_file() else None
    now = time.time()
    if meta is not None and not refresh and now - meta["fetched_at"] < max_age:
        return Fetched(url, body, None, meta["fetched_at"])
    shown = printable(url, newlines=False)
    try:
        status, data, headers = _get(url, meta, max_bytes=max_bytes, timeout=timeout)
        if status == 304 and meta is not None:
            _write_meta(meta_path, {**meta, "fetched_at": now})
            return Fetched(url, body, None, now)
        assert data is not None
        problem = _problem(data, url)
        if problem is not None:
            raise _Failed(f"the fetched index is invalid: {problem}")
        where.mkdir(parents=True, exist_ok=True)
        _atomic_write(body, data)
        _write_meta(meta_path, {"url": url, "etag": headers.get("ETag"),
                                "last_modified": headers.get("Last-Modified"), "fetched_at": now})
        return Fetched(url, body, None, now)
    except (_Failed, OSError, ValueError, http.client.HTTPException) as exc:
        reason = printable(str(exc) if isinstance(exc, _Failed) else _reason(exc), newlines=False)
    if meta is not None:
        return Fetched(url, body, f"note: {shown} could not be fetched ({reason}); using the copy cached "
                                  f"{_age(now - meta['fetched_at'])}", meta["fetched_at"])
    return Fetched(url, None, f"note: {shown} could not be fetched ({reason}) and there is no cached copy; "
                              "using the other indexes and the one shipped with compact-memory", None)


class _Failed(Exception):
    pass


def _get(url: str, meta: dict[str, Any] | None, *, max_bytes: int, timeout: float
         ) -> tuple[int, bytes | None, Mapping[str, str]]:
    import urllib.error
    import urllib.request

    class NoOtherSchemes(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
            if not is_url(newurl):
                raise _Failed(f"redirected to a {newurl.split(':', 1)[0]}: URL, which is not fetched")
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    opener = urllib.request.build_opener(NoOtherSchemes)
    request = urllib.request.Request(url, headers={"User-Agent": "compact-memory", "Accept-Encoding": "identity"})
    if meta is not None:
        if meta.get("etag"):
            request.add_header("If-None-Match", str(meta["etag"]))
        if meta.get("last_modified"):
            request.add_header("If-Modified-Since", str(meta["last_modified"]))
    deadline = time.monotonic() + timeout
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return 304, None, {}
        target = exc.headers.get("Location") if exc.headers else None
        if exc.code in (301, 302, 303, 307, 308) and target and not is_url(target):
            raise _Failed(f"redirected to a {target.split(':', 1)[0]}: URL, which is not fetched") from None
        raise _Failed(f"HTTP {exc.code}") from None
    with response:
        chunks, size = [], 0
        while True:
            if time.monotonic() > deadline:
                raise _Failed(f"timed out after {timeout:g} s")
            chunk = response.read1(65536)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise _Failed(f"larger than {max_bytes:,} bytes")
            chunks.append(chunk)
        return response.status, b"".join(chunks), dict(response.headers.items())


def _problem(data: bytes, url: str) -> str | None:
    """The first error of the fetched index, if any (checked from a private temporary file)."""
    from compact_memory.community.index import load_index
    from compact_memory.diagnostics.codes import ERROR

    with tempfile.TemporaryDirectory(prefix="compact-memory-index-") as tmp:
        path = Path(tmp) / "index.yaml"
        path.write_bytes(data)
        errors = [f for f in load_index(path, display=url).findings if f.severity == ERROR]
    if not errors:
        return None
    first = errors[0]
    where = f"line {first.line}: " if first.line else ""
    return f"{where}{first.code} {first.message}"


def _reason(exc: BaseException) -> str:
    import socket
    import urllib.error

    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "timed out"
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        return str(getattr(reason, "strerror", None) or reason)
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _age(seconds: float) -> str:
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def _read_meta(path: Path, url: str) -> dict[str, Any] | None:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("url") != url or not isinstance(meta.get("fetched_at"), (int, float)):
        return None
    return meta


def _write_meta(path: Path, meta: dict[str, Any]) -> None:
    _atomic_write(path, json.dumps(meta).encode("utf-8"))


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
