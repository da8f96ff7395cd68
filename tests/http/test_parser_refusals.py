"""Item 10: requests the HTTP parser refuses, and bad Range headers on static files, are answered as
problem details like every other refusal (README, Limits, says which answers cannot be)."""

import json

import httpx
import pytest

from tests.http.live import LiveServer, split_response

PROBLEM = "application/problem+json"

MALFORMED = {
    "lower-case method": b"get /v1/meta HTTP/1.1\r\nHost: x\r\n\r\n",
    "unknown method": b"FROB /v1/meta HTTP/1.1\r\nHost: x\r\n\r\n",
    "bare LF": b"GET /v1/meta HTTP/1.1\nHost: x\n\n",
    "raw non-ASCII in the path": "GET /v1/stüdies HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
    "HTTP/1.2": b"GET /v1/meta HTTP/1.2\r\nHost: x\r\n\r\n",
    "space in header name": b"GET /v1/meta HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n",
    "NUL in header value": b"GET /v1/meta HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n",
    "conflicting lengths": b"GET /v1/meta HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_parser_refusals_are_problem_details(server: LiveServer, name: str) -> None:
    status, headers, body = split_response(server.raw(MALFORMED[name]))
    assert 400 <= status < 500 or status in (501, 505), status
    assert headers.get("content-type") == PROBLEM, (name, headers, body[:200])
    problem = json.loads(body)
    assert problem["status"] == status
    assert headers.get("connection") == "close"


@pytest.mark.parametrize("value", ["bytes=9999999-", "bytes=abc", "bytes=5-1", "lines=0-1"])
def test_bad_ranges_on_static_files_are_problem_details(http: httpx.Client, value: str) -> None:
    response = http.get("/static/favicon.svg", headers={"Range": value})
    if response.status_code in (200, 206):
        return  # a server may ignore a Range it does not understand (RFC 9110 14.2)
    assert response.status_code in (400, 416), response.status_code
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == response.status_code
