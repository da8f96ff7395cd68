"""The response cache: same bytes as the uncached app, never errors, bounded, outside every layer."""

import threading
from collections.abc import Awaitable, Callable, Iterator

import anyio
import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from api.lru import BoundedLRU
from api.main import create_app
from api.middleware.response_cache import ENTRY_OVERHEAD, FILL_WAIT_SECONDS, ResponseCacheMiddleware, cache_key
from api.settings import Settings

# Every kind of resource, filters, sorting, search, pages and each representation.
URLS = [
    "/v1/studies",
    "/v1/studies?limit=5&offset=5",
    "/v1/studies?q=cd7&sort=relevance",
    "/v1/studies?target_antigen=CD7&sort=-n_enrolled",
    "/v1/studies/facets?disease=T-ALL",
    "/v1/studies/ns7car-t",
    "/v1/studies/batch?id=ns7car-t&id=jplsg-t11",
    "/v1/outcomes?measure=cr&target_antigen=CD7&subgroup=any",
    "/v1/outcomes/jplsg-t11.os-3y",
    "/v1/adverse-events?min_grade=3",
    "/v1/conflicts",
    "/v1/sources",
    "/v1/epidemiology",
    "/v1/comparison?measure=cr",
    "/v1/comparison?measure=os&subgroup=any",
    "/openapi.json",
    "/embed/studies/ns7car-t",
    "/embed/table?target_antigen=CD7",
    "/docs",
    "/static/embed.css",
]
REPRESENTATIONS = [
    ("", {}),
    ("", {"origin": "https://lab.example"}),
    ("format=csv", {}),
    ("format=ndjson", {}),
    ("", {"accept": "text/csv"}),
    ("", {"accept": "application/x-ndjson"}),
]


def _with_query(url: str, extra: str) -> str:
    if not extra:
        return url
    return f"{url}{'&' if '?' in url else '?'}{extra}"


def _exact(response) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    return response.status_code, list(response.headers.raw), response.content


@pytest.fixture(scope="module")
def uncached() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(response_cache_enabled=False))) as client:
        yield client


@pytest.fixture(scope="module")
def cached() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as client:
        yield client


def _cache(client: TestClient) -> ResponseCacheMiddleware:
    cache = client.app.state.response_cache  # type: ignore[attr-defined]
    assert isinstance(cache, ResponseCacheMiddleware)
    return cache


@pytest.mark.parametrize(("extra", "headers"), REPRESENTATIONS)
@pytest.mark.parametrize("url", URLS)
def test_cached_responses_are_byte_identical_to_the_uncached_app(
    cached: TestClient, uncached: TestClient, url: str, extra: str, headers: dict[str, str]
) -> None:
    target = _with_query(url, extra)
    expected = _exact(uncached.get(target, headers=headers))
    cache = _cache(cached)
    first = _exact(cached.get(target, headers=headers))
    hits = cache.hits
    second = _exact(cached.get(target, headers=headers))
    assert first == expected
    assert second == expected
    # Routes without a `format` parameter refuse it (422), and errors are never kept.
    assert cache.hits == (hits + 1 if expected[0] == 200 else hits)


@pytest.mark.parametrize("url", ["/v1/meta", "/v1/dataset", "/v1/dataset?format=csv", "/docs"])
def test_process_stamped_responses_are_served_again_unchanged(cached: TestClient, url: str) -> None:
    # These carry the load time (or a ZIP's timestamps), so compare within one app.
    assert _exact(cached.get(url)) == _exact(cached.get(url))


def test_representations_are_kept_apart(cached: TestClient) -> None:
    json_body = cached.get("/v1/outcomes").content
    csv_body = cached.get("/v1/outcomes", headers={"accept": "text/csv"}).content
    ndjson_body = cached.get("/v1/outcomes", headers={"accept": "application/x-ndjson"}).content
    assert cached.get("/v1/outcomes").content == json_body
    assert len({json_body, csv_body, ndjson_body}) == 3
    assert csv_body.startswith(b"source_id,locator,inferred,printed,")


