"""A loopback HTTP server for tests: routes of bytes or files, ETags and 304s, hit counts, slow, failing, huge routes.

Only 127.0.0.1 on an ephemeral port, served by a daemon thread::

    with Loopback(root=tmp_path) as server:
        server.routes["/index.yaml"] = b"..."                   # a plain 200 with ETag and Last-Modified
        server.routes["/slow"] = Route(b"...", slow=0.2)         # a few bytes every 0.2 s, headers too
        server.routes["/broken"] = Route(status=500)
        server.routes.update(simple_index({"my-dist": [wheel]}))  # a PEP 503 index: /simple/my-dist/
        fetch(f"{server.url}/index.yaml")
        assert server.hits["/index.yaml"] == 1

A path not in ``routes`` is looked up under ``root`` (a path ending in ``/``
serves its ``index.html``); anything else is a 404. ``hits`` counts requests
per path (without the query) and ``answers`` lists every (path, status) sent.
"""

from __future__ import annotations

import hashlib
import html
import http.server
import mimetypes
import re
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)  # added to or replacing ours; "" leaves one out
    slow: float = 0.0  # sleep this long before each piece of the answer
    piece: int = 4  # bytes per piece when slow
    slow_head: bool = True  # trickle the status line and headers too, not only the body
    huge: int = 0  # stream this many bytes (b"#") instead of the body
    etag: bool = True  # send an ETag of the body and answer a matching If-None-Match with 304
    modified: float | None = field(default_factory=time.time)  # Last-Modified (If-Modified-Since gives 304); None: none


def simple_index(dists: dict[str, list[Path]]) -> dict[str, bytes]:
    """The routes of a PEP 503 simple index of ``dists`` (distribution name -> its files).

    ``/simple/`` lists the names, ``/simple/<normalized name>/`` links each
    file with a ``#sha256=`` fragment, and ``/files/<file name>`` serves it.
    """
    routes: dict[str, bytes] = {}
    names = []
    for dist, files in sorted(dists.items()):
        name = _normalize(dist)
        names.append(f'<a href="{name}/">{name}</a>')
        links = []
        for path in files:
            data = path.read_bytes()
            routes[f"/files/{path.name}"] = data
            href = f"../../files/{urllib.parse.quote(path.name)}#sha256={hashlib.sha256(data).hexdigest()}"
            links.append(f'<a href="{html.escape(href)}">{html.escape(path.name)}</a>')
        routes[f"/simple/{name}/"] = _page(links)
    routes["/simple/"] = _page(names)
    return routes


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _page(links: list[str]) -> bytes:
    return ("<!DOCTYPE html>\n<html><body>\n" + "<br>\n".join(links) + "\n</body></html>\n").encode()


class Loopback:
    def __init__(self, root: Path | None = None) -> None:
        self.routes: dict[str, bytes | Route] = {}
        self.root = root
        self.hits: Counter[str] = Counter()
        self.answers: list[tuple[str, int]] = []
        self.lock = threading.Lock()
        self._bodies: dict[str, tuple[bytes, float]] = {}  # a bytes route's body and when it was first served
        self.closing = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
                route = server.route(path)
                status, headers, body = self._answer(route, path)
                with server.lock:
                    server.hits[path] += 1
                    server.answers.append((path, status))
                head = [f"HTTP/1.0 {status} {self.responses.get(status, ('',))[0]}"]
                head += [f"{key}: {value}" for key, value in headers.items()]
                response = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
                try:
                    if route is not None and route.slow:
                        sent, rest = (b"", response + body) if route.slow_head else (response, body)
                        self.wfile.write(sent)
                        self.wfile.flush()
                        self._trickle(rest, route)
                    else:
                        self.wfile.write(response + body)
                        if route is not None and route.huge and status != 304:
                            self._huge(route.huge)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _answer(self, route: Route | None, path: str) -> tuple[int, dict[str, str], bytes]:
                if route is None:
                    return 404, {"Content-Length": "9"}, b"not found"
                kind = "text/html" if path.endswith("/") else mimetypes.guess_type(path)[0]
                headers = {"Content-Type": kind or "application/octet-stream"}
                tag = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"'
                if route.etag:
                    headers["ETag"] = tag
                if route.modified is not None:
                    headers["Last-Modified"] = formatdate(route.modified, usegmt=True)
                status, body = route.status, b"" if route.huge else route.body
                if status == 200 and self._not_modified(route, tag):
                    status, body = 304, b""
                else:
                    headers["Content-Length"] = str(route.huge or len(route.body))
                headers.update(route.headers)  # an empty value leaves that header out
                return status, {key: value for key, value in headers.items() if value}, body

            def _not_modified(self, route: Route, tag: str) -> bool:
                match, since = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
                if match is not None:  # it takes precedence over If-Modified-Since (RFC 9110 13.2.2)
                    return route.etag and tag in (t.strip() for t in match.split(","))
                if since is None or route.modified is None:
                    return False
                try:
                    return int(route.modified) <= parsedate_to_datetime(since).timestamp()
                except (TypeError, ValueError):
                    return False

            def _trickle(self, data: bytes, route: Route) -> None:
                for start in range(0, len(data), route.piece):
                    if server.closing.wait(route.slow):
                        return
                    self.wfile.write(data[start : start + route.piece])
                    self.wfile.flush()

            def _huge(self, size: int) -> None:
                block = b"#" * 65536
                for start in range(0, size, len(block)):
                    if server.closing.is_set():
                        return
                    self.wfile.write(block[: size - start])

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.block_on_close = False  # close() never waits for a slow or huge answer still being sent
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def route(self, path: str) -> Route | None:
        """What ``path`` serves: a route, else a regular file under ``root``, else None."""
        found = self.routes.get(path)
        if found is None and self.root is not None:
            target = (self.root / path.lstrip("/")).resolve()
            if path.endswith("/"):
                target /= "index.html"
            if target.is_relative_to(self.root.resolve()) and target.is_file():
                found = Route(target.read_bytes(), modified=target.stat().st_mtime)
        if isinstance(found, bytes):
            with self.lock:
                body, since = self._bodies.get(path, (None, 0.0))
                if body != found:
                    self._bodies[path] = (found, since := time.time())
            return Route(found, modified=since)
        return found

    def close(self) -> None:
        """Stop serving; afterwards the port refuses connections."""
        self.closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> Loopback:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
