"""Index URLs through a real HTTP server on 127.0.0.1: the cache, revalidation, offline notes, limits, hostile input.

The valid body is the checkout's own community/strategies.yaml, read at test
time, so these tests follow the index format wherever it goes.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import REPO
from hostile import run
from loopback import Loopback, Route

from compact_memory.community import remote
from compact_memory.community.index import load_index
from compact_memory.community.remote import Fetched, fetch_index, index_urls, is_url
from compact_memory.diagnostics.findings import Finding

SHIPPED = (REPO / "community" / "strategies.yaml").read_bytes()
REVISED = SHIPPED + b"\n# revised upstream\n"  # still valid, with another ETag
PATH = "/index.yaml"


def schema_invalid() -> bytes:
    """The shipped index with each top-level list (the entries) replaced by a number."""
    doc = yaml.safe_load(SHIPPED)
    return yaml.safe_dump({key: 42 if isinstance(value, list) else value for key, value in doc.items()}).encode()


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[Loopback]:
    with Loopback() as loopback:
        loopback.routes[PATH] = SHIPPED
        yield loopback


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def cached(server: Loopback, cache: Path) -> Fetched:
    """A good copy of the server's index in ``cache``."""
    fetched = fetch_index(server.url + PATH, cache_dir=cache)
    assert fetched.note is None and fetched.path is not None and copy(fetched) == SHIPPED
    return fetched


def copy(fetched: Fetched) -> bytes:
    assert fetched.path is not None
    return fetched.path.read_bytes()


def sidecar(fetched: Fetched) -> dict[str, object]:
    assert fetched.path is not None
    meta: dict[str, object] = json.loads(fetched.path.with_suffix(".json").read_text(encoding="utf-8"))
    return meta


def age_by(fetched: Fetched, seconds: float) -> None:
    """Make the cached copy ``seconds`` older, as if time had passed."""
    assert fetched.path is not None
    meta = sidecar(fetched)
    meta["fetched_at"] = time.time() - seconds
    fetched.path.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")


def leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir() if p.name.startswith("."))


def test_the_first_fetch_is_cached_under_the_urls_hash(server: Loopback, cache: Path) -> None:
    url = server.url + PATH
    before = time.time()
    fetched = cached(server, cache)
    key = hashlib.sha256(url.encode()).hexdigest()
    assert fetched.path == cache / f"{key}.yaml" and fetched.url == url
    assert fetched.fetched_at is not None and before <= fetched.fetched_at <= time.time()
    meta = sidecar(fetched)
    assert meta["url"] == url and meta["fetched_at"] == fetched.fetched_at
    assert meta["etag"] and meta["last_modified"] and meta["sha256"] == hashlib.sha256(SHIPPED).hexdigest()
    assert load_index(fetched.path, display=url).passed
    assert sorted(p.name for p in cache.iterdir()) == [f"{key}.json", f"{key}.yaml"]


def test_a_copy_younger_than_max_age_is_used_without_a_request(server: Loopback, cache: Path) -> None:
    first = cached(server, cache)
    again = fetch_index(server.url + PATH, cache_dir=cache)
    assert again == first and server.hits[PATH] == 1
    server.close()
    assert fetch_index(server.url + PATH, cache_dir=cache) == first  # offline, and no note: it is fresh


def test_refresh_asks_again_and_a_304_keeps_the_copy(server: Loopback, cache: Path) -> None:
    first = cached(server, cache)
    again = fetch_index(server.url + PATH, cache_dir=cache, refresh=True)
    assert server.answers == [(PATH, 200), (PATH, 304)]  # the body was not sent again
    assert again.note is None and again.path == first.path and copy(again) == SHIPPED
    assert again.fetched_at is not None and first.fetched_at is not None and again.fetched_at >= first.fetched_at
    assert sidecar(again)["fetched_at"] == again.fetched_at


def test_an_expired_copy_is_revalidated_with_last_modified_alone(server: Loopback, cache: Path) -> None:
    server.routes[PATH] = Route(SHIPPED, etag=False, modified=time.time() - 86400)
    first = cached(server, cache)
    assert sidecar(first)["etag"] is None
    age_by(first, 3601)
    again = fetch_index(server.url + PATH, cache_dir=cache)
    assert again.note is None and server.answers == [(PATH, 200), (PATH, 304)]
    server.routes[PATH] = Route(REVISED, etag=False, modified=time.time())
    changed = fetch_index(server.url + PATH, cache_dir=cache, max_age=0)
    assert changed.path is not None and copy(changed) == REVISED and server.answers[-1] == (PATH, 200)