def test_host_is_part_of_the_key_because_page_links_are_absolute(cached: TestClient) -> None:
    one = cached.get("/v1/studies?limit=2", headers={"host": "one.example"}).json()
    two = cached.get("/v1/studies?limit=2", headers={"host": "two.example"}).json()
    assert one["links"]["next"].startswith("http://one.example/")
    assert two["links"]["next"].startswith("http://two.example/")


@pytest.mark.parametrize(
    "url", ["/v1/studies/no-such-study", "/v1/outcomes?measure=nonsense", "/v1/no-such-path", "/v1/studies?limit=0"]
)
def test_error_responses_are_never_kept(url: str) -> None:
    with TestClient(create_app(Settings())) as client:
        cache = _cache(client)
        statuses = {client.get(url).status_code for _ in range(3)}
        assert statuses <= {404, 422}
        assert (len(cache.store), cache.hits, cache.misses) == (0, 0, 3)


def test_health_is_always_answered_afresh(cached: TestClient) -> None:
    cache = _cache(cached)
    before = (len(cache.store), cache.hits, cache.misses)
    assert cached.get("/health").status_code == cached.get("/health").status_code == 200
    assert (len(cache.store), cache.hits, cache.misses) == before


def test_skip_paths_hold_behind_a_root_path() -> None:
    """Behind `uvicorn --root-path /api`, scope["path"] carries the prefix; /health is still skipped."""
    calls = 0

    async def counting_app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal calls
        calls += 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok", "more_body": False})

    cache = ResponseCacheMiddleware(
        counting_app, max_entries=10, max_bytes=10_000, max_entry_bytes=1_000, skip_paths=frozenset({"/health"})
    )

    async def send(message: Message) -> None:
        pass

    async def main() -> None:
        for path in ("/api/health", "/api/health", "/api/x", "/api/x"):
            await cache({**_scope(path), "root_path": "/api"}, _noop_receive, send)

    _run(main)
    assert calls == 3  # /health twice, /x once
    assert len(cache.store) == 1


@pytest.mark.parametrize("url", ["/v1/studies", "/v1/outcomes?format=csv", "/embed/table", "/static/embed.css"])
def test_head_answers_match_the_uncached_app(cached: TestClient, uncached: TestClient, url: str) -> None:
    expected = _exact(uncached.head(url, headers={"origin": "https://lab.example"}))
    assert expected[0] == 200 and expected[2] == b""
    for _ in range(2):
        assert _exact(cached.head(url, headers={"origin": "https://lab.example"})) == expected


def test_entry_count_bound_evicts_least_recently_used() -> None:
    with TestClient(create_app(Settings(response_cache_max_entries=3))) as client:
        cache = _cache(client)
        for url in URLS[:3]:
            client.get(url)
        client.get(URLS[0])  # now the most recently used
        client.get(URLS[3])  # evicts URLS[1]
        assert len(cache.store) == 3
        assert cache.store.evictions == 1
        hits = cache.hits
        client.get(URLS[0])
        assert cache.hits == hits + 1
        client.get(URLS[1])
        assert cache.hits == hits + 1  # it had been evicted


def test_byte_bound_holds_and_oversized_responses_pass_through_whole() -> None:
    limit = 60_000
    settings = Settings(response_cache_max_bytes=limit, response_cache_max_entry_bytes=30_000)
    with TestClient(create_app(settings)) as client, TestClient(create_app(Settings())) as reference:
        cache = _cache(client)
        for url in URLS:
            client.get(url)
            assert cache.store.total_bytes <= limit
        assert 0 < len(cache.store) < len(URLS)
        assert cache.store.evictions > 0
        big = client.get("/v1/studies")  # about 40 kB: over the per-entry limit
        assert big.content == reference.get("/v1/studies").content
        assert len(big.content) > 30_000


def test_streamed_ndjson_is_captured_whole(cached: TestClient) -> None:
    first = cached.get("/v1/outcomes?format=ndjson")
    second = cached.get("/v1/outcomes?format=ndjson")
    lines = second.content.splitlines()
    assert first.content == second.content
    assert len(lines) == cached.get("/v1/outcomes").json()["total"]


