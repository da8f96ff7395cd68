"""Item 9: input is read strictly: documented patterns hold, integers are plain ASCII digits, encoded
slashes are not path separators, only assets are served from /static, redirects do not echo Host."""

import httpx
import pytest

from tests.http.live import LiveServer, split_response

PROBLEM = "application/problem+json"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/outcomes", {"time_point": "zzz"}),
        ("/v1/outcomes", {"time_point": "\uff15y"}),
        ("/v1/comparison", {"measure": "os", "time_point": "\uff15y"}),
        ("/v1/comparison.svg", {"measure": "os", "time_point": "\uff15y"}),
        ("/v1/comparison.svg", {"measure": "os", "time_point": "2y\n"}),
    ],
)
def test_time_points_follow_the_documented_pattern(http: httpx.Client, path: str, params: dict[str, str]) -> None:
    response = http.get(path, params=params)
    assert response.status_code == 422, response.text[:300]
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize("value", ["1.0", "+5", " 5", "5 ", "1_0", "\u0665", "0x10", "1e1", ""])
def test_integers_are_plain_ascii_digits(http: httpx.Client, value: str) -> None:
    response = http.get("/v1/sources", params={"limit": value})
    assert response.status_code == 422, (value, response.status_code)
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize("value", ["5", "05", "500"])
def test_plain_integers_still_work(http: httpx.Client, value: str) -> None:
    assert http.get("/v1/sources", params={"limit": value}).status_code == 200


@pytest.mark.parametrize(
    "target", ["/v1%2fstudies", "/v1%2Fstudies", "/v1/studies%2fjplsg-t11", "/static%2ffavicon.svg"]
)
def test_an_encoded_slash_is_not_a_separator(server: LiveServer, target: str) -> None:
    status, headers, _ = split_response(
        server.raw(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    )
    assert status in (400, 404), status
    assert headers["content-type"] == PROBLEM


def test_vendor_update_script_is_not_served(http: httpx.Client) -> None:
    assert http.get("/static/vendor/swagger-ui/swagger-ui.css").status_code == 200
    response = http.get("/static/vendor/update.sh")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


def test_redirects_do_not_echo_the_host_header(server: LiveServer) -> None:
    status, headers, _ = split_response(
        server.raw(b"GET /v1/studies/ HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
    )
    if status in (301, 302, 303, 307, 308):
        assert "evil.example" not in headers["location"]
        assert headers["location"].startswith("/")
    else:
        assert status == 404
