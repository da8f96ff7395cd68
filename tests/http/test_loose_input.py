"""Item 9: input is read strictly: documented patterns hold, integers are plain ASCII digits, encoded
slashes are not path separators, only assets are served from /static, redirects do not echo Host."""

import json

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


def _get(server: LiveServer, target: str) -> tuple[int, dict[str, str], bytes]:
    return split_response(server.raw(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()))


# Session 7's probe: a byte sequence that is not UTF-8 was read as U+FFFD and served as a value
# (`q=caf%E9`, Latin-1 for café, searched for 'caf\ufffd').
@pytest.mark.parametrize(
    ("target", "name"),
    [
        ("/v1/claims/check?measure=%ff", "measure"),
        ("/v1/studies?q=caf%E9", "q"),
        ("/v1/studies?limit=5&q=%C3", "q"),  # a UTF-8 sequence cut short
        ("/v1/studies?%ff=1", "%ff"),
        ("/v1/studies?q=%ED%A0%80", "q"),  # an encoded surrogate, which UTF-8 excludes
    ],
)
def test_a_query_value_that_is_not_utf8_is_refused_naming_it(server: LiveServer, target: str, name: str) -> None:
    status, headers, body = _get(server, target)
    assert status == 400, body[:300]
    assert headers["content-type"] == PROBLEM
    problem = json.loads(body)
    assert name in problem["detail"] and [e["location"] for e in problem["errors"]] == [f"query.{name}"], problem


def test_fhir_refuses_a_query_value_that_is_not_utf8_as_an_operation_outcome(server: LiveServer) -> None:
    status, headers, body = _get(server, "/fhir/Evidence?title=caf%E9")
    assert headers["content-type"].startswith("application/fhir+json"), headers
    assert status == 400, body[:300]
    outcome = json.loads(body)
    assert outcome["resourceType"] == "OperationOutcome", outcome
    assert "'title'" in outcome["issue"][0]["diagnostics"], outcome


@pytest.mark.parametrize("target", ["/v1/studies?q=caf%C3%A9", "/v1/studies?q=caf%C3%A9+x", "/v1/studies?q=%E2%82%AC"])
def test_utf8_query_values_are_still_read(server: LiveServer, target: str) -> None:
    status, _, body = _get(server, target)
    assert status == 200, body[:300]