def test_each_origin_gets_its_own_cors_answer_from_the_cache() -> None:
    """The cache wraps every layer, so what CORS says per origin must be in the key."""
    app = create_app(Settings(cors_origins=["https://a.example", "https://b.example"]))
    with TestClient(app) as client:
        for _ in range(2):
            plain = client.get("/v1/sources")
            from_a = client.get("/v1/sources", headers={"origin": "https://a.example"})
            from_b = client.get("/v1/sources", headers={"origin": "https://b.example"})
            from_c = client.get("/v1/sources", headers={"origin": "https://c.example"})
            assert "access-control-allow-origin" not in plain.headers
            assert from_a.headers["access-control-allow-origin"] == "https://a.example"
            assert from_b.headers["access-control-allow-origin"] == "https://b.example"
            assert "access-control-allow-origin" not in from_c.headers
            assert plain.content == from_a.content == from_b.content == from_c.content
        assert _cache(client).hits == 4  # the second round, one per origin (and none)


def test_conditional_and_head_requests_match_the_uncached_app(cached: TestClient, uncached: TestClient) -> None:
    etag = uncached.get("/v1/studies/ns7car-t").headers["etag"]
    cache = _cache(cached)
    for headers in ({"if-none-match": etag}, {"if-none-match": '"other"'}):
        expected = _exact(uncached.get("/v1/studies/ns7car-t", headers=headers))
        assert _exact(cached.get("/v1/studies/ns7car-t", headers=headers)) == expected
        hits = cache.hits
        assert _exact(cached.get("/v1/studies/ns7car-t", headers=headers)) == expected
        assert cache.hits == hits + 1
    assert expected[0] == 200 and _exact(cached.get("/v1/studies/ns7car-t", headers={"if-none-match": etag}))[0] == 304
    head = _exact(uncached.head("/v1/studies/ns7car-t"))
    assert head[2] == b"" and _exact(cached.head("/v1/studies/ns7car-t")) == head
    hits = cache.hits
    assert _exact(cached.head("/v1/studies/ns7car-t")) == head
    assert cache.hits == hits + 1


@pytest.mark.parametrize("headers", [{"range": "bytes=0-9"}, {"if-modified-since": "Sun, 01 Nov 2026 00:00:00 GMT"}])
def test_requests_the_key_cannot_hold_are_answered_afresh(
    cached: TestClient, uncached: TestClient, headers: dict[str, str]
) -> None:
    url = "/static/embed.css"
    cache = _cache(cached)
    before = (len(cache.store), cache.hits, cache.misses)
    for _ in range(2):
        assert _exact(cached.get(url, headers=headers))[:2] == _exact(uncached.get(url, headers=headers))[:2]
    assert (len(cache.store), cache.hits, cache.misses) == before


