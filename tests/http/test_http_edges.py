"""Issue 21, item 9: HTTP edges over a real socket. Another HTTP version, or a request line with
none, is 505; HTTP/1.1 without Host and bare-LF line ends are 400; a WebSocket or h2c upgrade is
answered as plain HTTP with the usual headers, and what follows it read as the next request (a body
asking to upgrade is refused); a GET whose body trickles in gets its answer and nothing
more; a 2 KB query of bad values gets a short 422; a URL over the head limit is 414, as the
OpenAPI document says. (If-None-Match over two lines: tests/http/test_identity.py.)
"""

import json
import socket
import time
from urllib.parse import quote

import httpx
import pytest

from api.server import MAX_HEAD_BYTES
from tests.http.live import HOST, LiveServer, read_until_closed, split_response

PROBLEM = "application/problem+json"


def _problem(data: bytes) -> tuple[int, dict[str, str]]:
    status, headers, body = split_response(data)
    assert headers.get("content-type") == PROBLEM, (status, headers, body[:200])
    assert json.loads(body)["status"] == status
    return status, headers


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /v1/meta HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        (b"GET /v1/meta\r\nHost: x\r\n\r\n", 505),
        (b"GET /v1/meta HTTP/1.1\r\n\r\n", 400),
        (b"GET /v1/meta HTTP/1.1\nHost: x\n\n", 400),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
        # A tab after a known method is a malformed line, not an unknown method (session 13's probe, FB9).
        (b"GET\t/health HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"BREW /health HTTP/1.1\r\nHost: x\r\n\r\n", 405),
        # Versions as RFC 9113 and 9114 write them, and one of two digits (session 14's second probe, HB3: 400).
        (b"GET /v1/meta HTTP/2\r\nHost: x\r\n\r\n", 505),
        (b"GET /v1/meta HTTP/3\r\nHost: x\r\n\r\n", 505),
        (b"GET /v1/meta HTTP/10.0\r\nHost: x\r\n\r\n", 505),
    ],
    ids=[
        "HTTP/2.0",
        "no version",
        "no Host",
        "bare LF",
        "HTTP/2 preface",
        "tab after the method",
        "unknown method",
        "HTTP/2",
        "HTTP/3",
        "HTTP/10.0",
    ],
)
def test_heads_this_server_does_not_serve_are_refused(server: LiveServer, request_bytes: bytes, status: int) -> None:
    status_got, _ = _problem(data := server.raw(request_bytes))
    assert status_got == status
    # In the server's own words (session 13's probe, FB1: the preface got the parser's 'Pause on PRI/Upgrade').
    assert b"Pause on" not in data


def test_http_1_0_without_host_is_still_served(server: LiveServer) -> None:
    status, _, _ = split_response(server.raw(b"GET /health HTTP/1.0\r\n\r\n"))
    assert status == 200


