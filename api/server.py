"""The HTTP connection layer under the application: bounded request heads and timeouts, refusals as problem details.

uvicorn's httptools protocol buffers a request head of any size and keeps a connection
that never sends a byte open for good; the requests its parser refuses are answered in
plain text. This subclass bounds the head (MAX_HEAD_BYTES, answered 431), gives every
request head a deadline from its first byte, or from the connection's opening, (answered
408 when partly sent, closed silently when nothing was sent), and answers each parser
refusal as RFC 9457 problem details. What still cannot be answered in that format is
listed in the README (Limits).

It also bounds what one connection may cost while its client does not read: once
MAX_PENDING_REQUESTS requests are parsed and unanswered, the connection is not read any
further (the rest stays in the kernel's socket buffers, which the client cannot grow) until
responses are taken; and a response that cannot be written for send_timeout seconds closes
the connection. Both use only asyncio's public flow control (Transport.pause_reading and
resume_reading, Protocol.pause_writing and resume_writing) and httptools' parser callbacks;
the uvicorn methods overridden here are those of the pinned, tested uvicorn release
(tests/http/test_uvicorn_contract.py says which, and fails on a release without them).
"""

import asyncio
import html
import json
import re
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from models.problem import FHIR_ISSUE_TYPES, Problem, answers_errors_as_html, error_face, jsonrpc_refusal

PROBLEM_MEDIA_TYPE = b"application/problem+json"
FHIR_MEDIA_TYPE = b"application/fhir+json"
# The request line and every header line, as on the wire; as h11's and Node's default.
MAX_HEAD_BYTES = 16 * 1024
# Requests parsed but not yet answered on one connection (pipelining) before it stops being read.
MAX_PENDING_REQUESTS = 8
# The parser is fed this much at a time, so that the count above is checked between slices: one
# read may hold hundreds of tiny pipelined requests.
FEED_SLICE_BYTES = 256
# Most bytes taken from a socket in one read (asyncio's own reads take up to 256 KiB), and so the
# most a held connection keeps that it has read but not parsed.
READ_BUFFER_BYTES = 16 * 1024
ALLOW = b"GET, HEAD, OPTIONS"
# The methods httptools reads; another (BREW) is refused before the target is handed on.
KNOWN_METHODS = frozenset(
    b"GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH PROPFIND PROPPATCH MKCOL COPY MOVE LOCK UNLOCK".split()
)
# Body bytes read and dropped, after a request was answered before its body ended, before the
# connection is closed instead (the time bound is body_timeout after the head).
DRAIN_BYTES = 64 * 1024
# Then the connection lingers: the server's side is shut (the client reads the answer, then the
# end) while what still arrives is read and dropped, at most this long and this much, so that the
# close does not reset the connection and take the answer with it (RFC 9112 9.6).
LINGER_SECONDS = 2.0
LINGER_BYTES = 1024 * 1024


# The methods of uvicorn's HttpToolsProtocol this module overrides or calls: uvicorn is pinned to
# the release they were tested on (pyproject.toml), and tests/http/test_uvicorn_contract.py
# fails on one without them.
UVICORN_HOOKS = (
    "connection_made",
    "connection_lost",
    "data_received",
    "eof_received",
    "pause_writing",
    "resume_writing",
    "on_message_begin",
    "on_url",
    "on_header",
    "on_headers_complete",
    "on_body",
    "on_message_complete",
    "on_response_complete",
    "send_400_response",
    "_unset_keepalive_if_required",
)


class Refusal(Exception):
    """Raised inside a parser callback: the request is answered with this status and detail, then closed."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


NOT_A_PATH = (
    "The request target is not a path (an authority such as CONNECT's 'host:port' asks a proxy for a tunnel; "
    "this service is none)."
)


def head_too_large() -> Refusal:
    return Refusal(431, f"The request head is over {MAX_HEAD_BYTES} bytes.")


def target_too_long() -> Refusal:
    return Refusal(414, f"The request target is over {MAX_HEAD_BYTES} bytes.")


SERVED_VERSIONS = ("1.0", "1.1")
UPGRADE_WITH_BODY = (
    "This server switches to no other protocol, and cannot read the body of a request that asks it to "
    "(Upgrade): send the request without Upgrade (curl: without --http2 for an http:// URL)."
)


def declares_body(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether a request head announces a body: Transfer-Encoding, or a Content-Length other than 0."""
    return any(
        name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0") for name, value in headers
    )


