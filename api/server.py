"""The HTTP connection layer under the application: bounded request heads and timeouts, refusals as problem details.

uvicorn's httptools protocol buffers a request head of any size and keeps a connection
that never sends a byte open for good; the requests its parser refuses are answered in
plain text. This subclass bounds the head (MAX_HEAD_BYTES, answered 431), gives every
request head a deadline from its first byte, or from the connection's opening, (answered
408 when partly sent, closed silently when nothing was sent), and answers each parser
refusal as RFC 9457 problem details. What still cannot be answered in that format is
listed in the README (Limits).
"""

import asyncio
import json
from http import HTTPStatus
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from models.problem import Problem

PROBLEM_MEDIA_TYPE = b"application/problem+json"
# The request line and every header line, as on the wire; as h11's and Node's default.
MAX_HEAD_BYTES = 16 * 1024
ALLOW = b"GET, HEAD, OPTIONS"


class HeadTooLarge(Exception):
    """Raised inside a parser callback: the head is over MAX_HEAD_BYTES."""


def problem_bytes(status: int, detail: str) -> bytes:
    """A complete HTTP/1.1 response carrying problem details, closing the connection."""
    body = json.dumps(
        Problem(title=HTTPStatus(status).phrase, status=status, detail=detail).model_dump(), separators=(",", ":")
    ).encode()
    head = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}".encode(),
        b"content-type: " + PROBLEM_MEDIA_TYPE,
        b"content-length: " + str(len(body)).encode(),
        b"x-content-type-options: nosniff",
        b"connection: close",
    ]
    if status == 405:
        head.append(b"allow: " + ALLOW)
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def parser_refusal(exc: httptools.HttpParserError) -> tuple[int, str]:
    """The status and detail for a request head the parser refuses."""
    reason = str(exc) or "malformed request"
    if isinstance(exc, httptools.HttpParserInvalidMethodError):
        return 405, f"The request method is not one this server knows ({reason}); methods are case-sensitive."
    if "version" in reason.lower():
        return 505, f"Only HTTP/1.0 and HTTP/1.1 are served ({reason})."
    if isinstance(exc, httptools.HttpParserInvalidURLError):
        return 400, f"The request target is not a valid URL ({reason}); non-ASCII characters must be percent-encoded."
    return 400, f"The request is not valid HTTP/1.1 ({reason})."


def guarded_protocol(*, header_timeout: float) -> type[HttpToolsProtocol]:
    """The protocol class for uvicorn.run(http=...), with the given request-head deadline (seconds)."""

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._awaiting_head = True
            self._head_bytes = 0  # bytes read since the head began, ended or not
            self._head_size = 0  # bytes of the lines the parser has handed over
            self._head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm_head_timer()  # a client that never sends a byte is closed after the deadline too

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_head_timer()
            super().connection_lost(exc)

        def _arm_head_timer(self) -> None:
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(header_timeout, self._head_timed_out)

        def _cancel_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if self.transport.is_closing() or not self._awaiting_head:
                return
            if self._head_bytes:
                detail = f"The request head did not arrive within {header_timeout:g} seconds."
                self.transport.write(problem_bytes(408, detail))
            self.transport.close()

        def _refuse(self, status: int, detail: str) -> None:
            self._cancel_head_timer()
            self._unset_keepalive_if_required()
            if not self.transport.is_closing():
                self.transport.write(problem_bytes(status, detail))
                self.transport.close()

        def data_received(self, data: bytes) -> None:
            self._unset_keepalive_if_required()
            if self._awaiting_head:
                self._head_bytes += len(data)
                self._arm_head_timer()
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserCallbackError as exc:
                if isinstance(exc.__context__, HeadTooLarge):
                    self._refuse(431, f"The request head is over {MAX_HEAD_BYTES} bytes.")
                else:
                    self._refuse(400, "The request is not valid HTTP/1.1.")
                return
            except httptools.HttpParserUpgrade:
                if self._should_upgrade():
                    self.handle_websocket_upgrade()
                else:
                    self._unsupported_upgrade_warning()
                return
            except httptools.HttpParserError as exc:
                self._refuse(*parser_refusal(exc))
                return
            if self._awaiting_head and self._head_bytes > MAX_HEAD_BYTES:
                # Still no end of head after this many bytes: refuse before buffering more.
                self._refuse(431, f"The request head is over {MAX_HEAD_BYTES} bytes.")

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._awaiting_head = True
            self._head_size = 0

        def on_url(self, url: bytes) -> None:
            super().on_url(url)
            self._count(len(url))

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count(len(name) + len(value) + 4)
            super().on_header(name, value)

        def _count(self, size: int) -> None:
            # The parser hands over whole lines: a head that arrived in one read is measured here.
            self._head_size += size
            if self._head_size > MAX_HEAD_BYTES:
                raise HeadTooLarge

        def on_headers_complete(self) -> None:
            self._awaiting_head = False
            self._head_bytes = 0
            self._cancel_head_timer()
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._awaiting_head = True  # the next request's head; its deadline starts with its first byte

        def send_400_response(self, msg: str) -> None:
            self._refuse(400, msg)

    return GuardedHttpToolsProtocol
