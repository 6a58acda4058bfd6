"""A loopback HTTP server for tests: routes of bytes, ETags and 304s, request counts, slow, failing and huge routes.

Only 127.0.0.1 on an ephemeral port; a daemon thread serves it. Each route is
a :class:`Route`; ``server.hits[path]`` counts the requests.
"""

from __future__ import annotations

import hashlib
import http.server
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    trickle: float = 0.0  # seconds between single bytes of the body
    huge: int = 0  # stream this many bytes instead of the body
    etag: bool = True  # send an ETag and answer If-None-Match with 304


class Loopback:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits[self.path] += 1
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                tag = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"'
                if route.etag and self.headers.get("If-None-Match") == tag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(route.status)
                for key, value in route.headers.items():
                    self.send_header(key, value)
                if route.etag:
                    self.send_header("ETag", tag)
                self.send_header("Content-Length", str(route.huge or len(route.body)))
                self.end_headers()
                try:
                    self._body(route)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _body(self, route: Route) -> None:
                if route.huge:
                    block = b"#" * 65536
                    for start in range(0, route.huge, len(block)):
                        self.wfile.write(block[: route.huge - start])
                elif route.trickle:
                    for i in range(len(route.body)):
                        self.wfile.write(route.body[i : i + 1])
                        self.wfile.flush()
                        time.sleep(route.trickle)
                else:
                    self.wfile.write(route.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> Loopback:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
