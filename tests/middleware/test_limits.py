"""Input limits: page size, query-string length, path parameters, unknown query parameters."""

from typing import Annotated

import pytest
from fastapi import APIRouter, Query
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api.deps import PAGE_SIZE_MAX, PageDep
from api.main import create_app
from api.middleware.limits import MAX_QUERY_STRING_BYTES, query_parameters
from api.settings import Settings
from models.problem import answers_errors_as_html


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    return body


def _html_problem(response, status: int) -> None:
    """Embed routes answer an iframe with an HTML page carrying the problem-details fields."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert str(status) in response.text


def test_page_size_is_capped(client: TestClient) -> None:
    assert client.get("/v1/sources", params={"limit": PAGE_SIZE_MAX}).status_code == 200
    body = _problem(client.get("/v1/sources", params={"limit": PAGE_SIZE_MAX + 1}), 422)
    assert [e["location"] for e in body["errors"]] == ["query.limit"]


def _query_of(size: int) -> str:
    # A valid query of exactly `size` bytes: leading zeros do not change the integer.
    prefix, suffix = "limit=1&offset=", "1"
    return prefix + "0" * (size - len(prefix) - len(suffix)) + suffix


def test_query_string_at_the_limit_is_served(client: TestClient) -> None:
    query = _query_of(MAX_QUERY_STRING_BYTES)
    assert len(query) == MAX_QUERY_STRING_BYTES
    response = client.get(f"/v1/sources?{query}")
    assert response.status_code == 200
    assert response.json()["offset"] == 1


def test_query_string_over_the_limit_is_414_problem_details(client: TestClient) -> None:
    body = _problem(client.get(f"/v1/sources?{_query_of(MAX_QUERY_STRING_BYTES + 1)}"), 414)
    assert str(MAX_QUERY_STRING_BYTES) in body["detail"]
    assert body["instance"] == "/v1/sources"


@pytest.mark.parametrize("study_id", ["bad id!", "x" * 201, "-leading-dash"])
def test_malformed_path_parameters_are_rejected(client: TestClient, study_id: str) -> None:
    body = _problem(client.get(f"/v1/studies/{study_id}"), 422)
    assert [e["location"] for e in body["errors"]] == ["path.study_id"]


def test_unknown_query_parameter_is_named_with_the_accepted_ones(client: TestClient) -> None:
    body = _problem(client.get("/v1/studies", params={"limit": 5, "colour": "red", "Limit": 3}), 422)
    assert "colour" in body["detail"] and "Limit" in body["detail"]
    accepted = body["detail"].split("This route accepts: ", 1)[1].rstrip(".").split(", ")
    assert accepted == sorted(accepted) and {"limit", "offset", "disease", "q"} <= set(accepted)
    assert {e["location"] for e in body["errors"]} == {"query.colour", "query.Limit"}
    assert all(e["message"].endswith("accepted: " + ", ".join(accepted)) for e in body["errors"])


def test_every_documented_operation_rejects_unknown_query_parameters(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        accepted = sorted(p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query")
        concrete = path.replace("{", "").replace("}", "")  # '/v1/studies/{study_id}' -> a valid id 'study_id'
        response = client.get(concrete, params={"no_such_parameter": "1"})
        if answers_errors_as_html(path):
            _html_problem(response, 422)
            continue
        body = _problem(response, 422)
        assert body["errors"][0]["location"] == "query.no_such_parameter", path
        # Parameters kept out of the document for curl users (format=) are accepted and listed too.
        with_format = _problem(client.get(concrete, params={"format": "json", "no_such_parameter": "1"}), 422)
        takes_format = "query.format" not in {e["location"] for e in with_format["errors"]}
        listed = sorted({*accepted, *(["format"] if takes_format else [])})
        assert body["errors"][0]["message"].endswith(", ".join(listed) or "none"), path


def test_documented_query_parameters_are_accepted_without_naming_them(settings: Settings) -> None:
    """A route added later, with its own filters, gets the policy from its declaration alone."""
    app = create_app(settings)
    extra = APIRouter()

    @extra.get("/v1/filtered", operation_id="filtered")
    def filtered(params: PageDep, measure: Annotated[str | None, Query()] = None) -> dict[str, str | None]:
        return {"measure": measure}

    app.include_router(extra)
    with TestClient(app) as client:
        assert client.get("/v1/filtered", params={"measure": "os", "limit": 3}).json() == {"measure": "os"}
        body = _problem(client.get("/v1/filtered", params={"measure": "os", "arm": "x"}), 422)
        assert body["errors"] == [
            {"location": "query.arm", "message": "unknown query parameter; accepted: limit, measure, offset"}
        ]


class _Window(BaseModel):
    since: int | None = None
    until: int | None = None


def test_fields_of_a_query_model_are_accepted_and_listed(settings: Settings) -> None:
    """A filter model given as Annotated[Model, Query()]: its fields are the names the refusal accepts."""
    app = create_app(settings)
    extra = APIRouter()

    @extra.get("/v1/windowed", operation_id="windowed")
    def windowed(window: Annotated[_Window, Query()]) -> dict[str, int | None]:
        return window.model_dump()

    app.include_router(extra)
    with TestClient(app) as client:
        assert client.get("/v1/windowed", params={"since": 2020}).json() == {"since": 2020, "until": None}
        body = _problem(client.get("/v1/windowed", params={"since": 2020, "window": "x"}), 422)
        assert body["errors"] == [
            {"location": "query.window", "message": "unknown query parameter; accepted: since, until"}
        ]


def test_limits_are_declared_for_every_operation(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        responses = operations["get"]["responses"]
        # Embed routes answer an iframe, so their errors are the HTML problem page.
        expected = ["text/html"] if answers_errors_as_html(path) else ["application/problem+json"]
        for status in ("414", "422"):
            assert list(responses[status]["content"]) == expected, (path, status)


def test_the_policy_reads_the_same_parameters_the_document_lists(client: TestClient) -> None:
    """Names and whole-number parameters from the declarations equal the document's, operation by operation."""
    document = client.get("/openapi.json").json()

    def walk(routes: list[object]) -> list[APIRoute]:
        found = []
        for route in routes:
            if isinstance(route, APIRoute):
                found.append(route)
            if (included := getattr(route, "original_router", None)) is not None:  # FastAPI's included routers
                found += walk(included.routes)
        return found

    routes = {r.path_format: r for r in walk(client.app.router.routes) if r.include_in_schema}  # type: ignore[attr-defined]
    checked = 0
    for path, operations in document["paths"].items():
        parameters = [p for p in operations["get"].get("parameters", []) if p["in"] == "query"]
        integers = {
            p["name"]
            for p in parameters
            if any(alt.get("items", alt).get("type") == "integer" for alt in p["schema"].get("anyOf", [p["schema"]]))
        }
        declared = query_parameters(routes[path])
        hidden = declared.names - {p["name"] for p in parameters}
        assert hidden <= {"format"}, path  # format= is kept out of the document for curl users
        assert declared.names - hidden == {p["name"] for p in parameters}, path
        assert declared.integers == integers, path
        checked += 1
    assert checked == len(document["paths"]) > 30