def _run(main: Callable[[], Awaitable[None]]) -> None:
    """anyio.run in a thread of its own: the browser tests' Playwright keeps a loop in the main thread."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            anyio.run(main)
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def _scope(path: str = "/x") -> Scope:
    return {"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": [(b"host", b"t")]}


async def _noop_receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def test_concurrent_misses_compute_the_response_once() -> None:
    calls = 0
    release = anyio.Event()

    async def slow_app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal calls
        calls += 1
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"same", "more_body": False})

    cache = ResponseCacheMiddleware(slow_app, max_entries=10, max_bytes=10_000, max_entry_bytes=1_000)
    bodies: list[bytes] = []

    async def request() -> None:
        async def send(message: Message) -> None:
            if message["type"] == "http.response.body":
                bodies.append(message["body"])

        await cache(_scope(), _noop_receive, send)

    async def main() -> None:
        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(request)
            await anyio.wait_all_tasks_blocked()
            release.set()

    _run(main)
    assert calls == 1
    assert bodies == [b"same"] * 5


def test_a_response_cut_short_by_an_error_is_not_kept() -> None:
    async def failing_stream(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise RuntimeError("broken mid-stream")

    cache = ResponseCacheMiddleware(failing_stream, max_entries=10, max_bytes=10_000, max_entry_bytes=1_000)

    async def send(message: Message) -> None:
        pass

    async def main() -> None:
        with pytest.raises(RuntimeError):
            await cache(_scope(), _noop_receive, send)

    _run(main)
    assert len(cache.store) == 0


def test_lru_bounds_and_recency() -> None:
    lru: BoundedLRU[str, str] = BoundedLRU(max_entries=2, max_bytes=100)
    assert lru.put("a", "A", 40) and lru.put("b", "B", 40)
    assert lru.get("a") == "A"
    assert lru.put("c", "C", 40)  # over both bounds: evicts b, the least recently used
    assert "b" not in lru and "a" in lru and "c" in lru
    assert lru.total_bytes == 80
    assert not lru.put("huge", "H", 101)  # alone over the byte bound: refused, nothing evicted
    assert len(lru) == 2
    assert lru.put("a", "A2", 10)  # replacing an entry updates its size
    assert lru.total_bytes == 50 and lru.get("a") == "A2"


def _kept_bytes(path: str, *, body: bytes, header: bytes, query: bytes = b"") -> int:
    """The bytes the cache counts for the one response to a GET of path."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-h", header)]})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    cache = ResponseCacheMiddleware(app, max_entries=10, max_bytes=10**6, max_entry_bytes=10**6)

    async def send(message: Message) -> None:
        pass

    async def main() -> None:
        await cache({**_scope(path), "query_string": query}, _noop_receive, send)

    _run(main)
    assert len(cache.store) == 1
    return cache.store.total_bytes


def test_each_entry_counts_its_body_headers_and_key() -> None:
    """The byte bound holds for what an entry really holds, and many tiny ones cannot slip past it."""
    base = _kept_bytes("/a", body=b"x" * 100, header=b"v")
    assert _kept_bytes("/a", body=b"x" * 150, header=b"v") == base + 50
    assert _kept_bytes("/a", body=b"x" * 100, header=b"v" * 8) == base + 7
    assert _kept_bytes("/abcdef", body=b"x" * 100, header=b"v") == base + 5
    assert _kept_bytes("/a", body=b"x" * 100, header=b"v", query=b"q=1") == base + 3
    empty = _kept_bytes("/a", body=b"", header=b"")
    assert empty == base - 101 >= ENTRY_OVERHEAD + len("/a") + len(b"x-h")


def _kept_count(status: int, headers: list[tuple[bytes, bytes]], *, request_headers: list[tuple[bytes, bytes]]) -> int:
    """How many of two identical requests' responses the cache kept (and so how often the app answered)."""
    calls = 0

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal calls
        calls += 1
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"body", "more_body": False})

    cache = ResponseCacheMiddleware(app, max_entries=10, max_bytes=10**6, max_entry_bytes=10**6)

    async def send(message: Message) -> None:
        pass

    async def main() -> None:
        for _ in range(2):
            await cache({**_scope(), "headers": [(b"host", b"t"), *request_headers]}, _noop_receive, send)

    _run(main)
    assert calls == 2 - len(cache.store)
    return len(cache.store)


@pytest.mark.parametrize(
    "headers",
    [
        [(b"set-cookie", b"a=1")],
        [(b"Set-Cookie", b"a=1")],
        [(b"cache-control", b"no-store")],
        [(b"Cache-Control", b"private, max-age=60")],
        [(b"vary", b"Accept, Cookie")],
        [(b"Vary", b"user-agent")],
    ],
)
def test_responses_that_forbid_sharing_or_vary_on_other_headers_are_not_kept(
    headers: list[tuple[bytes, bytes]],
) -> None:
    assert _kept_count(200, headers, request_headers=[]) == 0


def test_responses_that_may_be_shared_are_kept() -> None:
    assert (
        _kept_count(200, [(b"vary", b"Accept, Origin"), (b"Cache-Control", b"public, max-age=60")], request_headers=[])
        == 1
    )
    # A 304 only for the If-None-Match it answered (which is in the key).
    assert _kept_count(304, [], request_headers=[(b"if-none-match", b'"a"')]) == 1
    assert _kept_count(304, [], request_headers=[]) == 0


