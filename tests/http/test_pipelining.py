"""Issue 21, item 1: a client that pipelines requests and never reads the answers costs a
bounded amount of memory, and its connection is closed once nothing it is sent moves.

The bounds are MAX_PENDING_REQUESTS requests parsed and unanswered per connection (then the
connection is not read until answers are taken), READ_BUFFER_BYTES read but not parsed, and
TALL_SEND_TIMEOUT seconds for a blocked response (docs/limits-hostile.md). The figures under
one and 200 such connections are measured in tests/benchmarks/pipelining.py.
"""

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.http.live import HOST, LiveServer, live_server, read_responses, rss_mib

SEND_TIMEOUT = 2
REQUEST = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads memory from Linux /proc")


@pytest.fixture(scope="module")
def pipelined(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("pipelined"), {"TALL_SEND_TIMEOUT": str(SEND_TIMEOUT)}) as running:
        yield running


def _flood(port: int, seconds: float, request: bytes = REQUEST) -> tuple[int, bool]:
    """Pipeline a GET on one connection for seconds without reading: bytes the server's side
    accepted, and whether the server closed the connection."""
    burst = request * 512
    sent = 0
    with socket.create_connection((HOST, port)) as sock:
        sock.setblocking(False)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                sent += sock.send(burst)
            except BlockingIOError:
                time.sleep(0.01)
            except (BrokenPipeError, ConnectionResetError):
                return sent, True
    return sent, False


def test_unread_pipelined_requests_do_not_grow_the_worker(pipelined: LiveServer) -> None:
    before = rss_mib(pipelined.process.pid)
    sent, _ = _flood(pipelined.port, 3)
    grown = rss_mib(pipelined.process.pid) - before
    # Before the bound, the worker read and queued all it was sent: hundreds of MiB in 3 s.
    assert grown < 32, f"{grown:.0f} MiB more after {sent / 2**20:.0f} MiB of unread pipelined requests"


def test_a_client_that_reads_nothing_is_disconnected_after_the_send_timeout(pipelined: LiveServer) -> None:
    # A larger answer than /health's fills the socket buffers (several MiB on loopback) sooner.
    _, closed = _flood(pipelined.port, SEND_TIMEOUT + 20, b"GET /v1/meta HTTP/1.1\r\nHost: x\r\n\r\n")
    assert closed, f"the connection was still open {SEND_TIMEOUT + 20} s after its client stopped reading"


def test_every_pipelined_request_is_answered_in_order(pipelined: LiveServer) -> None:
    """Far more requests than are let pending at once, in one write: each is answered, in turn."""
    count = 1500
    requests = b"".join(
        REQUEST if i % 2 else b"GET /v1/unknown-%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(count)
    )
    assert len(requests) > 32 * 1024  # more than one read, more than one slice
    with socket.create_connection((HOST, pipelined.port)) as sock:
        sock.sendall(requests)
        answers = read_responses(sock, count)
    for i, (status, body) in enumerate(answers):
        if i % 2:
            assert status == 200 and b'"status":"ok"' in body, (i, status, body)
        else:
            assert status == 404 and f"/v1/unknown-{i}".encode() in body, (i, status, body)


BAD_REQUESTS = {
    "unknown method": (b"BREW / HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    "bare LF": (b"GET /health HTTP/1.1\nHost: x\n\n", 400),
    "HTTP/2.0": (b"GET /health HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    "no Host": (b"GET /health HTTP/1.1\r\n\r\n", 400),
    "a target too long": (b"GET /" + b"a" * 17_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    # Session 12's second probe (D1): refused in its body, the refusal went out before the earlier answers.
    "a bad chunk": (b"POST /mcp HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    "a bad chunk after a good one": (
        b"POST /fhir/ResearchStudy/_search HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\nzz\r\n",
        400,
    ),
}


@pytest.mark.parametrize("bad", sorted(BAD_REQUESTS))
def test_requests_read_before_a_refused_one_are_answered_first_in_order(server: LiveServer, bad: str) -> None:
    """Session 12's probe (B8): in one write, GET /health twice then a request the connection layer
    refuses got only the refusal, as if it answered the first GET (RFC 9112 9.3.2: in order)."""
    request, status = BAD_REQUESTS[bad]
    with socket.create_connection((HOST, server.port), timeout=10) as sock:
        sock.sendall(REQUEST * 2 + request)
        answers = read_responses(sock, 3)
        assert sock.recv(1) == b"", "the connection goes on after the refusal"
    assert [code for code, _ in answers] == [200, 200, status], answers
    assert b'"status":"ok"' in answers[0][1] and b'"status":"ok"' in answers[1][1]


@pytest.mark.parametrize("before", [0, 1, 2, 5])
def test_a_connect_to_an_authority_is_refused_after_the_requests_before_it(server: LiveServer, before: int) -> None:
    """Session 14's probe (GB2): `CONNECT a:1` behind one GET took the GET's place (only the 400 came);
    behind several, the last GET's answer was lost, the CONNECT never refused, the connection idle 5 s."""
    with socket.create_connection((HOST, server.port), timeout=10) as sock:
        sock.sendall(REQUEST * before + b"CONNECT a:1 HTTP/1.1\r\nHost: x\r\n\r\n")
        started = time.monotonic()
        answers = read_responses(sock, before + 1)
        assert sock.recv(1) == b"", "the connection goes on after the refusal"
        assert time.monotonic() - started < 3, "the refusal waited for the keep-alive timeout"
    assert [code for code, _ in answers] == [200] * before + [400], answers
    assert all(b'"status":"ok"' in body for _, body in answers[:before])
    assert b"not a path" in answers[-1][1] and b"CONNECT" in answers[-1][1], answers[-1]


def test_a_bad_chunk_of_a_request_answered_already_gets_no_second_answer(server: LiveServer) -> None:
    """A tenth probe's E2: a GET answered before its chunked body ended got an unsolicited 400 for a bad
    chunk that came after, which a client reusing the connection reads as its next answer."""
    with socket.create_connection((HOST, server.port), timeout=10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        (answer,) = read_responses(sock, 1)
        assert answer[0] == 200, answer
        time.sleep(0.3)
        sock.sendall(b"zz\r\n")
        rest = b""
        while chunk := sock.recv(65536):
            rest += chunk
        assert rest == b"", rest[:300]
