"""Session 7's probe: `Transfer-Encoding: gzip, chunked` on POST /mcp was taken as a plain body
(the parser takes the chunks apart and hands over the bytes still gzipped). A transfer coding the
server does not decode is now refused 501 (RFC 9112 6.1), in each face's own format, and the
connection closed; plain chunked bodies are read as before. Over a real socket to a real `serve`.
"""

import gzip
import json
import socket

import pytest

from tests.http.live import HOST, LiveServer, read_until_closed, split_response

WAIT = 10.0
MCP_HEAD = b"POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAccept: application/json\r\n"
FHIR_HEAD = b"POST /fhir/Evidence/_search HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
PING = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}).encode()


def _chunked(body: bytes) -> bytes:
    return f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"


def _exchange(server: LiveServer, data: bytes) -> tuple[int, dict[str, str], bytes, bool]:
    with socket.create_connection((HOST, server.port), timeout=WAIT) as sock:
        sock.sendall(data)
        received, closed = read_until_closed(sock, WAIT)
    assert b"\r\n\r\n" in received, received[:300]
    return (*split_response(received), closed)


@pytest.mark.parametrize("codings", ["gzip, chunked", "deflate, chunked", "identity, chunked", "GZIP,chunked"])
def test_mcp_refuses_a_transfer_coding_it_does_not_decode(server: LiveServer, codings: str) -> None:
    head = MCP_HEAD + f"Transfer-Encoding: {codings}\r\n\r\n".encode()
    status, headers, body, closed = _exchange(server, head + _chunked(gzip.compress(PING)))
    assert status == 501, body
    answer = json.loads(body)
    assert answer["jsonrpc"] == "2.0" and answer["id"] is None and answer["error"]["code"] == -32600, answer
    assert codings.split(",")[0].strip() in answer["error"]["message"], answer
    assert headers.get("connection") == "close" and closed, headers


def test_a_transfer_coding_over_two_header_lines_is_refused_too(server: LiveServer) -> None:
    head = MCP_HEAD + b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
    status, _, body, closed = _exchange(server, head + _chunked(gzip.compress(PING)))
    assert status == 501 and closed, body


def test_fhir_search_refuses_a_transfer_coding_it_does_not_decode(server: LiveServer) -> None:
    head = FHIR_HEAD + b"Transfer-Encoding: gzip, chunked\r\n\r\n"
    status, headers, body, closed = _exchange(server, head + _chunked(gzip.compress(b"_count=1")))
    assert status == 501, body
    outcome = json.loads(body)
    assert outcome["resourceType"] == "OperationOutcome", outcome
    assert outcome["issue"][0]["code"] == "not-supported" and "gzip" in outcome["issue"][0]["diagnostics"], outcome
    assert headers.get("connection") == "close" and closed, headers


@pytest.mark.parametrize("head", [MCP_HEAD, FHIR_HEAD], ids=["mcp", "fhir"])
def test_a_plain_chunked_body_is_still_read(server: LiveServer, head: bytes) -> None:
    body = PING if head == MCP_HEAD else b"_count=1"
    status, _, answer, _ = _exchange(
        server, head + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + _chunked(body)
    )
    assert status == 200, answer


@pytest.mark.parametrize(("head", "body"), [(MCP_HEAD, PING), (FHIR_HEAD, b"_count=1")], ids=["mcp", "fhir"])
@pytest.mark.parametrize("coding", ["gzip", "br", "identity, gzip"])
def test_a_content_coding_is_refused_415_naming_it(server: LiveServer, head: bytes, body: bytes, coding: str) -> None:
    """Session 15's probe (JB3): a gzipped body was read as it came, so a compressing client was told its JSON
    or its form was malformed. A content coding is not decoded here: 415 (RFC 9110 15.5.16), naming it."""
    coded = gzip.compress(body)
    request = head + f"Content-Encoding: {coding}\r\nContent-Length: {len(coded)}\r\n\r\n".encode() + coded
    status, headers, answer, closed = _exchange(server, request)
    assert status == 415, answer
    text = answer.decode()
    assert f"the content coding {coding.split(',')[-1].strip()!r} is not one this server decodes" in text, text
    assert headers.get("connection") == "close" and closed, headers


@pytest.mark.parametrize(("head", "body"), [(MCP_HEAD, PING), (FHIR_HEAD, b"_count=1")], ids=["mcp", "fhir"])
def test_the_identity_content_coding_is_the_body_as_is(server: LiveServer, head: bytes, body: bytes) -> None:
    extra = f"Content-Encoding: identity\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    status, _, answer, _ = _exchange(server, head + extra.encode() + body)
    assert status == 200, answer
