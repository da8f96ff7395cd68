"""HTTP caching: an ETag per representation and dataset version, Cache-Control, and 304s.

The ETag is not a hash of the body. The data only change when the dataset version changes
(it names the fixtures, the spans, the code list, the recorded corrections and the public URL
the permalinks are built on); an answer that shows the build itself (its time: /v1/meta, the
dataset JSON, /fhir/metadata, the releases and their feed, FHIR's dated definitions) says so
and its tag names the build too; the format only when the software changes
(a fingerprint of the code, templates and assets, taken once at start-up, so a deployment
that changes them without a version bump still gets new tags, with the settings that change
bodies but not data: the licence stated and the FHIR canonical base), so a representation is
identified by those plus the URL (scheme, host, path and query: page links are absolute, so the body
depends on all four) and the response's media type and encoding. Hashing
that short string costs the same for every request; the body is never read. A matching
If-None-Match (one header line or several, RFC 9110 5.3) turns a 200 into a 304 and drops the
body. A response that says `Cache-Control: no-store` (the health check) gets no tag. Responses that bring their own
validator (static files: size and modification time) keep it.

Cache-Control suits shared caches too: s-maxage lets a proxy or CDN keep answers longer
than browsers, and stale-while-revalidate lets it answer at once while it revalidates
(a cheap 304). A URL pinned to the dataset version (`?version=<dataset version>`) never
changes, so it is cacheable for a year and immutable (api.middleware.releases takes the pin off
the query and picks the release before this layer sees the request); but not an answer the
software makes (SOFTWARE_PATHS) nor one that shows the build's time, which change under one version.
"""

import hashlib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.state import build_described, find_request_state, pinned_version

CACHEABLE_METHODS = {"GET", "HEAD"}
PINNED_CACHE_CONTROL = "public, max-age=31536000, immutable"
# Answers made by the software, not from the data: their bytes change with an upgrade that keeps the
# dataset version, so a pin to the version does not make them immutable. A claim's verdict is the
# software's reading of a sentence: a fix to the reader changes verdicts under one version (session 11's probe).
# The embed pages too: their markup is the software's (its next version pages the table, for one) and
# loads unpinned /static assets (the ninth probe, D2).
SOFTWARE_PATHS = ("/static/", "/docs", "/openapi.json", "/v1/claims/", "/embed/")


def immutable_when_pinned(path: str) -> bool:
    """Whether a pinned answer at path never changes: everything made from the data."""
    return not path.startswith(SOFTWARE_PATHS)


# Headers a 304 keeps (RFC 9110 section 15.4.5); the rest describe a body it does not have.
NOT_MODIFIED_HEADERS = {"cache-control", "content-location", "date", "etag", "expires", "vary"}


PACKAGE_ROOTS = (Path(__file__).resolve().parents[1], Path(__file__).resolve().parents[2] / "models")


@lru_cache  # once per process: the files do not change under a running service
def code_fingerprint(roots: tuple[Path, ...] = PACKAGE_ROOTS) -> str:
    """A digest of every file of the packages: what the service's output is made with."""
    digest = hashlib.blake2b(digest_size=8)
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def representation_etag(
    dataset_version: str,
    software: str,
    path: str,
    *,
    query: str,
    media_type: str,
    encoding: str = "",
    origin: str = "",
) -> str:
    """A strong ETag for one representation of one URL, by one version of the software and the data.

    origin is the scheme and host the request named: absolute links in the body depend on it.
    """
    key = "\0".join((software, origin, path, query, media_type, encoding)).encode()
    return f'"{dataset_version}-{hashlib.blake2b(key, digest_size=8).hexdigest()}"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison: W/ prefixes are ignored; '*' matches anything."""

    def opaque(tag: str) -> str:
        return tag.strip().removeprefix("W/")

    candidates: Iterable[str] = if_none_match.split(",")
    return any(c.strip() == "*" or opaque(c) == opaque(etag) for c in candidates)


def cache_control(max_age: int, s_maxage: int | None = None, stale_while_revalidate: int = 0) -> str:
    parts = ["public", f"max-age={max_age}"]
    if s_maxage is not None:
        parts.append(f"s-maxage={s_maxage}")
    if stale_while_revalidate:
        parts.append(f"stale-while-revalidate={stale_while_revalidate}")
    return ", ".join(parts)


