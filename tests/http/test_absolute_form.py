"""Issue 21, last probe: an absolute-form request target (`GET http://other.example/v1/... HTTP/1.1`)
was served as if Host had named the target; RFC 9112 3.2.2 says the server must use the target's
authority instead. The choice made: honour it, consistently with Host: the authority takes the
Host line's place before any layer reads it, so the answer's links, the response cache's key and
the ETag are those of a request naming that host in Host. An absolute target this server cannot
take (another scheme, a user name, no host) is a 400 in problem details.
"""

import json

import pytest

from tests.http.live import LiveServer, split_response

PAGE = "/v1/studies?limit=1"  # its links are absolute, on the host asked


def _get(server: LiveServer, target: str, host: str | None, *, version: str = "1.1", extra: str = "") -> bytes:
    host_line = f"Host: {host}\r\n" if host is not None else ""
    return server.raw(f"GET {target} HTTP/{version}\r\n{host_line}{extra}Connection: close\r\n\r\n".encode())


def _next_link(data: bytes) -> str:
    status, _, body = split_response(data)
    assert status == 200, data[:300]
    return str(json.loads(body)["links"]["next"])


def test_the_authority_of_an_absolute_target_is_the_host_of_its_links_and_tag(server: LiveServer) -> None:
    absolute = _get(server, f"http://other.example{PAGE}", "127.0.0.1")
    by_host = _get(server, PAGE, "other.example")
    assert _next_link(absolute).startswith("http://other.example/v1/studies?")
    assert split_response(absolute)[2] == split_response(by_host)[2]
    assert split_response(absolute)[1]["etag"] == split_response(by_host)[1]["etag"]
    # The Host line it carried is not what the answer (or the cache, asked again) is made for.
    plain = _get(server, PAGE, "127.0.0.1")
    assert _next_link(plain).startswith("http://127.0.0.1/v1/studies?")
    assert split_response(plain)[1]["etag"] != split_response(absolute)[1]["etag"]


def test_a_tag_earned_by_host_revalidates_the_absolute_form_of_the_same_request(server: LiveServer) -> None:
    tag = split_response(_get(server, PAGE, "mirror.example"))[1]["etag"]
    revalidated = _get(server, f"http://mirror.example{PAGE}", "127.0.0.1", extra=f"If-None-Match: {tag}\r\n")
    assert split_response(revalidated)[0] == 304
    elsewhere = _get(server, f"http://elsewhere.example{PAGE}", "mirror.example", extra=f"If-None-Match: {tag}\r\n")
    assert split_response(elsewhere)[0] == 200


def test_an_absolute_target_with_a_port_and_over_http_1_0_without_host(server: LiveServer) -> None:
    assert _next_link(_get(server, f"http://other.example:8081{PAGE}", "x")).startswith("http://other.example:8081/")
    assert _next_link(_get(server, f"http://old.example{PAGE}", None, version="1.0")).startswith("http://old.example/")


@pytest.mark.parametrize(
    "target",
    ["ftp://other.example/v1/meta", "http://user:secret@other.example/v1/meta", "http://other.example:99999/v1/meta"],
    ids=["another scheme", "user name", "bad port"],
)
def test_an_absolute_target_this_server_cannot_take_is_a_400_problem(server: LiveServer, target: str) -> None:
    status, headers, body = split_response(_get(server, target, "127.0.0.1"))
    assert status == 400 and headers["content-type"] == "application/problem+json", body[:300]
    assert json.loads(body)["status"] == 400
