"""A cache of the application's complete GET and HEAD responses, as pure ASGI middleware.

Correct because the dataset is immutable for the life of the process: fixtures are loaded
once at start-up and the database refuses writes afterwards, so the same request always
gets the same bytes. The key is everything a response depends on: method, scheme, host
and root path (page links are absolute URLs), path, query string, the representation the
Accept header asks for (the `format` parameter is in the query string already), the
Origin header (CORS answers differ by origin) and If-None-Match (a match is answered 304).

The cache wraps the whole application, outside every middleware, so a hit costs a lookup
and two messages: the security headers, CORS headers and validators of the response it
replays were set when it was first computed. The rule that comes with that position: any
layer whose output depends on a request header must have that header in the key (as
Origin and If-None-Match are), or the cache must refuse such requests (as it refuses
Range and the date-based conditionals, which static files answer).

Only 200 responses are kept (and 304s, which the key ties to their If-None-Match), never
errors; responses that say they vary on headers outside the key, set cookies or forbid
storing pass through untouched. A miss streams the inner response through as it comes
(NDJSON included) while copying it; the copy is kept only once the application has
produced the last chunk (a response cut short by an error is never kept) and only if it
stayed under the per-entry limit. Memory is bounded by entry count and total bytes, least
recently used first out. Concurrent misses for one key wait (briefly) for the first to
finish instead of all computing the same bytes.
"""

from dataclasses import dataclass

import anyio
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.lru import BoundedLRU
from api.middleware.request_policy import refusal
from api.render.formats import accept_header, representation_key
from api.settings import Settings

CacheKey = tuple[str, str, bytes, str, str, bytes, str, bytes | None, bytes | None]

# Bookkeeping per entry beyond its bytes (tuples, dict slot, objects), so that many tiny
# responses cannot slip past the byte bound.
ENTRY_OVERHEAD = 512
# How long a miss waits for a concurrent identical one to fill the entry before answering
# by itself: a filler paced by a slow client must not hold up everyone else.
FILL_WAIT_SECONDS = 1.0
# Vary values the key already covers: the Accept header is reduced to the format it asks for.
KEYED_VARY = {b"accept", b"origin"}
# Request headers that change the answer in ways the key does not hold: such requests are
# answered afresh, never from or into the cache.
UNKEYED_CONDITIONS = {b"range", b"if-range", b"if-match", b"if-unmodified-since", b"if-modified-since"}
CACHED_METHODS = {"GET", "HEAD"}


@dataclass(frozen=True)
class CachedResponse:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


def cache_key(scope: Scope) -> CacheKey | None:
    """The key of a request, or None when its answer must not come from (or go into) the cache.

    Headers are read exactly as the application reads them: Host as Starlette builds URLs
    (the first line; the server address only when there is none), Accept as api.formats
    reads it and If-None-Match as api.middleware.etags reads it (every line, as one list).
    Requests the application refuses before routing (api.request_policy) are never keyed, so
    a refusal is never confused with an answer.
    """
    if refusal(scope) is not None:
        return None
    host: bytes | None = None
    origin: bytes | None = None
    # Every If-None-Match line, as the ETag layer reads them (one list): keying the first alone would
    # replay a 304 earned by a later line to a request without it.
    if_none_match: list[bytes] = []
    for name, value in scope["headers"]:
        if name == b"host" and host is None:
            host = value
        elif name == b"origin" and origin is None:
            origin = value
        elif name == b"if-none-match":
            if_none_match.append(value)
        elif name in UNKEYED_CONDITIONS:
            return None
    if host is None:
        host = b"\0" + "{}:{}".format(*scope["server"]).encode() if scope.get("server") else b"\0"
    return (
        scope["method"],
        scope.get("scheme", "http"),
        host,
        scope.get("root_path", ""),
        scope["path"],
        scope.get("query_string", b""),
        representation_key(accept_header(scope["headers"])),
        origin,
        b", ".join(if_none_match) if if_none_match else None,
    )