@pytest.mark.parametrize("status", [201, 206, 404, 500])
def test_other_statuses_are_not_kept_even_for_a_conditional_request(status: int) -> None:
    assert _kept_count(status, [], request_headers=[(b"if-none-match", b'"a"')]) == 0
    assert _kept_count(status, [], request_headers=[]) == 0


def _twice(messages: list[Message], *, max_entry_bytes: int = 10**6) -> tuple[int, list[Message]]:
    """Two identical GETs through the cache to an app sending messages: how often it ran, what the second got."""
    calls = 0

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal calls
        calls += 1
        for message in messages:
            await send(dict(message))

    cache = ResponseCacheMiddleware(app, max_entries=10, max_bytes=10**7, max_entry_bytes=max_entry_bytes)
    second: list[Message] = []

    async def main() -> None:
        for sink in ([], second):

            async def send(message: Message, sink: list[Message] = sink) -> None:
                sink.append(message)

            await cache(_scope(), _noop_receive, send)

    _run(main)
    return calls, second


def _body(sent: list[Message]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def test_messages_without_their_optional_keys_are_kept_and_replayed_the_same() -> None:
    """ASGI lets a start omit its headers and a body message its body (and more_body)."""
    messages = [
        {"type": "http.response.start", "status": 200},
        {"type": "http.response.body", "body": b"part", "more_body": True},
        {"type": "http.response.body", "more_body": True},
        {"type": "http.response.body"},
    ]
    calls, second = _twice(messages)
    assert calls == 1 and second[0]["status"] == 200 and second[0]["headers"] == []
    assert _body(second) == b"part"


@pytest.mark.parametrize(
    ("chunks", "kept"),
    [([b"x" * 1000], True), ([b"x" * 500, b"x" * 500], True), ([b"x" * 1001], False), ([b"x" * 400] * 3, False)],
)
def test_the_per_entry_limit_counts_every_chunk_and_is_inclusive(chunks: list[bytes], kept: bool) -> None:
    messages: list[Message] = [{"type": "http.response.start", "status": 200, "headers": []}]
    messages += [
        {"type": "http.response.body", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    calls, second = _twice(messages, max_entry_bytes=1000)
    assert calls == (1 if kept else 2)
    assert _body(second) == b"".join(chunks)  # served whole either way


def test_the_host_is_keyed_wherever_its_line_comes() -> None:
    """Page links are absolute: two hosts never share an entry, whichever header a client sends first."""
    scopes = [
        {**_scope(), "headers": [(b"accept", b"*/*"), (b"host", b"a.example")]},
        {**_scope(), "headers": [(b"accept", b"*/*"), (b"host", b"b.example")]},
        {**_scope(), "headers": [(b"host", b"a.example"), (b"accept", b"*/*")]},
    ]
    keys = [cache_key(scope) for scope in scopes]
    assert keys[0] != keys[1] and keys[0] == keys[2]


def test_the_key_holds_what_the_links_and_answer_depend_on() -> None:
    """Scheme, host (else the server's address, never confused with a Host line), root path and query."""
    base = {**_scope(), "scheme": "http", "root_path": "", "server": ("10.0.0.1", 80)}
    variants = [
        base,
        {**base, "scheme": "https"},
        {**base, "root_path": "/api", "path": "/api/x"},
        {**base, "query_string": b"a=1"},
        {**base, "headers": []},  # no Host: the server's address
        {**base, "headers": [], "server": ("10.0.0.2", 80)},
        {**base, "headers": [(b"host", b"10.0.0.1:80")]},  # a Host line naming that address is another key
        {**base, "headers": [], "server": None},
        {**base, "headers": [(b"host", b"t"), (b"if-none-match", b'"a"')]},
        {**base, "headers": [(b"host", b"t"), (b"if-none-match", b'"b"')]},
    ]
    keys = [cache_key(scope) for scope in variants]
    assert len(set(keys)) == len(keys)
    # Other headers never stand in for a missing Host; two Host lines are refused, never keyed.
    assert cache_key({**base, "headers": [(b"host", b"a.example"), (b"host", b"b.example")]}) is None
    assert cache_key({**base, "headers": [(b"accept", b"*/*")]}) == cache_key({**base, "headers": []})
    # What ASGI leaves out reads as its documented default: the same key as when given.
    bare = {"type": "http", "method": "GET", "path": "/x", "headers": [(b"host", b"t")]}
    assert cache_key(bare) == cache_key({**bare, "scheme": "http", "root_path": "", "query_string": b""})


def test_a_replayed_answer_is_one_start_and_one_final_body() -> None:
    messages = [
        {"type": "http.response.start", "status": 200, "headers": [(b"x-h", b"v")]},
        {"type": "http.response.body", "body": b"a", "more_body": True},
        {"type": "http.response.body", "body": b"b", "more_body": False},
    ]
    calls, second = _twice(messages)
    assert calls == 1
    assert second == [
        {"type": "http.response.start", "status": 200, "headers": [(b"x-h", b"v")]},
        {"type": "http.response.body", "body": b"ab", "more_body": False},
    ]


def test_every_if_none_match_line_is_keyed() -> None:
    """A 304 earned by a tag on a later line must not be replayed to a request that sends only the first."""
    with TestClient(create_app(Settings())) as client:
        etag = client.get("/v1/meta").headers["etag"]
        both = client.get("/v1/meta", headers=[("If-None-Match", '"old"'), ("If-None-Match", etag)])
        assert both.status_code == 304
        only_old = client.get("/v1/meta", headers={"If-None-Match": '"old"'})
        assert only_old.status_code == 200 and only_old.json()["dataset_version"]
    # The same lines in one header are the same list, and the same key.
    one_line = {**_scope(), "headers": [(b"host", b"t"), (b"if-none-match", b'"a", "b"')]}
    two_lines = {**_scope(), "headers": [(b"host", b"t"), (b"if-none-match", b'"a"'), (b"if-none-match", b'"b"')]}
    assert cache_key(one_line) == cache_key(two_lines) != cache_key({**_scope(), "headers": [(b"host", b"t")]})


def test_waiters_answer_afresh_when_the_response_they_waited_for_was_not_kept() -> None:
    """The first of concurrent misses ends in an error (never kept): the others each ask the app themselves."""
    statuses = [503, 200, 200]
    release = anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        status = statuses.pop(0)
        if status == 503:
            await release.wait()
        request = await receive()  # each answer reads its own request
        body = f"{status} {scope['path']} {request['type']}".encode()
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    cache = ResponseCacheMiddleware(app, max_entries=10, max_bytes=10_000, max_entry_bytes=1_000)
    bodies: list[bytes] = []

    async def request() -> None:
        async def send(message: Message) -> None:
            if message["type"] == "http.response.body":
                bodies.append(message["body"])

        await cache(_scope(), _noop_receive, send)

    async def main() -> None:
        async with anyio.create_task_group() as group:
            for _ in range(3):
                group.start_soon(request)
            await anyio.wait_all_tasks_blocked()
            release.set()

    _run(main)
    assert sorted(bodies) == [b"200 /x http.request"] * 2 + [b"503 /x http.request"] and statuses == []


def test_a_miss_waits_only_briefly_for_a_slow_identical_one() -> None:
    """A filler paced by a slow client must not hold up everyone else: after FILL_WAIT_SECONDS the others
    answer by themselves."""
    release = anyio.Event()
    calls = 0

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            await release.wait()  # the first answer is held up until the second has been given
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok", "more_body": False})

    cache = ResponseCacheMiddleware(app, max_entries=10, max_bytes=10_000, max_entry_bytes=1_000)
    answered: list[bytes] = []

    async def request() -> None:
        async def send(message: Message) -> None:
            if message["type"] == "http.response.body":
                answered.append(message["body"])

        await cache(_scope(), _noop_receive, send)

    async def main() -> None:
        with anyio.fail_after(10 * FILL_WAIT_SECONDS):
            async with anyio.create_task_group() as group:
                group.start_soon(request)
                await anyio.wait_all_tasks_blocked()
                await request()  # waits for the first, gives up, and answers by itself
                assert answered == [b"ok"] and calls == 2
                release.set()

    _run(main)
    assert answered == [b"ok", b"ok"]
