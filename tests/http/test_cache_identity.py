"""Item 1: the response cache keys on exactly the headers the application reads.

Duplicate and empty header lines only exist on the wire, so these go through a real socket.
"""

import json
import socket

import pytest

from tests.http.live import HOST, LiveServer, read_until_closed, split_response


def _get(server: LiveServer, target: str, *header_lines: str) -> tuple[int, dict[str, str], bytes]:
    head = [f"GET {target} HTTP/1.1", *header_lines, "Connection: close", "", ""]
    return split_response(server.raw("\r\n".join(head).encode("latin-1")))


def test_an_empty_first_accept_cannot_store_json_under_the_csv_key(server: LiveServer) -> None:
    target = "/v1/sources?limit=3&offset=1"
    first = _get(server, target, "Host: a.example", "Accept:", "Accept: text/csv")
    plain = _get(server, target, "Host: a.example", "Accept: text/csv")
    assert plain[0] == 200
    assert plain[1]["content-type"].startswith("text/csv"), plain[1]
    # Whatever the first request was given, it was computed from the same reading of Accept.
    again = _get(server, target, "Host: a.example", "Accept:", "Accept: text/csv")
    assert first[1]["content-type"] == again[1]["content-type"]


def test_repeated_accept_lines_are_read_as_one_list(server: LiveServer) -> None:
    # RFC 9110 5.3: several lines of a list field mean the same as one line joined with commas.
    status, headers, _ = _get(server, "/v1/sources?limit=2&offset=2", "Host: a.example", "Accept:", "Accept: text/csv")
    assert status == 200
    assert headers["content-type"].startswith("text/csv")


def test_two_host_lines_are_refused_and_cannot_poison_the_real_hosts_links(server: LiveServer) -> None:
    target = "/v1/sources?limit=1&offset=3"
    status, headers, body = _get(server, target, "Host: ", "Host: evidence.example.org")
    # RFC 9112 3.2: more than one Host line is a bad request.
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["status"] == 400
    status, _, body = _get(server, target, "Host: evidence.example.org")
    assert status == 200
    links = json.loads(body)["links"]
    assert all(link is None or link.startswith("http://evidence.example.org/") for link in links.values()), links


def test_an_empty_host_does_not_share_the_key_of_the_bind_address(server: LiveServer) -> None:
    target = "/v1/sources?limit=1&offset=4"
    _get(server, target, "Host: ")
    status, _, body = _get(server, target, f"Host: 127.0.0.1:{server.port}")
    assert status == 200
    links = json.loads(body)["links"]
    assert all(link is None or link.startswith(f"http://127.0.0.1:{server.port}/") for link in links.values()), links


@pytest.mark.parametrize("hosts", [(b"Host: a.example", b"Host: b.example"), (b"Host: ",)])
def test_a_refused_host_closes_the_connection_what_follows_is_not_read(
    server: LiveServer, hosts: tuple[bytes, ...]
) -> None:
    """Refusals close the connection (docs, Limits): after Host lines a client and a proxy could read
    differently, a request pipelined behind is not answered (session 8's probe: it was kept open)."""
    first = b"GET /v1/meta HTTP/1.1\r\n" + b"\r\n".join(hosts) + b"\r\n\r\n"
    behind = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection((HOST, server.port), timeout=30) as sock:
        sock.sendall(first + behind)
        received, closed = read_until_closed(sock, 10)
    status, headers, _ = split_response(received)
    assert status == 400 and headers.get("connection") == "close"
    assert closed and received.count(b"HTTP/1.1 ") == 1, received[-400:]