def storable(status: int, headers: list[tuple[bytes, bytes]], conditional: bool) -> bool:
    """Whether a response may be reused for every request with the same key."""
    if status != 200 and not (status == 304 and conditional):
        return False
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"set-cookie":
            return False
        if lowered == b"cache-control" and (b"no-store" in value or b"private" in value):
            return False
        if lowered == b"vary" and {v.strip().lower() for v in value.split(b",")} - KEYED_VARY:
            return False
    return True


def entry_size(key: CacheKey, response: CachedResponse) -> int:
    headers = sum(len(name) + len(value) for name, value in response.headers)
    keyed = sum(len(part) for part in key if isinstance(part, str | bytes))
    return ENTRY_OVERHEAD + len(response.body) + headers + keyed


class ResponseCacheMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        max_entries: int,
        max_bytes: int,
        *,
        max_entry_bytes: int,
        skip_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.store: BoundedLRU[CacheKey, CachedResponse] = BoundedLRU(max_entries, max_bytes)
        self.max_entry_bytes = max_entry_bytes
        self.skip_paths = skip_paths
        self.hits = 0
        self.misses = 0
        self._filling: dict[CacheKey, anyio.Event] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = None
        if scope["type"] == "http" and scope["method"] in CACHED_METHODS:
            # Behind a proxy's root path (uvicorn --root-path), scope["path"] starts with it.
            route = scope["path"].removeprefix(scope.get("root_path", ""))
            key = None if route in self.skip_paths else cache_key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        cached = self.store.get(key)
        filling = self._filling.get(key) if cached is None else None
        if filling is not None:
            with anyio.move_on_after(FILL_WAIT_SECONDS):
                await filling.wait()
            cached = self.store.get(key)
        if cached is not None:
            self.hits += 1
            # Fresh message dicts and header list each time: outer middleware may edit them in place.
            await send({"type": "http.response.start", "status": cached.status, "headers": list(cached.headers)})
            await send({"type": "http.response.body", "body": cached.body, "more_body": False})
            return
        self.misses += 1
        if filling is not None:  # the response waited for was not kept (an error, say): answer afresh
            await self.app(scope, receive, send)
            return
        self._filling[key] = filled = anyio.Event()
        try:
            await self._fill(key, scope, receive, send=send, filled=filled)
        finally:
            del self._filling[key]
            filled.set()

    async def _fill(self, key: CacheKey, scope: Scope, receive: Receive, *, send: Send, filled: anyio.Event) -> None:
        """Pass the inner response through unchanged, keeping a copy of it when it may be reused."""
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] | None = None
        size = 0

        async def copying_send(message: Message) -> None:
            nonlocal status, headers, chunks, size
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
                chunks = [] if storable(status, headers, conditional=key[-1] is not None) else None
            elif message["type"] == "http.response.body" and chunks is not None:
                body = message.get("body", b"")
                size += len(body)
                if size <= self.max_entry_bytes:
                    chunks.append(body)
                else:
                    chunks = None  # too big to keep; still streamed through in full
            if message["type"] == "http.response.body" and not message.get("more_body", False) and chunks is not None:
                response = CachedResponse(status, tuple(headers), b"".join(chunks))
                self.store.put(key, response, entry_size(key, response))
                chunks = None
                filled.set()  # waiters need not wait for this client to read it
            await send(message)

        await self.app(scope, receive, copying_send)


def install_response_cache(app: FastAPI, settings: Settings) -> ResponseCacheMiddleware | None:
    """Wrap the app's whole middleware stack in the response cache (outermost, see above); None when disabled.

    Call it after every other layer is installed, so that it stays outside them all.
    """
    if not settings.response_cache_enabled:
        return None
    cache = ResponseCacheMiddleware(
        app,  # replaced by the built stack below; the cache must exist before the first request
        max_entries=settings.response_cache_max_entries,
        max_bytes=settings.response_cache_max_bytes,
        max_entry_bytes=settings.response_cache_max_entry_bytes,
        skip_paths=frozenset(settings.response_cache_skip_paths),
    )
    build = app.build_middleware_stack

    def build_cached_stack() -> ASGIApp:
        cache.app = build()
        return cache

    app.build_middleware_stack = build_cached_stack  # type: ignore[method-assign]
    return cache