def head_refusal(http_version: str, headers: list[tuple[bytes, bytes]]) -> Refusal | None:
    """A parsed head this server does not serve: another HTTP version (a request line with none is
    HTTP/0.9), or HTTP/1.1 without a Host line (RFC 9112 3.2)."""
    if http_version not in SERVED_VERSIONS:
        return Refusal(505, f"Only HTTP/1.0 and HTTP/1.1 are served, not HTTP/{http_version}.")
    if http_version == "1.1" and not any(name == b"host" for name, _ in headers):
        return Refusal(400, "An HTTP/1.1 request must have a Host header line (RFC 9112, 3.2).")
    return None


def origin_form(url: bytes) -> tuple[bytes, bytes] | None:
    """For an absolute-form request target (`http://host/path?query`, RFC 9112 3.2.2), its origin
    form (`/path?query`) and its authority (`host[:port]`), which the server must use as the
    target's host in place of Host; None for any other form. Raises Refusal for an absolute URL
    this server cannot take: another scheme, no host, a user name (RFC 9110 4.2.4), or not a URL."""
    if url.startswith(b"/") or b"://" not in url:
        return None
    try:
        httptools.parse_url(url)
    except httptools.HttpParserInvalidURLError:
        raise Refusal(400, "The request target is not a valid URL.") from None
    scheme, _, rest = url.partition(b"://")
    if scheme.lower() not in (b"http", b"https"):
        raise Refusal(400, "An absolute request target must be an http or https URL.")
    ends = [at for at in (rest.find(b"/"), rest.find(b"?"), rest.find(b"#")) if at >= 0]
    authority, target = rest[: min(ends, default=len(rest))], rest[min(ends, default=len(rest)) :]
    if not authority or b"@" in authority:
        raise Refusal(400, "An absolute request target must name a host, and no user name or password.")
    return (target if target.startswith(b"/") else b"/" + target), authority


def target_path(target: bytes) -> str:
    """The path of a request target as far as it was read (origin or absolute form), for choosing
    the form of a refusal; '' when it cannot be told."""
    if not target.startswith(b"/"):
        found = target.find(b"://")
        start = target.find(b"/", found + 3) if found >= 0 else -1
        target = target[start:] if start >= 0 else b""
    return target.split(b"?", 1)[0].split(b"#", 1)[0].decode("latin-1")


def problem_answer(status: int, detail: str, path: str = "") -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The headers and body refusing a request to path, in the form the face asked answers its errors
    in (an OperationOutcome under /fhir, a JSON-RPC error object at /mcp, HTML under /embed), else
    problem details; with what every answer carries, and Retry-After on a 503 (it will be back)."""
    face = error_face(path)
    document: dict[str, object]
    if face == "fhir":
        issue = {"severity": "error", "code": FHIR_ISSUE_TYPES.get(status, "processing"), "diagnostics": detail}
        media_type, document = FHIR_MEDIA_TYPE, {"resourceType": "OperationOutcome", "issue": [issue]}
    elif face == "mcp":
        media_type, document = b"application/json", jsonrpc_refusal(detail)
    else:
        problem = Problem(title=HTTPStatus(status).phrase, status=status, detail=detail, instance=path or None)
        media_type, document = PROBLEM_MEDIA_TYPE, problem.model_dump()
    body = json.dumps(document, separators=(",", ":")).encode()
    if answers_errors_as_html(path):  # an embed page's refusal is read in its iframe (session 12's probe, B6)
        media_type, body = b"text/html; charset=utf-8", _html_problem(status, detail)
    headers = [
        (b"content-type", media_type),
        (b"content-length", str(len(body)).encode()),
        # What every answer carries (api/middleware/security.py), these too.
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"connection", b"close"),
    ]
    if status == 405:
        headers.append((b"allow", ALLOW))
    if status == 503:
        headers.append((b"retry-after", b"1"))
    return headers, body


def problem_bytes(status: int, detail: str, path: str = "") -> bytes:
    """A complete HTTP/1.1 response refusing a request (problem_answer), closing the connection."""
    headers, body = problem_answer(status, detail, path)
    head = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}".encode(),
        b"date: " + formatdate(usegmt=True).encode(),
        *(name + b": " + value for name, value in headers),
    ]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def _html_problem(status: int, detail: str) -> bytes:
    """The problem as the embed pages' own error page gives it (api/templates/problem.html), unstyled."""
    title = f"{status} {HTTPStatus(status).phrase}"
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head><body>'
        f'<article class="te-problem" data-status="{status}" data-type="about:blank">'
        f'<h1 class="te-title">{title}</h1><p class="te-detail">{html.escape(detail)}</p></article></body></html>'
    ).encode()


