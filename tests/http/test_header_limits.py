"""Item 4: header size and connection idle time are bounded; refusals come in our format.

The bounds are the documented ones (README, Limits): a header section of at most 16 KiB,
a request head that must arrive within the header timeout, idle keep-alive connections
closed after the keep-alive timeout. The server for these tests runs with short timeouts.
"""

import json
import socket
import time
from collections.abc import Iterator

import pytest

from tests.http.live import HOST, LiveServer, live_server, read_until_closed, split_response

HEADER_TIMEOUT = 2
KEEP_ALIVE = 2


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {"TALL_HEADER_TIMEOUT": str(HEADER_TIMEOUT), "TALL_KEEP_ALIVE_TIMEOUT": str(KEEP_ALIVE)}
    with live_server(tmp_path_factory.mktemp("quick"), env) as running:
        yield running


def _closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Whether the server closed the connection within seconds, and what it sent before."""
    received, closed = read_until_closed(sock, seconds)
    return closed, received


def _assert_problem(data: bytes, statuses: tuple[int, ...]) -> None:
    status, headers, body = split_response(data)
    assert status in statuses, data[:300]
    assert headers["content-type"] == "application/problem+json", headers
    assert json.loads(body)["status"] == status


def test_a_one_megabyte_header_line_is_refused_with_431(quick: LiveServer) -> None:
    request = b"GET /v1/meta HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 1_000_000 + b"\r\nConnection: close\r\n\r\n"
    _assert_problem(quick.raw(request), (431,))


def test_many_headers_adding_up_past_the_limit_are_refused(quick: LiveServer) -> None:
    lines = b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 1000) for i in range(40))
    _assert_problem(quick.raw(b"GET /v1/meta HTTP/1.1\r\nHost: x\r\n" + lines + b"Connection: close\r\n\r\n"), (431,))


def test_headers_just_under_the_limit_are_served(quick: LiveServer) -> None:
    lines = b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 1000) for i in range(12))
    status, _, _ = split_response(
        quick.raw(b"GET /v1/meta HTTP/1.1\r\nHost: x\r\n" + lines + b"Connection: close\r\n\r\n")
    )
    assert status == 200


def test_an_unfinished_huge_header_is_cut_off_without_buffering_it(quick: LiveServer) -> None:
    with socket.create_connection((HOST, quick.port), timeout=10) as sock:
        sock.sendall(b"GET /v1/meta HTTP/1.1\r\nHost: x\r\nX-Big: ")
        sent = 0
        try:
            while sent < 20_000_000:
                sock.sendall(b"c" * 65536)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass
        closed, received = _closed_within(sock, 5)
    assert sent < 20_000_000, "the server read 20 MB of one header line"
    assert closed
    if received:
        _assert_problem(received, (431,))


def test_a_connection_that_never_sends_a_byte_is_closed(quick: LiveServer) -> None:
    with socket.create_connection((HOST, quick.port), timeout=10) as sock:
        closed, received = _closed_within(sock, HEADER_TIMEOUT + 5)
    assert closed
    assert received == b""  # nothing was asked, so nothing is answered


def _dribble_until_cut_off(sock: socket.socket) -> None:
    """Send a request head a byte every 0.1 s: the server must close the connection within its head deadline."""
    started = time.monotonic()
    closed = False
    for byte in b"GET /v1/meta HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"z" * 200:
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        time.sleep(0.1)
        if time.monotonic() - started > HEADER_TIMEOUT + 5:
            break
    if not closed:
        closed, _ = _closed_within(sock, 1)
    assert closed
    assert time.monotonic() - started < HEADER_TIMEOUT + 5


def test_a_request_head_dribbled_byte_by_byte_is_cut_off(quick: LiveServer) -> None:
    with socket.create_connection((HOST, quick.port), timeout=10) as sock:
        _dribble_until_cut_off(sock)


def test_a_second_head_dribbled_after_an_answered_request_is_cut_off(quick: LiveServer) -> None:
    # The first head of a connection has a deadline from the connection's opening; a later one gets
    # its own from its first byte (armed only when a read leaves it unfinished).
    with socket.create_connection((HOST, quick.port), timeout=10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        answered = b""
        while b"\r\n\r\n" not in answered:
            answered += sock.recv(65536)
        assert answered.startswith(b"HTTP/1.1 200")
        _dribble_until_cut_off(sock)


def test_an_idle_keep_alive_connection_is_closed(quick: LiveServer) -> None:
    with socket.create_connection((HOST, quick.port), timeout=10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.5)
        closed, received = _closed_within(sock, KEEP_ALIVE + 5)
    assert closed
    assert b"200" in received.split(b"\r\n", 1)[0] or received == b""
