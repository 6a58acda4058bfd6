"""Index URLs: fetched over http(s) within a size and a total time limit, checked, and cached.

The cache holds one copy per URL in the user cache directory
(``<sha256 of the URL>.yaml`` with a ``.json`` sidecar: url, etag,
last_modified, fetched_at and the copy's sha256). A copy younger than
:data:`MAX_AGE` is used without a request; an older one, or any with
``refresh``, is revalidated with If-None-Match / If-Modified-Since, and a 304
keeps it. A fetched body replaces the cache only when it passes the index
checks, and every cache write is one rename, so a concurrent run never reads
half a file. Redirects are followed within http(s) only, never from https
to http; a URL holding a user name or password is refused. A failure of any
kind (offline, refused, slow, too large, an HTTP error, a redirect to another
scheme, an invalid index) raises nothing: the cached copy stands in, or none,
with a one-line note saying which and how old, its text made printable.
Nothing fetched is ever executed.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

URL_ENV = "COMPACT_MEMORY_INDEX_URL"
MAX_BYTES = 5_000_000
TIMEOUT = 15.0  # seconds for the whole fetch: name lookup, connecting, redirects, headers and every byte of the body
MAX_AGE = 3600.0
_META_LIMIT = 64 * 1024


@dataclass
class Fetched:
    url: str
    path: Path | None  # the local copy to pass to load_index; None when there is none
    note: str | None  # one line for stderr saying what stands in for a fresh copy, if anything does
    fetched_at: float | None  # when the copy at ``path`` was fetched or last revalidated (epoch seconds)


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def index_urls(environ: Mapping[str, str] | None = None) -> list[str]:
    """The URLs of :data:`URL_ENV`, separated by whitespace, in order (earlier wins)."""
    env = os.environ if environ is None else environ
    return env.get(URL_ENV, "").split()


def default_cache_dir() -> Path:
    from compact_memory.dirs import user_cache

    return user_cache("indexes")


def fetch_index(url: str, *, refresh: bool = False, cache_dir: Path | None = None, max_bytes: int = MAX_BYTES,
                timeout: float = TIMEOUT, max_age: float = MAX_AGE) -> Fetched:
    """The freshest good copy of the index at ``url`` that can be had now (see the module's rules)."""
    from compact_memory.diagnostics.render import printable

    where = cache_dir if cache_dir is not None else default_cache_dir()
    key = hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()
    body, meta_path = where / f"{key}.yaml", where / f"{key}.json"
    meta = _read_meta(meta_path, url) if body.is_file() else None
    if meta is not None and not _matches(body, meta):
        meta = None  # not the copy the sidecar describes, or not ours alone: no copy to trust
    now = time.time()
    if meta is not None and not refresh and 0 <= now - meta["fetched_at"] < max_age:
        return Fetched(url, body, None, meta["fetched_at"])
    try:
        if not is_url(url):
            raise _Failed("not an http:// or https:// URL")
        if "@" in _netloc(url):  # urllib would look the whole user:password@host up as a host name
            raise _Failed("a user name or password in an index URL is not supported")
        status, data, headers = _get(url, meta, max_bytes=max_bytes, timeout=timeout)
        if status == 304 and meta is not None:
            _write_meta(meta_path, {**meta, **_validators(headers, meta), "fetched_at": now})
            return Fetched(url, body, None, now)
        _store(data, body, url, where)
        _write_meta(meta_path, {"url": url, **_validators(headers, {}), "fetched_at": now,
                                "sha256": hashlib.sha256(data).hexdigest()})
        return Fetched(url, body, None, now)
    except _Invalid as exc:
        what = f"was fetched but is not a valid index ({exc})"
    except _Failed as exc:
        what = f"could not be fetched ({exc})"
    except OSError as exc:  # the cache directory cannot be written
        what = f"was fetched but could not be cached in {where} ({_reason(exc)})"
    what = f"note: {printable(_without_password(url), newlines=False)} {printable(what, newlines=False)}"
    if meta is not None:
        return Fetched(url, body, f"{what}; using the copy cached {_age(now - meta['fetched_at'])}",
                       meta["fetched_at"])
    return Fetched(url, None, f"{what} and there is no cached copy; "
                              "using the other indexes and the one shipped with compact-memory", None)


class _Failed(Exception):
    """The fetch failed; the message says why, in a few words."""


class _Invalid(Exception):
    """The fetched body is not a valid index; the message is its first error."""


def _get(url: str, meta: Mapping[str, Any] | None, *, max_bytes: int, timeout: float
         ) -> tuple[int, bytes, Mapping[str, str]]:
    """(status, body, headers) within ``timeout`` seconds in all, however the server trickles.

    The request runs in a daemon thread that this one waits for at most
    ``timeout``: socket timeouts alone bound each read, not their sum, and do
    not bound a name lookup. A thread left behind stops at its next read.
    """
    import http.client

    outcome: list[tuple[int, bytes, Mapping[str, str]] | BaseException] = []
    cancelled = threading.Event()

    def work() -> None:
        try:
            outcome.append(_request(url, meta, max_bytes=max_bytes, timeout=timeout, cancelled=cancelled))
        except BaseException as exc:  # handed to the waiting thread, which raises it there
            outcome.append(exc)

    worker = threading.Thread(target=work, name="compact-memory index fetch", daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        cancelled.set()
        raise _Failed(f"timed out after {timeout:g} s")
    result = outcome[0]
    if isinstance(result, (OSError, ValueError, http.client.HTTPException)):
        raise _Failed(_reason(result, timeout)) from result
    if isinstance(result, BaseException):
        raise result
    return result


def _request(url: str, meta: Mapping[str, Any] | None, *, max_bytes: int, timeout: float,
             cancelled: threading.Event) -> tuple[int, bytes, Mapping[str, str]]:
    import urllib.error
    import urllib.request
    from http.client import HTTPMessage
    from typing import IO

    class SameSchemes(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                             headers: HTTPMessage, newurl: str) -> urllib.request.Request | None:
            fp.close()  # the redirect's own body is never read (urllib would read all of it)
            _check_redirect(req.full_url, newurl)
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    opener = urllib.request.build_opener(SameSchemes)
    request = urllib.request.Request(url, headers={"User-Agent": "compact-memory", "Accept-Encoding": "identity"})
    if meta is not None:
        if meta.get("etag"):
            request.add_header("If-None-Match", str(meta["etag"]))
        if meta.get("last_modified"):
            request.add_header("If-Modified-Since", str(meta["last_modified"]))
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.fp is not None:
            exc.close()
        if exc.code == 304 and meta is not None:
            return 304, b"", dict(exc.headers.items()) if exc.headers else {}
        if exc.code in (301, 302, 303, 307, 308) and exc.headers and exc.headers.get("Location"):
            _check_redirect(exc.url or url, exc.headers["Location"])
        said = str(exc.reason if isinstance(exc.reason, str) else "").split(" - Redirection")[0][:80]
        raise _Failed(f"HTTP {exc.code} {said}".rstrip()) from None
    with response:
        if response.status != 200:
            raise _Failed(f"HTTP {response.status} {str(response.reason)[:80]}".rstrip())
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > max_bytes:
            raise _Failed(f"larger than {max_bytes:,} bytes ({int(length):,} announced)")
        chunks, size = [], 0
        while chunk := response.read1(min(65536, max_bytes + 1 - size)):
            if cancelled.is_set():
                raise _Failed("cancelled")
            size += len(chunk)
            if size > max_bytes:
                raise _Failed(f"larger than {max_bytes:,} bytes")
            chunks.append(chunk)
        if response.length:  # the server closed the connection before the announced length
            raise _Failed(f"the connection closed after {size:,} of {size + response.length:,} bytes")
        return 200, b"".join(chunks), dict(response.headers.items())


def _netloc(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).netloc
    except ValueError as exc:
        raise _Failed(f"not a valid URL: {exc}") from None


def _without_password(url: str) -> str:
    """``url`` for messages: a password in it is shown as ``***``."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
    except ValueError:
        return url
    user, _, host = parts.netloc.rpartition("@")
    return parts._replace(netloc=f"{user.partition(':')[0]}:***@{host}").geturl()


def _check_redirect(origin: str, target: str) -> None:
    from urllib.parse import urljoin, urlsplit

    scheme = urlsplit(urljoin(origin, target)).scheme
    if scheme not in ("http", "https"):
        raise _Failed(f"redirected to a {scheme[:20]}: URL, which is not followed")
    if scheme == "http" and urlsplit(origin).scheme == "https":
        raise _Failed("redirected from https to http, which is not followed")


def _store(data: bytes, body: Path, url: str, where: Path) -> None:
    """Check ``data`` as an index in a temporary file beside ``body``, then rename it to ``body``."""
    import tempfile

    from compact_memory.community.index import load_index
    from compact_memory.diagnostics.codes import ERROR

    where.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=where, prefix=f".{body.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        index = load_index(Path(name), display=url)
        if not index.passed:
            first = next(f for f in index.findings if f.severity == ERROR)
            raise _Invalid(f"{f'line {first.line}: ' if first.line else ''}{first.code} {first.message}")
        os.replace(name, body)
    except BaseException:
        os.unlink(name)
        raise


def _matches(body: Path, meta: Mapping[str, Any]) -> bool:
    """Whether ``meta`` describes the copy in ``body`` (two concurrent runs may each have renamed one of them)."""
    from compact_memory.io import read_regular_file

    try:
        return hashlib.sha256(read_regular_file(body, 4 * MAX_BYTES, private=True)).hexdigest() == meta.get("sha256")
    except OSError:
        return False


def _validators(headers: Mapping[str, str], old: Mapping[str, Any]) -> dict[str, Any]:
    return {"etag": headers.get("ETag", old.get("etag")), "last_modified": headers.get("Last-Modified",
                                                                                      old.get("last_modified"))}


def _reason(exc: BaseException, timeout: float | None = None) -> str:
    import http.client
    import socket
    import urllib.error

    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    if isinstance(exc, (TimeoutError, socket.timeout)) or (isinstance(exc, urllib.error.URLError)
                                                           and "timed out" in str(exc.reason)):
        return f"timed out after {timeout:g} s" if timeout is not None else "timed out"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    if isinstance(exc, http.client.IncompleteRead):
        return "the connection closed before the whole answer was sent"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without an answer"
    text = str(getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)[:120]
    return text[:1].lower() + text[1:] if text[1:2].islower() else text  # "Connection refused", not "URL ..."


def _age(seconds: float) -> str:
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def _read_meta(path: Path, url: str) -> dict[str, Any] | None:
    from compact_memory.io import read_regular_file

    try:
        meta = json.loads(read_regular_file(path, _META_LIMIT, private=True))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("url") != url or not isinstance(meta.get("fetched_at"), (int, float)):
        return None
    return meta


def _write_meta(path: Path, meta: Mapping[str, Any]) -> None:
    from compact_memory.io import replace_file

    replace_file(path, json.dumps(meta).encode("utf-8"))
