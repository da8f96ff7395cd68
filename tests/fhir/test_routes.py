"""How the FHIR routes answer what their handlers raise, checked on routes made for the test.

FhirRoute wraps a handler when its route is made, and the service's routes are made at import
(the module-level router): a test that only sends requests to them reaches a wrapper made before
it ran. Each test here makes its routes, so it reaches the wrapping itself.
"""

from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.responses import Response
from fastapi.testclient import TestClient

from api.fhir.routes import FhirRoute
from api.fhir.search_parameters import SearchRefused
from api.request_body import BodyRefused


def _client_raising(error: Exception | None) -> TestClient:
    """A client of an app with one FHIR route, GET /fhir/x, whose handler raises error (or answers 'ok')."""
    router = APIRouter(prefix="/fhir", route_class=FhirRoute)

    @router.get("/x")
    def handler() -> Response:
        if error is not None:
            raise error
        return Response("ok", media_type="text/plain")

    app = FastAPI()
    app.include_router(router)
    return TestClient(app, raise_server_exceptions=False)


def _outcome(code: str, diagnostics: str, expression: list[str] | None = None) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = expression
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def test_an_answer_the_handler_gives_passes_through_unchanged() -> None:
    response = _client_raising(None).get("/fhir/x")
    assert (response.status_code, response.text, response.headers["content-type"]) == (
        200,
        "ok",
        "text/plain; charset=utf-8",
    )
    assert "vary" not in response.headers and "connection" not in response.headers


def test_a_refused_search_is_its_operation_outcome_with_its_status() -> None:
    refused = SearchRefused(422, "invalid", "Parameter _count must be a number.", expression=("_count",))
    response = _client_raising(refused).get("/fhir/x")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/fhir+json"
    assert response.headers["vary"] == "Accept, Prefer"
    assert "connection" not in response.headers  # the connection stays usable
    assert response.json() == _outcome("invalid", "Parameter _count must be a number.", ["_count"])


@pytest.mark.parametrize(
    ("status", "code"),
    [(408, "timeout"), (413, "too-costly"), (501, "not-supported")],
)
def test_a_form_body_not_read_is_an_operation_outcome_and_closes_the_connection(status: int, code: str) -> None:
    response = _client_raising(BodyRefused(status, "the body is over 2048 bytes")).get("/fhir/x")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/fhir+json"
    assert response.headers["vary"] == "Accept, Prefer"
    # The rest of the body was never read, so the connection cannot carry another request.
    assert response.headers["connection"] == "close"
    diagnostics = "The form body of POST _search was not read: the body is over 2048 bytes."
    assert response.json() == _outcome(code, diagnostics)


def test_any_other_error_is_not_turned_into_an_operation_outcome() -> None:
    response = _client_raising(ValueError("a bug")).get("/fhir/x")
    assert response.status_code == 500
    assert "OperationOutcome" not in response.text