def test_a_new_etag_brings_a_new_copy(server: Loopback, cache: Path) -> None:
    first = cached(server, cache)
    before = sidecar(first)
    server.routes[PATH] = REVISED
    changed = fetch_index(server.url + PATH, cache_dir=cache, max_age=0)
    assert changed.note is None and changed.path == first.path and changed.path is not None
    assert copy(changed) == REVISED and server.answers == [(PATH, 200), (PATH, 200)]
    assert sidecar(changed)["etag"] != before["etag"] and sidecar(changed)["sha256"] != before["sha256"]
    assert fetch_index(server.url + PATH, cache_dir=cache, refresh=True).note is None
    assert server.answers[-1] == (PATH, 304)


@pytest.mark.parametrize(("seconds", "age"), [(30, "just now"), (61, "1 minute ago"), (3 * 3600 + 5, "3 hours ago"),
                                              (2 * 86400 + 5, "2 days ago")])
def test_a_server_that_is_down_leaves_the_cached_copy_and_says_how_old(server: Loopback, cache: Path, seconds: int,
                                                                      age: str) -> None:
    url = server.url + PATH
    first = cached(server, cache)
    age_by(first, seconds)
    server.close()
    fetched = fetch_index(url, cache_dir=cache, refresh=True)
    assert fetched.path == first.path and copy(fetched) == SHIPPED
    assert fetched.fetched_at is not None and abs(time.time() - seconds - fetched.fetched_at) < 5
    assert fetched.note == f"note: {url} could not be fetched (connection refused); using the copy cached {age}"


def test_no_cached_copy_and_no_server_gives_no_path(cache: Path) -> None:
    with Loopback() as closed:
        url = closed.url + PATH
    fetched = fetch_index(url, cache_dir=cache)
    assert fetched == Fetched(url, None, f"note: {url} could not be fetched (connection refused) and there is no "
                                         "cached copy; using the other indexes and the one shipped with compact-memory",
                              None)


def test_a_trickling_server_is_stopped_by_the_total_time_limit(server: Loopback, cache: Path) -> None:
    """Every piece comes well within the socket timeout; only a limit on the whole fetch ends it."""
    first = cached(server, cache)
    server.routes[PATH] = Route(REVISED, slow=0.2)  # the status line and headers alone take seconds
    start = time.monotonic()
    fetched = fetch_index(server.url + PATH, cache_dir=cache, refresh=True, timeout=1)
    assert time.monotonic() - start < 2.5
    assert fetched.note is not None and "could not be fetched (timed out after 1 s)" in fetched.note
    assert fetched.path == first.path and copy(fetched) == SHIPPED
    time.sleep(0.5)  # the abandoned request stops at its next read and writes nothing
    assert copy(fetched) == SHIPPED and leftovers(cache) == []


@pytest.mark.parametrize(("headers", "reason"), [
    ({}, "larger than 100,000 bytes (300,000 announced)"),
    ({"Content-Length": ""}, "larger than 100,000 bytes"),  # no length announced: stopped while reading
])
def test_a_body_over_the_size_limit_is_refused_and_the_cache_untouched(server: Loopback, cache: Path,
                                                                       headers: dict[str, str], reason: str) -> None:
    first = cached(server, cache)
    meta = sidecar(first)
    server.routes[PATH] = Route(REVISED, huge=300_000, headers=headers)
    fetched = fetch_index(server.url + PATH, cache_dir=cache, refresh=True, max_bytes=100_000)
    assert fetched.note is not None and f"could not be fetched ({reason})" in fetched.note, fetched.note
    assert fetched.path == first.path and copy(fetched) == SHIPPED and sidecar(fetched) == meta
    assert leftovers(cache) == []


@pytest.mark.parametrize("body", [b"strategies: [\n", b"- a list\n- not a mapping\n", schema_invalid()],
                         ids=["yaml", "not-a-mapping", "schema"])
def test_an_invalid_index_never_replaces_the_good_copy(server: Loopback, cache: Path, body: bytes) -> None:
    url = server.url + PATH
    first = cached(server, cache)
    meta = sidecar(first)
    problem = next(f for f in _findings(body, url) if f.severity == "error")
    server.routes[PATH] = body
    fetched = fetch_index(url, cache_dir=cache, refresh=True)
    assert fetched.path == first.path and copy(fetched) == SHIPPED and sidecar(fetched) == meta
    assert fetched.note is not None and fetched.note.startswith(f"note: {url} was fetched but is not a valid index (")
    assert f"{problem.code} {problem.message}".replace("\n", "\\n") in fetched.note
    assert fetched.note.endswith("); using the copy cached just now") and leftovers(cache) == []
    alone = fetch_index(url, cache_dir=cache.with_name("empty"))
    assert alone.path is None and alone.note is not None and "is not a valid index" in alone.note


