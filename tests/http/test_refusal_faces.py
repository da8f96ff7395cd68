"""Session 8's probe (issue 21, P10): the connection layer's refusals (no Host, a target or head too
long, a version not served, an absolute form not taken, an Upgrade with a body) and the query-string
limits were problem details under /fhir and /mcp too. Each face answers its errors in its own form,
over a real socket: an OperationOutcome under /fhir, a JSON-RPC error object at /mcp, problem
details elsewhere; a refusal whose target was not read (the next head after a complete one) stays
problem details."""

import json
import socket

import pytest

from tests.http.live import HOST, LiveServer, raw_exchange, read_responses, read_until_closed, split_response

MCP_HEADERS = b"Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
MCP_BODY = b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
LONG = b"a" * 20_000


def _mcp(request_line: bytes, host: bytes = b"Host: x\r\n") -> bytes:
    return request_line + b"\r\n" + host + MCP_HEADERS + b"Content-Length: %d\r\n\r\n" % len(MCP_BODY) + MCP_BODY


CASES = {
    "fhir, no Host": (b"GET /fhir/metadata HTTP/1.1\r\n\r\n", 400),
    "fhir, target too long": (b"GET /fhir/metadata?x=" + LONG + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    "fhir, head too large": (b"GET /fhir/metadata HTTP/1.1\r\nHost: x\r\nX-Big: " + LONG + b"\r\n\r\n", 431),
    "fhir, HTTP/2.0": (b"GET /fhir/metadata HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    "fhir, absolute form not http": (b"GET ftp://a/fhir/metadata HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "fhir, Upgrade with a body": (
        b"POST /fhir/ResearchStudy/_search HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=b",
        400,
    ),
    # Session 11's second probe (Q5): refused before the parser handed the target on, these were
    # problem details under /fhir too.
    "fhir, a raw non-ASCII byte in the target": (
        b"GET /fhir/ResearchStudy?_count=\xc2\xb2 HTTP/1.1\r\nHost: x\r\n\r\n",
        400,
    ),
    "fhir, a method in lower case": (b"get /fhir/ResearchStudy HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    # Session 13's probe (FB9): a tab after the method was 405 and problem details under /fhir.
    "fhir, a tab after the method": (b"GET\t/fhir/ResearchStudy HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "mcp, a raw non-ASCII byte in the target": (_mcp(b"POST /mcp?\xff HTTP/1.1"), 400),
    "mcp, no Host": (_mcp(b"POST /mcp HTTP/1.1", host=b""), 400),
    "mcp, query too long": (_mcp(b"POST /mcp?" + b"a" * 3000 + b" HTTP/1.1"), 414),
    "mcp, query not UTF-8": (_mcp(b"POST /mcp?x=%ff HTTP/1.1"), 400),
    "mcp, head too large": (_mcp(b"POST /mcp HTTP/1.1", host=b"Host: x\r\nX-Big: " + LONG + b"\r\n"), 431),
    # Session 12's probe (B6): an unknown method under /fhir and /mcp, and every refusal under /embed/.
    "fhir, an unknown method": (b"BREW /fhir/Evidence HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    "mcp, an unknown method": (_mcp(b"BREW /mcp HTTP/1.1"), 405),
    "embed, no Host": (b"GET /embed/table HTTP/1.1\r\n\r\n", 400),
    "embed, HTTP/3.0": (b"GET /embed/table HTTP/3.0\r\nHost: x\r\n\r\n", 505),
    "embed, head too large": (b"GET /embed/table HTTP/1.1\r\nHost: x\r\nX-Big: " + LONG + b"\r\n\r\n", 431),
    "api, no Host": (b"GET /v1/studies HTTP/1.1\r\n\r\n", 400),
    "api, target too long": (b"GET /v1/studies?x=" + LONG + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_refusal_takes_the_form_of_the_face_asked(server: LiveServer, case: str) -> None:
    data, expected = CASES[case]
    status, headers, body = split_response(raw_exchange(server.port, data, answered=True))
    assert status == expected, (case, body[:300])
    # What every answer carries (docs, Limits), and Date (RFC 9110 6.6.1: a server with a clock sends it).
    assert headers["referrer-policy"] == "no-referrer" and headers["x-content-type-options"] == "nosniff"
    assert headers["date"].endswith(" GMT")
    if case.startswith("embed"):  # read in an iframe: the embed pages' own error page
        assert headers["content-type"] == "text/html; charset=utf-8", headers
        assert f'data-status="{expected}"' in body.decode() and "te-detail" in body.decode()
        return
    document = json.loads(body)
    if case.startswith("fhir"):
        assert headers["content-type"].startswith("application/fhir+json"), headers
        assert document["resourceType"] == "OperationOutcome"
        (issue,) = document["issue"]
        assert issue["severity"] == "error" and issue["diagnostics"]
        assert (
            issue["code"]
            == {400: "invalid", 405: "not-supported", 414: "too-long", 431: "too-long", 505: "not-supported"}[expected]
        )
    elif case.startswith("mcp"):
        assert headers["content-type"].startswith("application/json"), headers
        assert document["jsonrpc"] == "2.0" and document["id"] is None
        assert document["error"]["code"] == -32600 and document["error"]["message"]
    else:
        assert headers["content-type"] == "application/problem+json", headers
        assert document["status"] == expected


def test_a_refusal_after_a_complete_request_is_not_taken_for_that_requests_face(server: LiveServer) -> None:
    """The target read belongs to the request being parsed: bytes after a FHIR request that are no
    request (an unknown method) are refused as problem details, not in the form of the one before."""
    with socket.create_connection((HOST, server.port), timeout=30) as sock:
        sock.sendall(b"GET /fhir/metadata HTTP/1.1\r\nHost: x\r\n\r\n")
        ((first_status, _),) = read_responses(sock, 1)
        assert first_status == 200
        sock.sendall(b"\x00\x01 not a request\r\n\r\n")
        received, _ = read_until_closed(sock, 30)
    status, headers, _ = split_response(received)
    assert status == 405 and headers["content-type"] == "application/problem+json", received[:400]