def refused_target(data: bytes) -> bytes:
    """The target of the first request line in data that the parser cannot take (a raw non-ASCII or
    control byte in it, a method not in capitals): the parser stops before handing the target on, and
    the refusal's form (an OperationOutcome under /fhir, ...) follows it. b'' when none is found."""
    for line in re.split(rb"\r?\n", data):
        parts = re.split(rb"[ \t]", line)  # a tab too: 'GET\t/fhir/...' is refused before its target is handed on
        if len(parts) == 3 and parts[2].startswith(b"HTTP/"):
            method, target = parts[0], parts[1]
            unknown = method not in KNOWN_METHODS  # BREW: refused before its target is handed on too
            odd = unknown or not method.isupper() or b"\t" in line
            if odd or any(byte <= 0x20 or byte >= 0x7F for byte in target):
                return target
    return b""


def parser_refusal(exc: httptools.HttpParserError) -> tuple[int, str]:
    """The status and detail for a request head the parser refuses."""
    reason = str(exc) or "malformed request"
    # The parser raises its method error for the separator after a method too ('GET\t/'): a method that is
    # right was refused 405 beside an Allow naming it (session 13's probe, FB9).
    if isinstance(exc, httptools.HttpParserInvalidMethodError) and "space" not in reason:
        return 405, f"The request method is not one this server knows ({reason}); methods are case-sensitive."
    if "CRLF" in reason or " LF " in reason:
        return 400, f"Lines of a request head end with CR LF ({reason})."
    # 'Expected dot': a version of one digit or three (`HTTP/2`, `HTTP/3`, `HTTP/10.0`), as RFC 9113 and
    # 9114 write theirs, was a 400 (session 14's second probe, HB3).
    if "version" in reason.lower() or reason == "Expected dot":
        return 505, f"Only HTTP/1.0 and HTTP/1.1 are served ({reason})."
    if "PRI" in reason:
        # HTTP/2's connection preface ('PRI * HTTP/2.0'), which the parser stops at with words of its own
        # (session 13's probe, FB1: a 400 'Pause on PRI/Upgrade').
        return 505, "Only HTTP/1.0 and HTTP/1.1 are served (an HTTP/2 connection preface; HTTP/2 is not served)."
    if isinstance(exc, httptools.HttpParserInvalidURLError):
        return 400, f"The request target is not a valid URL ({reason}); non-ASCII characters must be percent-encoded."
    return 400, f"The request is not valid HTTP/1.1 ({reason})."