def _findings(body: bytes, url: str) -> list[Finding]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "i.yaml"
        path.write_bytes(body)
        index = load_index(path, display=url)
    assert not index.passed
    return list(index.findings)


@pytest.mark.parametrize(("route", "reason"), [
    (Route(b"broken", status=500), "HTTP 500 Internal Server Error"),
    (Route(status=404), "HTTP 404 Not Found"),
    (Route(status=302, headers={"Location": "file:///etc/passwd"}), "redirected to a file: URL, which is not followed"),
    (Route(status=301, headers={"Location": "ftp://127.0.0.1/index.yaml"}), "redirected to a ftp: URL"),
    (Route(SHIPPED, status=206), "HTTP 206 Partial Content"),
])
def test_error_statuses_and_other_schemes_keep_the_cached_copy(server: Loopback, cache: Path, route: Route,
                                                               reason: str) -> None:
    first = cached(server, cache)
    server.routes[PATH] = route
    fetched = fetch_index(server.url + PATH, cache_dir=cache, max_age=0)
    assert fetched.path == first.path and fetched.path is not None and copy(fetched) == SHIPPED
    assert fetched.note is not None and f"could not be fetched ({reason}" in fetched.note, fetched.note
    assert fetched.note.endswith("; using the copy cached just now")


def test_a_304_to_a_request_that_was_not_conditional_is_an_error(server: Loopback, cache: Path) -> None:
    server.routes[PATH] = Route(status=304)
    fetched = fetch_index(server.url + PATH, cache_dir=cache)
    assert fetched.path is None and fetched.note is not None
    assert fetched.note.startswith(f"note: {server.url + PATH} could not be fetched (HTTP 304")


def test_a_body_cut_short_is_not_cached(server: Loopback, cache: Path) -> None:
    server.routes[PATH] = Route(SHIPPED, headers={"Content-Length": str(len(SHIPPED) + 1000)})
    fetched = fetch_index(server.url + PATH, cache_dir=cache)
    assert fetched.path is None and fetched.note is not None
    assert f"could not be fetched (the connection closed after {len(SHIPPED):,} of {len(SHIPPED) + 1000:,} bytes)" \
        in fetched.note


def test_a_url_with_a_password_is_refused_without_showing_it(server: Loopback, cache: Path) -> None:
    url = server.url.replace("//", "//me:s3cret@") + PATH
    fetched = fetch_index(url, cache_dir=cache)
    assert fetched.path is None and fetched.note is not None and "s3cret" not in fetched.note
    assert fetched.note.startswith(f"note: {server.url.replace('//', '//me:***@')}{PATH} could not be fetched "
                                   "(a user name or password in an index URL is not supported)")
    assert server.hits == {}


def test_a_redirect_within_http_is_followed_without_reading_its_body(server: Loopback, cache: Path) -> None:
    server.routes["/moved.yaml"] = Route(b"x" * 10_000, status=302, headers={"Location": PATH}, slow=0.5,
                                         slow_head=False)
    start = time.monotonic()
    fetched = fetch_index(server.url + "/moved.yaml", cache_dir=cache, timeout=3)
    assert fetched.note is None and fetched.path is not None and copy(fetched) == SHIPPED
    assert time.monotonic() - start < 5 and server.answers == [("/moved.yaml", 302), (PATH, 200)]


def test_a_redirect_from_https_to_http_is_refused() -> None:
    with pytest.raises(remote._Failed, match="from https to http"):
        remote._check_redirect("https://example.org/i.yaml", "http://example.org/i.yaml")
    remote._check_redirect("http://example.org/i.yaml", "https://example.org/i.yaml")


def test_only_http_and_https_urls_are_fetched(cache: Path) -> None:
    assert is_url("http://h/i.yaml") and is_url("https://h/i.yaml")
    assert not any(is_url(u) for u in ("file:///etc/passwd", "ftp://h/i", "community/strategies.yaml", "HTTP:x"))
    fetched = fetch_index("file:///etc/passwd", cache_dir=cache)
    assert fetched.path is None and fetched.note is not None
    assert fetched.note.startswith("note: file:///etc/passwd could not be fetched (not an http:// or https:// URL)")


