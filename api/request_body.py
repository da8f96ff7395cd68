"""Reading a request body under the service's bounds: at most so many bytes, all of it within
the body deadline (settings.body_timeout) of the route starting to read it, which is when the
head has arrived (and when `Expect: 100-continue` is answered).

The two routes that take a body, POST /mcp and FHIR POST [type]/_search, read it through here
and answer a BodyRefused in their own format (a JSON-RPC error, an OperationOutcome), with
CLOSE_CONNECTION among the headers: the rest of a refused body is never read, so the connection
cannot carry another request. The connection layer (api.server) holds the body of a request
answered without reading it to the same deadline.
"""

import asyncio

from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope

CLOSE_CONNECTION = {"Connection": "close"}


class BodyRefused(Exception):
    """A body not read: over its limit (413), not arrived in time (408), in a transfer coding
    (501) or a content coding (415) not decoded here; reason is a clause,
    e.g. 'the body is over 2048 bytes', for each face to put in its own sentence."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _coding_other_than(scope: Scope, header: bytes, allowed: str) -> str | None:
    """The first coding the header lists that is not allowed (case-insensitive), across its lines."""
    for name, value in scope["headers"]:
        if name == header:
            codings: list[str] = [coding.strip() for coding in value.decode("latin-1").split(",")]
            for coding in codings:
                if coding and coding.lower() != allowed:
                    return coding
    return None


def undecoded_coding(scope: Scope) -> str | None:
    """A transfer coding of the request other than chunked (RFC 9112 6.1), e.g. 'gzip' of
    `Transfer-Encoding: gzip, chunked`: the parser takes the chunks apart and hands over the
    bytes still gzipped, which would be read as the body itself."""
    return _coding_other_than(scope, b"transfer-encoding", "chunked")


def content_coding(scope: Scope) -> str | None:
    """The request's content coding (RFC 9110 8.4) other than identity, e.g. 'gzip'."""
    return _coding_other_than(scope, b"content-encoding", "identity")


async def read_body(scope: Scope, receive: Receive, *, limit: int, seconds: float) -> bytes:
    """The whole request body; BodyRefused when it comes in a transfer coding other than chunked
    (501, as RFC 9112 6.1 has it) or a content coding (415, RFC 9110 15.5.16: a gzipped JSON body was
    answered as malformed JSON, session 15's probe, JB3), when its declared length or what arrives is
    over limit bytes (the rest is not read), or when it has not all arrived within seconds. A client
    that hangs up raises ClientDisconnect."""
    if (coding := undecoded_coding(scope)) is not None:
        raise BodyRefused(501, f"the transfer coding {coding!r} is not one this server decodes (only chunked)")
    if (coding := content_coding(scope)) is not None:
        raise BodyRefused(415, f"the content coding {coding!r} is not one this server decodes (send the body as is)")
    too_large = BodyRefused(413, f"the body is over {limit} bytes")
    declared = dict(scope["headers"]).get(b"content-length", b"")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(seconds):
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    raise ClientDisconnect()
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    raise too_large
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks)
    except TimeoutError:
        raise BodyRefused(408, f"the body did not arrive within {seconds:g} s of the request head") from None