class ReadGate:
    """A transport as uvicorn's protocol sees it: reading is paused while uvicorn or the
    pipelining bound wants it paused, and resumes only when neither does; and the writes of one
    response go out in one send.

    uvicorn resumes reading after every response and whenever the application asks for the
    request body; on the bare transport that would undo the bound's pause. uvicorn also writes
    a response's head and its body separately, two sends (two system calls) for every response;
    here a final response's head is held back and sent with the response's first body bytes, with
    writelines (one vectored send, no copy), or alone when the response ends or the connection
    closes first. An interim response (100 Continue) is never held: the client waits for it.
    Everything other than pausing and resuming reading, writing and closing goes to the
    transport itself.
    """

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self._paused_by_server = False
        self._held_by_bound = False
        self._head: bytes | None = None

    def pause_reading(self) -> None:
        self._paused_by_server = True
        self._apply()

    def resume_reading(self) -> None:
        self._paused_by_server = False
        self._apply()

    def write(self, data: bytes) -> None:
        # uvicorn marks only the newest pipelined request disconnected when the connection is lost;
        # an older one still answering would write to the closed transport, which uvloop refuses
        # with an error (asyncio's own transports drop such writes, as this does).
        if self.transport.is_closing():
            return
        head = self._head
        if head is not None:
            self._head = None
            self.transport.writelines((head, data))
        elif data.startswith(b"HTTP/1.1 ") and not data.startswith(b"HTTP/1.1 1"):
            self._head = data  # a final response's head: it goes out with what follows
        else:
            self.transport.write(data)

    def flush(self) -> None:
        """Send a head held back (a response without body bytes, or ending)."""
        head, self._head = self._head, None
        if head is not None and not self.transport.is_closing():
            self.transport.write(head)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def is_closing(self) -> bool:
        # Asked several times a request: a method here spares __getattr__'s failed lookup first.
        return self.transport.is_closing()

    def hold(self, held: bool) -> None:
        self._held_by_bound = held
        self._apply()

    def _apply(self) -> None:
        if self.transport.is_closing():
            return
        paused = self._paused_by_server or self._held_by_bound
        if paused and self.transport.is_reading():
            self.transport.pause_reading()
        elif not paused and not self.transport.is_reading():
            self.transport.resume_reading()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class Deadline:
    """A callback due a fixed number of seconds after arming; arming an armed one changes nothing."""

    def __init__(self, loop: asyncio.AbstractEventLoop, seconds: float, expire: Callable[[], None]) -> None:
        self._loop = loop
        self._seconds = seconds
        self._expire = expire
        self._handle: asyncio.TimerHandle | None = None

    def arm(self, seconds: float | None = None) -> None:
        """Due in its seconds, or in these (a deadline counted from an earlier moment)."""
        if self._handle is None:
            self._handle = self._loop.call_later(self._seconds if seconds is None else seconds, self._fire)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _fire(self) -> None:
        self._handle = None
        self._expire()