def test_a_websocket_upgrade_is_answered_as_http_with_the_security_headers(server: LiveServer) -> None:
    request = (
        b"GET /v1/meta HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    status, headers, _ = split_response(server.raw(request, answered=True))
    assert status == 200, headers
    assert headers.get("x-content-type-options") == "nosniff"


# Session 7's probe: httptools skips the body of a request asking to Upgrade and stops reading at
# its head, so `curl --http2 -d _id=... /fhir/ResearchStudy/_search` (Upgrade: h2c) got 200 with
# the unfiltered search, a valid /mcp message a parse error, and a request pipelined behind any
# Upgrade no answer; each Upgrade also logged two warnings.
UPGRADE = b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n"


@pytest.mark.parametrize(
    ("head", "body"),
    [
        (b"POST /fhir/ResearchStudy/_search HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n", b"_id=x"),
        (
            b"POST /mcp HTTP/1.1\r\nContent-Type: application/json\r\nAccept: application/json\r\n",
            b'{"jsonrpc":"2.0","id":1,"method":"ping"}',
        ),
    ],
    ids=["fhir-search", "mcp"],
)
def test_a_body_asking_to_upgrade_is_refused_not_read_as_empty(server: LiveServer, head: bytes, body: bytes) -> None:
    request = head + b"Host: x\r\n" + UPGRADE + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    status, headers, answer = split_response(server.raw(request, timeout=10))
    assert status == 400, answer[:300]
    document = json.loads(answer)
    # In the face's own form (session 8's probe, P10): an OperationOutcome, a JSON-RPC error object.
    if head.startswith(b"POST /fhir/"):
        assert headers["content-type"] == "application/fhir+json"
        assert "Upgrade" in document["issue"][0]["diagnostics"]
    else:
        assert headers["content-type"] == "application/json" and document["error"]["code"] == -32600
        assert "Upgrade" in document["error"]["message"]
    assert headers.get("connection") == "close"


def test_requests_pipelined_behind_an_upgrade_are_answered_and_nothing_logged(server: LiveServer) -> None:
    log_before = len(server.output())
    request = (
        b"GET /health HTTP/1.1\r\nHost: x\r\n" + UPGRADE + b"\r\n"
        b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
        b"GET /v1/meta HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    received = server.raw(request, timeout=10)
    assert received.count(b"HTTP/1.1 200 OK\r\n") == 3, received[-500:]
    assert b'"dataset_version"' in received.rsplit(b"HTTP/1.1 200 OK", 1)[1]
    time.sleep(0.2)
    assert "upgrade" not in server.output()[log_before:].lower(), server.output()[log_before:]


def test_a_get_whose_body_trickles_in_gets_one_answer_and_no_408(short_server: LiveServer) -> None:
    with socket.create_connection((HOST, short_server.port), timeout=30) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n")
        received = b""
        for _ in range(20):
            try:
                sock.sendall(b"a")
            except (BrokenPipeError, ConnectionResetError):
                break  # closed at the body deadline (tests/http/test_body_deadline.py), with no 408
            time.sleep(0.6)  # 12 s in all: past the short server's head and body deadlines
        sock.settimeout(3)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            pass
    assert received.startswith(b"HTTP/1.1 200"), received[:200]
    assert b"408" not in received, received


def test_a_long_query_of_bad_values_gets_a_short_answer(server: LiveServer) -> None:
    query = "&".join(f"z{i}=1" for i in range(300))[:2000]
    data = server.raw(f"GET /v1/studies?{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    status, _, body = split_response(data)
    assert status == 422
    assert len(body) < 16 * 1024, len(body)
    assert "more problem(s)" in json.loads(body)["errors"][-1]["message"]


def test_a_url_longer_than_the_head_limit_is_414(server: LiveServer) -> None:
    path = "/v1/studies/" + quote("x" * (MAX_HEAD_BYTES + 100))
    assert _problem(server.raw(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()))[0] == 414


MCP_LIST = b'{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}'
HALF_CLOSED = {
    "GET": b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n",
    "HTTP/1.0": b"GET /v1/meta HTTP/1.0\r\n\r\n",
    "two pipelined": b"GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/meta HTTP/1.1\r\nHost: x\r\n\r\n",
    "POST /mcp": b"POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Accept: application/json, text/event-stream\r\nContent-Length: %d\r\n\r\n%s" % (len(MCP_LIST), MCP_LIST),
}


@pytest.mark.parametrize("name", sorted(HALF_CLOSED))
def test_a_request_followed_by_a_half_close_is_answered_then_the_connection_closed(
    server: LiveServer, name: str
) -> None:
    # Session 9's probe: a client that shuts its sending side after the request (shutdown(SHUT_WR))
    # was never answered: the connection closed on the end of its input.
    data = HALF_CLOSED[name]
    with socket.create_connection((HOST, server.port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        answer, closed = read_until_closed(sock, 10)
    assert closed, answer[:200]
    assert answer.count(b" 200 OK\r\n") == data.count(b" HTTP/1."), answer[:300]


def test_a_half_close_with_nothing_asked_or_half_a_head_closes_at_once(server: LiveServer) -> None:
    for data in (b"", b"GET /hea"):
        with socket.create_connection((HOST, server.port), timeout=10) as sock:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            started = time.monotonic()
            answer, closed = read_until_closed(sock, 10)
        assert closed and answer == b"" and time.monotonic() - started < 5, (data, answer)


def test_an_http_1_0_client_asking_for_100_continue_gets_no_interim_answer(server: LiveServer) -> None:
    # RFC 9110 10.1.1: a server ignores 100-continue from HTTP/1.0 (session 9's probe, N11: it was sent).
    head = (
        b"POST /mcp HTTP/1.0\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Accept: application/json, text/event-stream\r\nExpect: 100-continue\r\n"
        b"Content-Length: %d\r\n\r\n" % len(MCP_LIST)
    )
    answer = server.raw(head + MCP_LIST)
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and b" 100 Continue" not in answer, answer[:200]
    http_1_1 = server.raw(head.replace(b"HTTP/1.0", b"HTTP/1.1") + MCP_LIST, timeout=3)
    assert http_1_1.startswith(b"HTTP/1.1 100 Continue\r\n"), http_1_1[:200]


def test_a_cross_origin_fhir_search_may_ask_for_strict_handling(http: httpx.Client) -> None:
    """Session 10's probe (P6): the preflight refused `Prefer`, so a page on another origin could never
    send FHIR's documented `Prefer: handling=strict`; it is allowed beside If-None-Match now."""
    preflight = {
        "Origin": "https://lab.example.org",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "prefer, if-none-match",
    }
    response = http.options("/fhir/Evidence", headers=preflight)
    assert response.status_code == 200, response.text
    assert {"prefer", "if-none-match"} <= {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    strict = http.get(
        "/fhir/Evidence?no-such-parameter=1", headers={"Origin": "https://lab.example.org", "Prefer": "handling=strict"}
    )
    assert strict.status_code == 400 and strict.headers["access-control-allow-origin"] == "*"
