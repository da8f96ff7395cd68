"""The connections one worker holds open at once are bounded (TALL_MAX_CONNECTIONS).

Session 13's probe (FB8): one client opening thousands of connections, each with a request head sent
all but its last line, grew a worker by about 43 KiB each (136 to 394 MiB at 6,000), bounded only by
the process's descriptor limit. Past the bound a new connection is answered 503 with Retry-After and
closed before anything of it is read; once one closes, a new one is served again.
"""

import json
import re
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from tests.http.live import HOST, LiveServer, live_server, split_response

BOUND = 6
HALF_HEAD = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 8000 + b"\r\n"


@pytest.fixture(scope="module")
def bounded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("bounded"), {"TALL_MAX_CONNECTIONS": str(BOUND)}) as running:
        yield running


def _read_all(sock: socket.socket) -> bytes:
    sock.settimeout(10)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_a_connection_past_the_bound_is_answered_503_and_one_freed_is_served(bounded: LiveServer) -> None:
    with ExitStack() as held:
        for _ in range(BOUND):
            sock = held.enter_context(socket.create_connection((HOST, bounded.port)))
            sock.sendall(HALF_HEAD)  # a head never finished: held until the head deadline
        time.sleep(0.3)
        with socket.create_connection((HOST, bounded.port)) as extra:
            status, headers, body = split_response(_read_all(extra))
        assert status == 503, (status, headers, body[:300])
        assert headers["retry-after"] == "1" and headers["content-type"] == "application/problem+json"
        assert f"{BOUND} connections open" in json.loads(body)["detail"]
    time.sleep(0.3)  # the held ones closed: their places are free again
    assert httpx.get(f"{bounded.base}/health", timeout=10).status_code == 200
    assert "Traceback" not in bounded.output()


@pytest.mark.parametrize(
    ("path", "media_type"),
    [("/mcp", "application/json"), ("/fhir/ResearchStudy/_search", "application/x-www-form-urlencoded")],
)
def test_a_client_ending_its_side_before_the_body_frees_its_place_at_once(
    bounded: LiveServer, path: str, media_type: str
) -> None:
    """Session 13's second probe (FD3): a head of `POST /mcp` sent, then the client's side shut, held the
    connection until the 10 s body deadline: 1,030 of them, opened and closed in 0.01 s, made every request
    a 503 for 11 s. The body can no longer arrive: answered 400 and closed at once."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {media_type}\r\n"
        "Accept: application/json, text/event-stream\r\nContent-Length: 100\r\n\r\n{"
    ).encode()
    started = time.monotonic()
    for _ in range(BOUND * 2):
        with socket.create_connection((HOST, bounded.port)) as sock:
            sock.sendall(head)
            sock.shutdown(socket.SHUT_WR)
            status, _, _ = split_response(_read_all(sock))
            assert status == 400
    assert time.monotonic() - started < 5
    assert httpx.get(f"{bounded.base}/health", timeout=10).status_code == 200


def test_a_body_that_can_no_longer_come_is_refused_once_the_request_before_it_is_answered(
    bounded: LiveServer,
) -> None:
    """Session 14's probe (GB3): FD3's fix held for a request alone, not behind another: a whole `POST /mcp`
    then a half-sent one, and the client's side shut, held the place until the body deadline (10 s)."""
    body = b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}'

    def post(sent: bytes) -> bytes:
        return (
            b"POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Accept: application/json, text/event-stream\r\nContent-Length: %d\r\n\r\n" % len(body) + sent
        )

    started = time.monotonic()
    for _ in range(BOUND * 2):
        with socket.create_connection((HOST, bounded.port)) as sock:
            sock.sendall(post(body) + post(body[:10]))
            sock.shutdown(socket.SHUT_WR)
            answered = _read_all(sock)
        statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", answered)
        assert statuses == [b"200", b"400"], answered[-400:]
        assert b"ended its side before the request's body arrived" in answered
    assert time.monotonic() - started < 5
    assert httpx.get(f"{bounded.base}/health", timeout=10).status_code == 200
