"""Cross-origin reads: any origin by default, a configured list otherwise."""

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings

LAB = "https://lab.example.org"


def _preflight(client: TestClient, origin: str, method: str = "GET") -> dict[str, str]:
    response = client.options(
        "/v1/studies",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    return {"status": str(response.status_code), **response.headers}


def test_any_origin_may_read_by_default(client: TestClient) -> None:
    response = client.get("/v1/studies", headers={"Origin": LAB})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "etag" in response.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers


def test_preflight_allows_reads_and_revalidation_but_no_writes(client: TestClient) -> None:
    allowed = _preflight(client, LAB)
    assert allowed["status"] == "200"
    assert allowed["access-control-allow-origin"] == "*"
    assert "if-none-match" in allowed["access-control-allow-headers"].lower()
    assert _preflight(client, LAB, "POST")["status"] == "400"


def test_a_refused_preflight_is_answered_as_problem_details(settings: Settings) -> None:
    listed = settings.model_copy(update={"cors_origins": [LAB]})
    with TestClient(create_app(listed)) as client:
        response = client.options(
            "/v1/studies",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "DELETE"},
        )
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == 400 and problem["instance"] == "/v1/studies"
        assert "origin, method" in problem["detail"] and LAB in problem["detail"]
        assert "if-none-match" in problem["detail"]
        assert "GET, HEAD" in response.headers["access-control-allow-methods"]
        assert "Origin" in response.headers["vary"]  # kept from Starlette's answer


def test_configured_origins_are_the_only_ones_allowed(settings: Settings) -> None:
    listed = settings.model_copy(update={"cors_origins": [LAB, "https://other.example"]})
    with TestClient(create_app(listed)) as client:
        allowed = client.get("/v1/studies", headers={"Origin": LAB})
        assert allowed.headers["access-control-allow-origin"] == LAB
        assert "Origin" in allowed.headers["vary"]
        refused = client.get("/v1/studies", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in refused.headers
        assert _preflight(client, "https://evil.example")["status"] == "400"
        assert _preflight(client, LAB)["access-control-allow-origin"] == LAB


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (f"{LAB}, https://b.example", [LAB, "https://b.example"]),
        (f'["{LAB}"]', [LAB]),
        ("*", ["*"]),
    ],
)
def test_origins_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, raw: str, expected: list[str]) -> None:
    monkeypatch.setenv("TALL_CORS_ORIGINS", raw)
    assert Settings().cors_origins == expected


@pytest.mark.parametrize(
    "raw",
    [
        "not an origin",
        "http://a.example\r\nX: y",
        "https://a.example/",
        "https://a.example/path",
        "https://a.example?x=1",
        "https://user@a.example",
        "https://a.example:99999",
        "ftp://a.example",
        f"{LAB}, lab.example.org",
    ],
)
def test_an_entry_that_is_no_origin_is_refused_not_left_to_match_nobody(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    """A browser sends scheme://host[:port] and nothing else: such an entry allowed nobody, silently."""
    from pydantic import ValidationError

    monkeypatch.setenv("TALL_CORS_ORIGINS", raw)
    with pytest.raises(ValidationError, match="cors_origins"):
        Settings()


def test_cache_s_maxage_set_empty_is_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """Documented as 'set empty to leave it out': no environment value could give None before."""
    monkeypatch.setenv("TALL_CACHE_S_MAXAGE", "")
    assert Settings().cache_s_maxage is None
    monkeypatch.setenv("TALL_CACHE_S_MAXAGE", "None")
    with pytest.raises(Exception, match="whole number"):
        Settings()
