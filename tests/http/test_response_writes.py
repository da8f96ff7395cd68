"""A response's head goes out with its body in one send, and nothing a client waits for is held back.

The connection layer (api.server.ReadGate) holds a final response's head until the response's
first body bytes, so that both leave in one vectored send instead of two. These tests check the
holding itself on a recording transport, and over a real socket that every kind of response
still arrives whole and at once: one without body bytes (HEAD, 304), a streamed export, an
interim 100 Continue (which the client waits for before it sends the body), and the refusals
the layer writes itself before closing.
"""

import socket
from typing import Any

import pytest

from api.server import ReadGate
from tests.http.live import HOST, LiveServer, split_response

WAIT = 10.0


class RecordingTransport:
    """The transport calls a ReadGate makes, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.calls.append(("write", data))

    def writelines(self, parts: Any) -> None:
        self.calls.append(("writelines", tuple(parts)))

    def close(self) -> None:
        self.calls.append(("close", None))
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing


def _gate() -> tuple[ReadGate, RecordingTransport]:
    transport = RecordingTransport()
    return ReadGate(transport), transport  # type: ignore[arg-type]


HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n"


def test_a_final_head_is_sent_with_the_first_body_bytes_in_one_vectored_send() -> None:
    gate, transport = _gate()
    gate.write(HEAD)
    assert transport.calls == []
    gate.write(b"body")
    assert transport.calls == [("writelines", (HEAD, b"body"))]
    gate.write(b"more")  # later body bytes go out as they come
    assert transport.calls[-1] == ("write", b"more")


def test_a_held_head_is_sent_alone_when_the_response_ends_without_body_bytes() -> None:
    gate, transport = _gate()
    gate.write(b"HTTP/1.1 304 Not Modified\r\netag: x\r\n\r\n")
    gate.flush()
    assert transport.calls == [("write", b"HTTP/1.1 304 Not Modified\r\netag: x\r\n\r\n")]
    gate.flush()  # nothing held: nothing sent twice
    assert len(transport.calls) == 1


def test_closing_sends_a_held_head_first() -> None:
    gate, transport = _gate()
    gate.write(HEAD)
    gate.close()
    assert transport.calls == [("write", HEAD), ("close", None)]


def test_an_interim_response_is_never_held() -> None:
    gate, transport = _gate()
    gate.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert transport.calls == [("write", b"HTTP/1.1 100 Continue\r\n\r\n")]


def test_nothing_is_written_to_a_closing_transport() -> None:
    gate, transport = _gate()
    gate.write(HEAD)
    transport.closing = True
    gate.write(b"body")
    gate.flush()
    assert transport.calls == []


def _read_response(sock: socket.socket, request: bytes, until: bytes | None) -> bytes:
    received = b""
    while True:
        chunk = sock.recv(65536)
        assert chunk, f"closed before the response was whole: {received[:300]!r}"
        received += chunk
        if until is not None:
            if until in received:
                return received
            continue
        if b"\r\n\r\n" in received:
            status, headers, body = split_response(received)
            if request.startswith(b"HEAD") or status == 304 or len(body) >= int(headers.get("content-length", "0")):
                return received


def _exchange(port: int, request: bytes, *, until: bytes | None = None) -> bytes:
    """Send a request twice, one after the other, on one kept-alive connection and return the first
    answer: were a head held until the server closed the connection (its keep-alive timeout), the
    second request would find it closed."""
    with socket.create_connection((HOST, port), timeout=WAIT) as sock:
        sock.sendall(request)
        first = _read_response(sock, request, until)
        sock.sendall(request)
        second = _read_response(sock, request, until)
    assert split_response(second)[0] == split_response(first)[0]
    return first


def test_a_head_request_is_answered_at_once_on_a_kept_alive_connection(server: LiveServer) -> None:
    received = _exchange(server.port, b"HEAD /v1/studies HTTP/1.1\r\nHost: x\r\n\r\n")
    status, headers, body = split_response(received)
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0


def test_a_304_is_answered_at_once_on_a_kept_alive_connection(server: LiveServer) -> None:
    first = _exchange(server.port, b"GET /v1/studies HTTP/1.1\r\nHost: x\r\n\r\n")
    etag = split_response(first)[1]["etag"]
    conditional = b"GET /v1/studies HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + etag.encode() + b"\r\n\r\n"
    received = _exchange(server.port, conditional)
    assert split_response(received)[0] == 304


def test_a_streamed_export_arrives_whole(server: LiveServer) -> None:
    received = _exchange(
        server.port, b"GET /v1/outcomes?format=ndjson HTTP/1.1\r\nHost: x\r\n\r\n", until=b"\r\n0\r\n\r\n"
    )
    head, _, chunked = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"transfer-encoding: chunked" in head.lower()
    assert chunked.endswith(b"\r\n0\r\n\r\n") and b'"measure"' in chunked


def test_100_continue_arrives_before_the_client_sends_the_body(server: LiveServer) -> None:
    body = b'{"jsonrpc":"2.0","id":1,"method":"ping"}'
    head = (
        b"POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Accept: application/json, text/event-stream\r\nExpect: 100-continue\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    with socket.create_connection((HOST, server.port), timeout=WAIT) as sock:
        sock.sendall(head)
        interim = sock.recv(65536)  # the body is not sent until this arrives
        assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), interim[:200]
        sock.sendall(body)
        received = interim.removeprefix(b"HTTP/1.1 100 Continue\r\n\r\n")
        while b"\r\n\r\n" not in received:
            received += sock.recv(65536)
    assert received.startswith(b"HTTP/1.1 200"), received[:300]


@pytest.mark.parametrize(
    "request_bytes, status",
    [
        (b"GET /v1/studies HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        (b"GET /v1/studies HTTP/1.1\r\n\r\n", 400),
    ],
)
def test_refusals_written_before_closing_arrive_whole(server: LiveServer, request_bytes: bytes, status: int) -> None:
    received = server.raw(request_bytes)
    got, headers, body = split_response(received)
    assert got == status and len(body) == int(headers["content-length"]) and b'"status"' in body