def guarded_protocol(
    *, header_timeout: float, send_timeout: float, body_timeout: float, max_connections: int = 1024
) -> type[asyncio.BufferedProtocol]:
    """The protocol class for uvicorn.run(http=...), with the request-head deadline, the deadline
    for a blocked response to move again, and the one for a request's body to have arrived once
    its head has (seconds); and the connections a worker holds open at once."""

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._awaiting_head = True
            self._head_bytes = 0  # bytes read since the head began, ended or not
            self._head_began = 0.0  # when its first byte was read (event-loop time)
            self._head_size = 0  # bytes of the lines the parser has handed over
            self._in_request_line = True  # no header line of the current head parsed yet
            self._in_message = False  # a request's head is parsed and its body has not ended
            self._head_deadline = Deadline(self.loop, header_timeout, self._head_timed_out)
            self._pending = 0  # requests whose head is parsed and whose response is not complete
            self._held: bytes | None = None  # read but not yet parsed while the connection is held
            self._send_deadline = Deadline(self.loop, send_timeout, self._send_timed_out)
            self._gate: ReadGate | None = None
            self._head_done_at = 0.0  # when the current request's head ended (event-loop time)
            self._drained = 0  # bytes of its body read and dropped since it was answered
            self._drain_deadline = Deadline(self.loop, body_timeout, self._drain_timed_out)
            self._lingered: int | None = None  # bytes dropped since it began lingering; None: it is not
            self._linger_deadline = Deadline(self.loop, LINGER_SECONDS, self._linger_timed_out)
            self._ended_by_client = False  # the client shut its sending side (a half-close)
            self._refusal: bytes | None = None  # owed once the requests read before a refused one are answered

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            self._gate = ReadGate(transport)
            super().connection_made(self._gate)  # type: ignore[arg-type]
            self._head_deadline.arm()  # a client that never sends a byte is closed after the deadline too

        def connection_lost(self, exc: Exception | None) -> None:
            self._head_deadline.cancel()
            self._send_deadline.cancel()
            self._drain_deadline.cancel()
            self._linger_deadline.cancel()
            self._held = None
            super().connection_lost(exc)

        def pause_writing(self) -> None:
            # The client is not taking what was written: it has send_timeout seconds to start again.
            super().pause_writing()
            self._send_deadline.arm()

        def resume_writing(self) -> None:
            self._send_deadline.cancel()
            super().resume_writing()

        def _send_timed_out(self) -> None:
            self.transport.abort()  # nothing can be said to a client that does not read

        def _drain_timed_out(self) -> None:
            # Answered, and the rest of its body still not in body_timeout after the head: a client
            # trickling it would otherwise hold the connection for as long as it keeps sending.
            if self._in_message:
                self._linger()

        def _linger(self) -> None:
            """End a connection whose answer is sent while its client is still sending: shut this
            side (the answer, then the end, reach the client), drop what still comes, and close
            once the client closes its side, or after LINGER_SECONDS or LINGER_BYTES. Closed at
            once instead, with bytes unread, the kernel resets the connection, and a client that
            had not read the answer yet loses it."""
            if self._lingered is not None or self.transport.is_closing():
                return
            self._lingered = 0
            self._drain_deadline.cancel()
            if not self.transport.can_write_eof():
                self.transport.close()
                return
            if self._gate is not None:
                self._gate.flush()  # a head held back goes out before the end
            self.transport.write_eof()
            self._linger_deadline.arm()
            if self._gate is not None:
                self._gate.hold(False)
                self._gate.resume_reading()  # what arrives must be read for the end to be clean

        def _linger_timed_out(self) -> None:
            if not self.transport.is_closing():
                self.transport.close()

        def _head_timed_out(self) -> None:
            if self.transport.is_closing() or not self._awaiting_head:
                return
            if self._head_bytes:
                detail = f"The request head did not arrive within {header_timeout:g} seconds."
                self.transport.write(problem_bytes(408, detail, self._refusal_path()))
            self.transport.close()

        def _refusal_path(self, target: bytes = b"") -> str:
            # uvicorn's `url` is the target of the request being parsed (emptied as each begins).
            return target_path(getattr(self, "url", b"") or target)

        def _refuse(self, status: int, detail: str, *, target: bytes = b"") -> None:
            self._head_deadline.cancel()
            self._unset_keepalive_if_required()
            if self.transport.is_closing():
                return
            if self._in_message and self._pending == 0 and self.cycle is not None and self.cycle.response_complete:
                # The bytes refused are the body of a request answered already (before its body ended): a
                # refusal now would be a second, unsolicited answer, read as the next request's (a tenth
                # probe's E2). The connection ends as a body that outlasts its deadline does.
                self._linger()
                return
            refusal = problem_bytes(status, detail, self._refusal_path(target))
            if self._in_message and self._pending > 1 and self._drop_queued_cycle():
                # Refused in its body (a bad chunk), behind requests not yet answered: it is never run,
                # and the refusal waits for them like one refused at its head (session 12's probe, D1).
                self._pending -= 1
                self._in_message = False
            if self._pending > 0 and not self._in_message:
                # Requests read whole before this one are answered first, in order (RFC 9112 9.3.2),
                # then this refusal ends the connection: sent at once, it went out as if it answered
                # the first of them (session 12's probe, B8). Nothing more is read meanwhile.
                self._refusal = refusal
                self._held = None
                if self._gate is not None:
                    self._gate.hold(True)
                return
            self.transport.write(refusal)
            self.transport.close()

        def _drop_queued_cycle(self) -> bool:
            """Take the request being read out of uvicorn's pipeline (the cycles waiting their turn); False
            when it is not there (it is the one being answered)."""
            queued = [entry for entry in self.pipeline if entry[0] is self.cycle]
            for entry in queued:
                self.pipeline.remove(entry)
            return bool(queued)

        def data_received(self, data: bytes | memoryview) -> None:
            if self._refusal is not None:
                return  # the connection ends with its refusal once the requests before it are answered
            self._unset_keepalive_if_required()
            if self._lingered is not None:
                self._lingered += len(data)
                if self._lingered > LINGER_BYTES:
                    self._linger_timed_out()
                return
            if self._held is not None:
                # Read before the pause took effect: kept, at most one read's worth.
                self._held += data
                return
            self._feed(memoryview(data))

        def _feed(self, data: memoryview) -> None:
            """Parse data a slice at a time; once too many requests are pending, keep the rest and stop reading."""
            for start in range(0, len(data), FEED_SLICE_BYTES):
                if self._pending >= MAX_PENDING_REQUESTS:
                    self._hold(bytes(data[start:]))
                    return
                if not self._parse(data[start : start + FEED_SLICE_BYTES]) or self._lingered is not None:
                    return

        def _hold(self, rest: bytes) -> None:
            self._held = rest
            self._head_deadline.cancel()  # the head waits on us, not on the client
            assert self._gate is not None
            self._gate.hold(True)

        def _release(self) -> None:
            """Parse what was held back, then read again unless that filled the connection up once more."""
            held, self._held = self._held, None
            if held is None or self.transport.is_closing():
                return
            self._unset_keepalive_if_required()
            self._feed(memoryview(held))
            if self._held is None and self._gate is not None:
                self._gate.hold(False)

        def _parse(self, data: memoryview) -> bool:
            """Feed the parser; False when the connection was refused or handed over."""
            if self._awaiting_head:
                if not self._head_bytes:
                    self._head_began = self.loop.time()
                self._head_bytes += len(data)
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserCallbackError as exc:
                if isinstance(exc.__context__, Refusal):
                    self._refuse(exc.__context__.status, exc.__context__.detail)
                else:
                    self._refuse(400, "The request is not valid HTTP/1.1.")
                return False
            except httptools.HttpParserUpgrade as upgrade:
                # No protocol is switched to here (no WebSocket endpoint, no h2c): the Upgrade is
                # ignored (RFC 9110 7.8) and the request answered as HTTP. The parser stops at the
                # end of its head, as if what follows were the other protocol's; it is the next
                # request, read by a fresh parser (a body, which the parser has skipped, is refused
                # in on_headers_complete).
                self.parser = httptools.HttpRequestParser(self)
                rest = data[int(upgrade.args[0]) :]
                return self._parse(rest) if len(rest) else not self.transport.is_closing()
            except httptools.HttpParserError as exc:
                self._refuse(*parser_refusal(exc), target=refused_target(bytes(data)))
                return False
            if self._awaiting_head and self._head_bytes:
                if self._head_bytes > MAX_HEAD_BYTES:
                    # Still no end of head after this many bytes: refuse before buffering more.
                    refusal = target_too_long() if self._in_request_line else head_too_large()
                    self._refuse(refusal.status, refusal.detail)
                    return False
                # A head still arriving has what is left of the deadline from its first byte; armed
                # only now, since nearly every head arrives whole in one read and needs no timer.
                self._head_deadline.arm(max(0.0, self._head_began + header_timeout - self.loop.time()))
            return not self.transport.is_closing()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._awaiting_head = True
            self._in_request_line = True
            self._head_size = 0

        def on_url(self, url: bytes) -> None:
            super().on_url(url)
            self._count(len(url))

        def on_header(self, name: bytes, value: bytes) -> None:
            self._in_request_line = False
            self._count(len(name) + len(value) + 4)
            super().on_header(name, value)

        def _count(self, size: int) -> None:
            # The parser hands over whole lines: a head that arrived in one read is measured here.
            self._head_size += size
            if self._head_size > MAX_HEAD_BYTES:
                # The request line alone over the limit: the URL is too long (414, as the OpenAPI says).
                raise target_too_long() if self._in_request_line else head_too_large()

        def on_headers_complete(self) -> None:
            self._awaiting_head = False
            self._in_request_line = False
            self._head_bytes = 0
            self._head_deadline.cancel()
            http_version = self.parser.get_http_version()
            refusal = head_refusal(http_version, self.headers)
            if refusal is not None:
                raise refusal
            if self.parser.should_upgrade() and declares_body(self.headers):
                # httptools skips the body of a request asking to Upgrade (it would be the other
                # protocol's): the application would read it as empty, and answer for no body.
                raise Refusal(400, UPGRADE_WITH_BODY)
            if not self.url.startswith(b"/"):  # nearly every target is origin-form: no call for those
                self._take_absolute_form()
            self._pending += 1
            self._in_message = True
            self._head_done_at = self.loop.time()
            self._drained = 0
            if http_version == "1.0":
                self.expect_100_continue = False  # RFC 9110 10.1.1: ignored from an HTTP/1.0 client
            try:
                super().on_headers_complete()
            except (httptools.HttpParserInvalidURLError, UnicodeDecodeError):
                # A target llhttp takes but uvicorn cannot read as a path (CONNECT's authority form,
                # 'a:1'): no cycle was made for it, so it is not counted, and it is refused after the
                # requests before it are answered (session 14's probe, GB2: it took the answer of one).
                self._pending -= 1
                self._in_message = False
                raise Refusal(400, NOT_A_PATH) from None

        def _take_absolute_form(self) -> None:
            """An absolute-form target is served as its path, its authority taking the Host line's
            place, so that every layer (links, the response cache's key, ETags) reads it as Host."""
            found = origin_form(self.url)
            if found is None:
                return
            self.url, authority = found
            hosts = [at for at, (name, _) in enumerate(self.headers) if name == b"host"]
            if len(hosts) == 1:
                self.headers[hosts[0]] = (b"host", authority)
            elif not hosts:  # HTTP/1.0 (an HTTP/1.1 request without Host is refused above)
                self.headers.append((b"host", authority))
            # More than one Host line is refused by the application (api.middleware.request_policy).

        def on_body(self, body: bytes) -> None:
            if self.cycle is not None and self.cycle.response_complete:
                # Answered already: uvicorn drops these bytes; past DRAIN_BYTES, the connection ends.
                self._drained += len(body)
                if self._drained > DRAIN_BYTES:
                    self._linger()
                return
            super().on_body(body)

        def on_message_complete(self) -> None:
            self._in_message = False
            self._drain_deadline.cancel()
            super().on_message_complete()
            if self.cycle is not None and self.cycle.response_complete:
                # Answered before its body ended: the next head may come now, and the connection
                # going idle instead is closed after the head deadline (uvicorn's keep-alive timer
                # was stopped by the body's bytes).
                self._awaiting_head = True
                self._head_deadline.arm()

        def eof_received(self) -> bool:  # type: ignore[override]  # uvicorn's says None: asyncio takes a bool
            """The client shut its side after sending (a half-close, as `shutdown(SHUT_WR)` does): what it
            asked is still answered, then the connection closed. Returning False closes it at once: so
            with nothing asked, or while lingering (the client closing is what that waits for)."""
            self._ended_by_client = True
            if self._refuse_body_never_coming():
                return False
            return self._lingered is None and self._answers_owed()

        def _refuse_body_never_coming(self) -> bool:
            """Whether the request being read, its client's side ended before its body did, was answered 400
            and the connection closed: its body can no longer arrive. Held until the body deadline, such
            connections took every place of TALL_MAX_CONNECTIONS and the /mcp bodies' bound for 10 s, the
            client holding no socket (session 13's second probe, FD3). Only once it is the one owed an
            answer: behind another (pipelined), that one is answered first (session 14's probe, GB3)."""
            owed_alone = self._pending == 1 and self.cycle is not None and not self.cycle.response_started
            if not (self._ended_by_client and self._in_message and owed_alone) or self.transport.is_closing():
                return False
            detail = "The client ended its side before the request's body arrived in full."
            self.transport.write(problem_bytes(400, detail, self._refusal_path()))
            self.transport.close()  # through the gate, which sends what it holds first
            return True

        def _answers_owed(self) -> bool:
            return self._pending > 0 or self._held is not None

        def on_response_complete(self) -> None:
            if self._gate is not None:
                self._gate.flush()  # the response's head and body, in one send
            self._pending -= 1
            super().on_response_complete()
            if self._refusal is not None:
                if self._pending == 0 and not self.transport.is_closing():
                    self.transport.write(self._refusal)
                    self.transport.close()
                return
            if self._ended_by_client and not self._answers_owed() and not self.transport.is_closing():
                self.transport.close()  # the last answer to a client that sends no more
            if self._refuse_body_never_coming():
                return
            # The next request's head, its deadline starting with its first byte; unless this
            # request's body is still arriving (answered early): those bytes are no head.
            self._awaiting_head = not self._in_message
            if self._in_message and self.cycle is not None and self.cycle.response_complete:
                # Answered before its body ended: the rest is read and dropped until body_timeout
                # after the head (at most DRAIN_BYTES), then the connection is closed.
                self._drain_deadline.arm(max(0.0, self._head_done_at + body_timeout - self.loop.time()))
            if self._held is not None and self._pending < MAX_PENDING_REQUESTS:
                # Not from inside the response's send: parsing may start the next request.
                self.loop.call_soon(self._release)

        def send_400_response(self, msg: str) -> None:
            self._refuse(400, msg)

    # One buffer for every connection of the process: what is read into it is parsed, or copied
    # aside, before the next read (buffer_updated runs to completion first).
    read_buffer = memoryview(bytearray(READ_BUFFER_BYTES))

    open_connections = 0  # of this process (a worker): each costs its buffers and parser until it closes

    class GuardedConnection(asyncio.BufferedProtocol):
        """What the event loop talks to: reads at most READ_BUFFER_BYTES at a time into the shared
        buffer (asyncio's BufferedProtocol) and hands them to the HTTP protocol.

        uvloop reads into a caller's buffer only for a protocol that is not also an
        asyncio.Protocol, as uvicorn's is; hence this wrapper rather than a mix-in. Past
        max_connections open at once, a new connection is answered 503 and closed before anything
        is read: one client opening thousands of half-sent heads grew a worker by 43 KiB each
        (session 13's probe, FB8).
        """

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._arguments = (args, kwargs)
            self.http: GuardedHttpToolsProtocol | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            nonlocal open_connections
            if open_connections >= max_connections:
                detail = f"This worker has {max_connections} connections open, its most; try again shortly."
                transport.write(problem_bytes(503, detail))  # type: ignore[attr-defined]
                transport.close()
                return
            open_connections += 1
            args, kwargs = self._arguments
            self.http = GuardedHttpToolsProtocol(*args, **kwargs)
            self.http.connection_made(transport)  # type: ignore[arg-type]

        def connection_lost(self, exc: Exception | None) -> None:
            nonlocal open_connections
            if self.http is not None:
                open_connections -= 1
                self.http.connection_lost(exc)

        def eof_received(self) -> bool:
            return self.http.eof_received() if self.http is not None else False

        def pause_writing(self) -> None:
            if self.http is not None:
                self.http.pause_writing()

        def resume_writing(self) -> None:
            if self.http is not None:
                self.http.resume_writing()

        def get_buffer(self, sizehint: int) -> memoryview:
            return read_buffer

        def buffer_updated(self, nbytes: int) -> None:
            if self.http is not None:
                self.http.data_received(read_buffer[:nbytes])

    return GuardedConnection