def _pin_suffix(scope: Scope) -> str:
    pin = pinned_version(scope)
    return "" if pin is None else f"\0version={pin}"


class HttpCacheMiddleware:
    """Adds ETag and Cache-Control to successful GET/HEAD responses and answers 304 when asked."""

    def __init__(
        self,
        app: ASGIApp,
        max_age: int,
        s_maxage: int | None = None,
        *,
        stale_while_revalidate: int = 0,
        shaping: tuple[str, ...] = (),
    ) -> None:
        """shaping: the values of the settings that change bodies without changing the data (the
        licence stated, the FHIR canonical base): one built file served with other values gives
        other bodies, so other tags."""
        self.app = app
        self.cache_control = cache_control(max_age, s_maxage, stale_while_revalidate)
        self.software = code_fingerprint()
        if shaping:
            self.software += "+" + hashlib.blake2b("\0".join(shaping).encode(), digest_size=4).hexdigest()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in CACHEABLE_METHODS:
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})  # shared with the copies below: routes mark answers that show the build
        request_headers = Headers(scope=scope)
        # A list field may come on several lines: they mean the lines joined with commas.
        if_none_match = ", ".join(request_headers.getlist("if-none-match")) or None
        not_modified = False

        async def send_with_validators(message: Message) -> None:
            nonlocal not_modified
            if message["type"] == "http.response.start":
                not_modified = self._decorate(scope, message, if_none_match)
            elif not_modified and message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # a 304 has no body: drop every chunk, end with an empty one
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(scope, receive, send_with_validators)

    def _decorate(self, scope: Scope, message: Message, if_none_match: str | None) -> bool:
        """Set the validators on a response start; return True when it is a 304, whose body is then dropped."""
        status = message["status"]
        headers = MutableHeaders(scope=message)
        # An answer showing the build (its time) differs between two builds of one version (a Docker
        # image built again, say): the pin does not make it immutable either.
        pinned = bool(pinned_version(scope)) and immutable_when_pinned(scope["path"]) and build_described(scope) is None
        policy = PINNED_CACHE_CONTROL if pinned else self.cache_control
        if status == 304:  # a static file answered If-None-Match itself; a 304 has no body (RFC 9110 15.4.5)
            headers.setdefault("Cache-Control", policy)
            return True
        if not 200 <= status < 300:
            return False
        if "no-store" in headers.get("cache-control", ""):
            return False  # never to be kept, so never to be revalidated
        if "etag" not in headers:
            state = find_request_state(scope)
            if state is None:  # not loaded yet: nothing stable to derive the tag from
                return False
            # An answer showing the build (its time) differs between builds of one version: never one ETag.
            build = build_described(scope)
            headers["ETag"] = representation_etag(
                state.identity,
                f"{state.meta.api_version}+{self.software}" + (f"+built {build}" if build else ""),
                scope["path"],
                # The pin was taken off the query before routing, but the body still names it (page
                # links keep it): a pinned answer is another representation than the unpinned one.
                query=scope.get("query_string", b"").decode("latin-1") + _pin_suffix(scope),
                media_type=headers.get("content-type", ""),
                encoding=headers.get("content-encoding", ""),
                origin=f"{scope.get('scheme', 'http')}://{request_host(scope)}",
            )
        if pinned:
            headers["Cache-Control"] = policy
        else:
            headers.setdefault("Cache-Control", policy)
        # Some routes choose CSV or JSON by Accept; shared caches must keep those apart.
        vary = [v.strip() for value in headers.getlist("vary") for v in value.split(",") if v.strip()]
        if "accept" not in {v.lower() for v in vary}:
            headers["Vary"] = ", ".join([*vary, "Accept"])
        if status != 200 or if_none_match is None or not etag_matches(if_none_match, headers["etag"]):
            return False
        message["status"] = 304
        for name in {key for key in headers if key not in NOT_MODIFIED_HEADERS}:
            del headers[name]
        return True


def request_host(scope: Scope) -> str:
    """The Host the client named (what absolute links in the body are built from)."""
    for name, value in scope.get("headers", ()):
        if name == b"host":
            return str(value.decode("latin-1"))
    server = scope.get("server")
    return f"{server[0]}:{server[1]}" if server else ""
