"""`format=`: one declaration (format_query) gives every operation its values and its refusal."""

from typing import Annotated, Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from api.main import create_app
from api.render.formats import Format, format_query
from api.settings import Settings

ALL = ["json", "csv", "ndjson"]
# path, other parameters (a small page keeps the CSV and NDJSON answers short), formats offered
OPERATIONS: list[tuple[str, dict[str, Any], list[str]]] = [
    *((path, {"limit": 1}, ALL) for path in ("/v1/studies", "/v1/outcomes", "/v1/adverse-events")),
    *((path, {"limit": 1}, ALL) for path in ("/v1/sources", "/v1/conflicts", "/v1/epidemiology")),
    ("/v1/comparison", {"measure": "cr"}, ["json", "csv"]),
    ("/v1/dataset", {}, ["json", "csv"]),
]
WORDING = {3: "Input should be 'json', 'csv' or 'ndjson'", 2: "Input should be 'json' or 'csv'"}


@pytest.mark.parametrize(("path", "params", "offered"), OPERATIONS)
def test_each_operation_takes_its_formats_and_refuses_the_rest_alike(
    client: TestClient, path: str, params: dict[str, Any], offered: list[str]
) -> None:
    for value in offered:
        assert client.get(path, params={**params, "format": value}).status_code == 200, (path, value)
        # Enumerated values are matched regardless of case: CSV is csv, with the same body.
        upper = client.get(path, params={**params, "format": value.upper()})
        assert (
            upper.status_code == 200 and upper.content == client.get(path, params={**params, "format": value}).content
        )
    for value in ["xml", "XML", *(f for f in ALL if f not in offered)]:
        response = client.get(path, params={**params, "format": value})
        assert response.status_code == 422, (path, value)
        assert response.json()["errors"] == [{"location": "query.format", "message": WORDING[len(offered)]}]


def test_the_refusal_names_exactly_the_formats_offered(settings: Settings) -> None:
    app = create_app(settings)
    extra = APIRouter()

    @extra.get("/v1/csv-only", operation_id="csvOnly")
    def csv_only(format: Annotated[Format | None, format_query(Format.csv, description="csv")] = None) -> str:
        return repr(format)

    app.include_router(extra)
    with TestClient(app) as client:
        assert client.get("/v1/csv-only", params={"format": "csv"}).json() == repr(Format.csv)
        assert client.get("/v1/csv-only").json() == "None"
        refused = client.get("/v1/csv-only", params={"format": "json"}).json()
        assert refused["errors"] == [{"location": "query.format", "message": "Input should be 'csv'"}]
        operation = client.get("/openapi.json").json()["paths"]["/v1/csv-only"]["get"]
        assert "format" not in [p["name"] for p in operation.get("parameters", [])]
