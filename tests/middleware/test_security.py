"""Hardening: security headers, read-only methods, HEAD and OPTIONS, no stack traces, docs under the CSP."""

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.main import create_app
from api.middleware.security import ALLOW
from api.settings import Settings
from api.state import app_state

CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors {}"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "errors"}


ID_LISTS = {
    "study_id": "/v1/studies",
    "outcome_id": "/v1/outcomes",
    "adverse_event_id": "/v1/adverse-events",
    "source_id": "/v1/sources",
    "conflict_id": "/v1/conflicts",
    "figure_id": "/v1/epidemiology",
}


def _get_paths(client: TestClient) -> list[str]:
    """Every documented GET path made concrete: a real id where the list has one, else a well-formed unknown id."""
    paths = []
    for path in client.get("/openapi.json").json()["paths"]:
        for name in re.findall(r"\{([^}]+)\}", path):
            items = client.get(ID_LISTS[name]).json()["items"]
            path = path.replace(f"{{{name}}}", items[0]["id"] if items else "no-such-id")
        paths.append(path)
    return paths


def _assert_hardened(response, html: bool, frame_ancestors: str = "*") -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "server" not in response.headers
    # Lab websites embed our HTML views: framing is governed by frame-ancestors alone.
    assert "x-frame-options" not in response.headers
    if html:
        assert response.headers["content-security-policy"] == CSP.format(frame_ancestors)
    else:
        assert "content-security-policy" not in response.headers


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    for path in [*_get_paths(client), "/openapi.json", "/v1/nowhere", "/v1/studies?limit=0"]:
        response = client.get(path)
        _assert_hardened(response, html=response.headers["content-type"].startswith("text/html"))
    _assert_hardened(client.post("/v1/studies"), html=False)
    _assert_hardened(client.options("/v1/studies"), html=False)


def test_html_answers_carry_the_content_security_policy(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.headers["content-type"].startswith("text/html")
    _assert_hardened(response, html=True)


def test_frame_ancestors_comes_from_the_setting(settings: Settings) -> None:
    custom = settings.model_copy(update={"frame_ancestors": "'self' https://lab.example.org"})
    with TestClient(create_app(custom)) as client:
        _assert_hardened(client.get("/docs"), html=True, frame_ancestors="'self' https://lab.example.org")


def test_frame_ancestors_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TALL_FRAME_ANCESTORS", "https://a.example https://b.example")
    assert Settings().frame_ancestors == "https://a.example https://b.example"


@pytest.mark.parametrize(
    "value", ["* ; script-src *", "https://a.example, https://b.example", "x\r\nSet-Cookie: a=b", ""]
)
def test_frame_ancestors_cannot_inject_other_directives(value: str) -> None:
    with pytest.raises(ValidationError):
        Settings(frame_ancestors=value)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "TRACE", "CONNECT", "PROPFIND"])
@pytest.mark.parametrize("path", ["/v1/studies", "/v1/studies/jplsg-t11", "/health", "/docs", "/v1/nowhere"])
def test_only_safe_methods_are_accepted(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == ALLOW == "GET, HEAD, OPTIONS"
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) == PROBLEM_KEYS
    assert body["status"] == 405 and method in body["detail"]


def test_head_works_on_every_get_route(client: TestClient) -> None:
    for path in [*_get_paths(client), "/openapi.json", "/docs"]:
        get, head = client.get(path), client.head(path)
        assert head.status_code == get.status_code, path
        assert head.content == b"", path
        # Streamed bodies (NDJSON) carry no length; every other answer states it, the same for HEAD.
        if "content-length" in get.headers or not get.headers["content-type"].startswith("application/x-ndjson"):
            assert head.headers["content-length"] == get.headers["content-length"] == str(len(get.content)), path
        assert head.headers["content-type"] == get.headers["content-type"], path


def test_options_lists_the_allowed_methods(client: TestClient) -> None:
    for path in [*_get_paths(client), "/openapi.json", "/docs"]:
        response = client.options(path)
        assert response.status_code == 204, path
        assert response.headers["allow"] == ALLOW
        assert response.content == b""
    missing = client.options("/v1/nowhere")
    assert missing.status_code == 404
    assert set(missing.json()) == PROBLEM_KEYS


def test_an_options_with_a_request_method_but_no_origin_is_a_plain_options(client: TestClient) -> None:
    """Session 12's probe (B5): not a CORS preflight without Origin, it reached the route and got a 405."""
    for path in ("/v1/studies", "/health", "/embed/table"):
        response = client.options(path, headers={"Access-Control-Request-Method": "GET"})
        assert response.status_code == 204 and response.headers["allow"] == ALLOW, (path, response.text)
    preflight = client.options(
        "/v1/studies", headers={"Access-Control-Request-Method": "GET", "Origin": "https://lab.example"}
    )
    assert preflight.status_code == 200 and "access-control-allow-methods" in preflight.headers


def test_an_internal_error_answers_problem_details_without_a_trace(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        secret = app_state(app).database.url

        def failing_read(*_args: object, **_kwargs: object) -> None:
            # A bug whose message names the database file: none of it may reach the client.
            raise RuntimeError(f"sqlalchemy sqlite OperationalError: unable to open {secret}")

        monkeypatch.setattr("api.routes.studies.fragment", failing_read)
        response = client.get("/v1/studies/jplsg-t11")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    _assert_hardened(response, html=False)
    body = response.json()
    assert body == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "An unexpected error occurred.",
        "instance": "/v1/studies/jplsg-t11",
        "errors": [],
    }
    for leak in ("Traceback", 'File "', "sqlalchemy", "sqlite", "OperationalError", secret):
        assert leak not in response.text


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "style" in found or any(name.startswith("on") for name in found):
            self.inline.append(f"{tag} attribute")
        if tag == "style" or (tag == "script" and not found.get("src")):
            self.inline.append(tag)
        self.urls += [url for name in ("src", "href") if (url := found.get(name))]