def test_urls_come_from_the_environment_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"COMPACT_MEMORY_INDEX_URL": " https://a.example/i.yaml\n\thttps://b.example/i.yaml  https://c/i.yaml "}
    assert index_urls(env) == ["https://a.example/i.yaml", "https://b.example/i.yaml", "https://c/i.yaml"]
    assert index_urls({}) == [] and index_urls({"COMPACT_MEMORY_INDEX_URL": "  \n"}) == []
    monkeypatch.setenv("COMPACT_MEMORY_INDEX_URL", "https://z/i.yaml https://y/i.yaml")
    assert index_urls() == ["https://z/i.yaml", "https://y/i.yaml"]
    monkeypatch.delenv("COMPACT_MEMORY_INDEX_URL")
    assert index_urls() == []


@pytest.mark.parametrize("hostile", ["/\x1b[2J\x1b]0;owned\x07.yaml", "/\u202eLMAY.yaml"])
def test_a_hostile_url_is_shown_escaped(server: Loopback, cache: Path, hostile: str) -> None:
    fetched = fetch_index(server.url + hostile, cache_dir=cache)
    assert fetched.path is None and fetched.note is not None
    assert not any(ch in fetched.note for ch in "\x1b\x07\u202e"), fetched.note
    assert ("\\x1b[2J" if "\x1b" in hostile else "\\u202e") in fetched.note
    assert server.hits == {}  # refused before anything was sent


def test_a_broken_or_future_sidecar_does_not_pass_for_a_fresh_copy(server: Loopback, cache: Path) -> None:
    first = cached(server, cache)
    assert first.path is not None
    age_by(first, -86400)  # a clock that went back, or a planted sidecar: not "fresh for a day"
    assert fetch_index(server.url + PATH, cache_dir=cache).note is None and server.answers[-1] == (PATH, 304)
    first.path.with_suffix(".json").write_text("{not json", encoding="utf-8")
    again = fetch_index(server.url + PATH, cache_dir=cache)
    assert again.note is None and server.answers[-1] == (PATH, 200) and sidecar(again)["url"] == server.url + PATH


def test_the_default_cache_is_the_user_cache_directory(server: Loopback, hermetic_env: Path) -> None:
    fetched = fetch_index(server.url + PATH)
    assert fetched.path is not None and fetched.path.parent == remote.default_cache_dir()
    assert fetched.path.is_relative_to(hermetic_env) and fetched.path.parent.name == "indexes"


def test_concurrent_fetches_never_show_a_half_written_cache(server: Loopback, cache: Path) -> None:
    url = server.url + PATH
    path = cached(server, cache).path
    assert path is not None
    stop = threading.Event()
    seen: set[bytes] = set()

    def read_while_written() -> None:
        while not stop.is_set():
            seen.add(path.read_bytes())

    def fetch(i: int) -> None:
        server.routes[PATH] = REVISED if i % 2 else SHIPPED
        results[i] = fetch_index(url, cache_dir=cache, refresh=True)

    results: list[Fetched | None] = [None] * 12
    reader = threading.Thread(target=read_while_written)
    reader.start()
    writers = [threading.Thread(target=fetch, args=(i,)) for i in range(len(results))]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    reader.join()
    assert seen <= {SHIPPED, REVISED}
    for result in results:
        assert result is not None and result.note is None and result.path == path
    assert path.read_bytes() in (SHIPPED, REVISED) and load_index(path, display=url).passed
    assert leftovers(cache) == []


def test_search_reads_an_index_url_and_notes_the_cached_copy_offline(server: Loopback) -> None:
    url = server.url + PATH
    env = {"COMPACT_MEMORY_INDEX_URL": url}
    online = run("dev", "search", "--json", env=env)
    assert online.returncode == 0 and url in online.stdout and server.hits[PATH] == 1
    server.close()
    offline = run("dev", "search", "--refresh", env=env)
    notes = [line for line in offline.stderr.splitlines() if line.startswith("note: ")]
    assert offline.returncode == 0 and notes == [
        f"note: {url} could not be fetched (connection refused); using the copy cached just now"]


@pytest.mark.skipif(not hasattr(__import__("os"), "getuid"), reason="POSIX owners and modes")
def test_a_cached_copy_others_may_write_is_not_used(server: Loopback, cache: Path) -> None:
    first = cached(server, cache)
    assert first.path is not None
    first.path.chmod(0o666)
    server.close()
    offline = fetch_index(server.url + PATH, cache_dir=cache)
    assert offline.path is None and offline.note is not None  # as if there were no copy: nothing to trust
