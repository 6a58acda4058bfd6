"""Index URLs through a real HTTP server on 127.0.0.1: cache, revalidation, offline notes, limits, and the CLI."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO
from hostile import run
from loopback import Loopback, Route

from compact_memory.community.remote import fetch_index, index_urls

SHIPPED = (REPO / "community" / "strategies.yaml").read_bytes()
TEAM = b"""\
index_format_version: "2.0"
strategies:
  - id: team_glossary
    display_name: "Team glossary"
    description: "Keeps sentences that define our internal terms."
    authors: ["Platform team"]
    version: "1.0"
    install:
      pip: {requirement: "team-glossary-strategy==1.0"}
"""


@pytest.fixture
def server() -> Iterator[Loopback]:
    with Loopback() as loopback:
        loopback.routes["/index.yaml"] = Route(TEAM)
        yield loopback


def test_a_fresh_copy_is_cached_and_reused_without_a_request(server: Loopback, tmp_path: Path) -> None:
    url = f"{server.url}/index.yaml"
    first = fetch_index(url, cache=tmp_path)
    assert first.note is None and first.path is not None and first.path.read_bytes() == TEAM
    again = fetch_index(url, cache=tmp_path)
    assert again.path == first.path and server.hits["/index.yaml"] == 1


def test_refresh_revalidates_with_the_etag(server: Loopback, tmp_path: Path) -> None:
    url = f"{server.url}/index.yaml"
    fetch_index(url, cache=tmp_path)
    unchanged = fetch_index(url, cache=tmp_path, refresh=True)
    assert unchanged.note is None and server.hits["/index.yaml"] == 2  # answered 304, the body kept
    server.routes["/index.yaml"] = Route(TEAM.replace(b'version: "1.0"', b'version: "1.1"').replace(b"==1.0", b"==1.1"))
    changed = fetch_index(url, cache=tmp_path, max_age=0)
    assert changed.path is not None and b'version: "1.1"' in changed.path.read_bytes()


@pytest.mark.parametrize(("route", "reason"), [
    (Route(status=500), "HTTP 500"),
    (Route(b"x" * 10, huge=200_000), "larger than 100,000 bytes"),
    (Route(TEAM + b"# served slowly\n", slow=0.05), "timed out after 1 s"),
    (Route(b"index_format_version: [\n"), "the fetched index is invalid: line 2: CM104"),
    (Route(status=302, headers={"Location": "file:///etc/passwd"}), "redirected to a file: URL"),
])
def test_a_failed_fetch_keeps_the_cached_copy_with_a_note(server: Loopback, tmp_path: Path, route: Route,
                                                          reason: str) -> None:
    url = f"{server.url}/index.yaml"
    good = fetch_index(url, cache=tmp_path)
    assert good.path is not None
    server.routes["/index.yaml"] = route
    fallback = fetch_index(url, cache=tmp_path, refresh=True, max_bytes=100_000, timeout=1)
    assert fallback.path == good.path and fallback.path.read_bytes() == TEAM
    assert fallback.note is not None and reason in fallback.note, fallback.note
    assert fallback.note.endswith("using the copy cached just now")


def test_no_copy_at_all_says_so(tmp_path: Path) -> None:
    with Loopback() as closed:
        url = f"{closed.url}/index.yaml"
    fetched = fetch_index(url, cache=tmp_path)
    assert fetched.path is None and fetched.note is not None
    assert "could not be fetched (Connection refused) and there is no cached copy" in fetched.note


def test_the_cache_is_never_half_written(server: Loopback, tmp_path: Path) -> None:
    url = f"{server.url}/index.yaml"
    results = []
    threads = [threading.Thread(target=lambda: results.append(fetch_index(url, cache=tmp_path, refresh=True)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r.note is None and r.path is not None and r.path.read_bytes() == TEAM for r in results)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_urls_from_the_environment_keep_their_order() -> None:
    env = {"COMPACT_MEMORY_INDEX_URL": " https://a.example/i.yaml\nhttps://b.example/i.yaml  "}
    assert index_urls(env) == ["https://a.example/i.yaml", "https://b.example/i.yaml"]
    assert index_urls({}) == []


def test_search_and_install_through_urls(server: Loopback, tmp_path: Path) -> None:
    """An --index URL wins over COMPACT_MEMORY_INDEX_URL, which wins over the shipped index; offline, notes."""
    server.routes["/override.yaml"] = Route(SHIPPED.replace(b'version: "0.1.0"', b'version: "0.3.0"'))
    env = {"COMPACT_MEMORY_INDEX_URL": f"{server.url}/index.yaml {server.url}/override.yaml"}
    doc = json.loads(run("dev", "search", "--json", env=env).stdout)
    assert [i["name"] for i in doc["indexes"][:2]] == [f"{server.url}/index.yaml", f"{server.url}/override.yaml"]
    assert [i["shipped"] for i in doc["indexes"]] == [False, False, True]
    versions = {r["id"]: (r["version"], r["index"]) for r in doc["results"]}
    assert versions == {"team_glossary": ("1.0", f"{server.url}/index.yaml"),
                        "section_digest": ("0.3.0", f"{server.url}/override.yaml")}
    server.routes["/mine.yaml"] = Route(SHIPPED.replace(b'version: "0.1.0"', b'version: "0.4.0"'))
    doc = json.loads(run("dev", "search", "--json", "--index", f"{server.url}/mine.yaml", env=env).stdout)
    assert {r["id"]: r["version"] for r in doc["results"]}["section_digest"] == "0.4.0"
    server.close()
    offline = run("dev", "search", "digest", env=env)
    assert offline.returncode == 0 and "0.3.0" in offline.stdout  # the cached copies, within the hour
    refreshed = run("dev", "search", "digest", "--refresh", env=env)
    notes = [line for line in refreshed.stderr.splitlines() if line.startswith("note: ")]
    assert len(notes) == 2 and all("could not be fetched" in n and "using the copy cached" in n for n in notes)
    missing = run("dev", "install-strategy-package", "no_such_thing", "--dry-run", env=env)
    assert missing.returncode == 1 and "no strategy 'no_such_thing' in the 3 indexes in effect" in missing.stderr


def test_a_hostile_url_is_shown_escaped(tmp_path: Path) -> None:
    fetched = fetch_index("http://127.0.0.1:9/\x1b[2Jx.yaml", cache=tmp_path, timeout=2)
    assert fetched.note is not None and "\x1b" not in fetched.note and "\\x1b[2J" in fetched.note
