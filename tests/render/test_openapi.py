"""The OpenAPI document is valid and gives generated clients good names."""

from fastapi.testclient import TestClient
from openapi_spec_validator import validate

EXPECTED_OPERATIONS = {
    ("get", "/v1/studies"): "listStudies",
    ("get", "/v1/studies/{study_id}"): "getStudy",
    ("get", "/v1/studies/facets"): "getStudyFacets",
    ("get", "/v1/studies/batch"): "getStudiesBatch",
    ("get", "/v1/outcomes/facets"): "getOutcomeFacets",
    ("get", "/v1/adverse-events/facets"): "getAdverseEventFacets",
    ("get", "/v1/comparison"): "compareOutcomes",
    ("get", "/v1/comparison.svg"): "getComparisonPlot",
    ("get", "/v1/dataset"): "getDataset",
    ("get", "/v1/outcomes"): "listOutcomes",
    ("get", "/v1/outcomes/{outcome_id}"): "getOutcome",
    ("get", "/v1/adverse-events"): "listAdverseEvents",
    ("get", "/v1/adverse-events/{adverse_event_id}"): "getAdverseEvent",
    ("get", "/v1/sources"): "listSources",
    ("get", "/v1/sources/{source_id}"): "getSource",
    ("get", "/v1/conflicts"): "listConflicts",
    ("get", "/v1/conflicts/{conflict_id}"): "getConflict",
    ("get", "/v1/epidemiology"): "listEpidemiologyFigures",
    ("get", "/v1/epidemiology/{figure_id}"): "getEpidemiologyFigure",
    ("get", "/v1/meta"): "getMeta",
    ("get", "/health"): "getHealth",
    ("get", "/embed/studies/{study_id}"): "getStudyCard",
    ("get", "/embed/table"): "getEvidenceTable",
    ("get", "/embed/labels.json"): "getDisplayLabels",
}
# Pages read by people in an iframe: their errors are the problem-details fields as HTML.
HTML_OPERATIONS = {"getStudyCard", "getEvidenceTable"}


def _operations(document: dict) -> dict[tuple[str, str], dict]:
    return {(method, path): op for path, ops in document["paths"].items() for method, op in ops.items()}


def test_document_is_valid_openapi(client: TestClient) -> None:
    validate(client.get("/openapi.json").json())


def test_every_operation_has_a_chosen_id_tag_and_summary(client: TestClient) -> None:
    operations = _operations(client.get("/openapi.json").json())
    assert {key: op["operationId"] for key, op in operations.items()} == EXPECTED_OPERATIONS
    for key, op in operations.items():
        assert op["tags"], key
        assert op["summary"] and op.get("description"), key


def test_categorical_fields_are_enums_in_the_document(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in (
        "Disease",
        "Setting",
        "Design",
        "Phase",
        "Measure",
        "AdverseEventTerm",
        "GradingSystem",
        "CellSource",
        "FratricideStrategy",
        "Antigen",
        "Agent",
        "TherapyClass",
    ):
        assert schemas[name]["enum"], name
    assert schemas["OutcomePublic"]["properties"]["measure"] == {
        "$ref": "#/components/schemas/Measure",
        "description": "What was measured.",
    }


def test_every_field_of_the_response_models_is_described(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]

    def described(spec: dict) -> bool:
        # Pydantic leaves out a field's description when it repeats the referenced enum's.
        ref = spec.get("$ref", "").rsplit("/", 1)[-1]
        return bool(spec.get("description") or (ref and schemas[ref].get("description")))

    undescribed = [
        f"{name}.{field}"
        for name, schema in schemas.items()
        for field, spec in schema.get("properties", {}).items()
        if not described(spec)
    ]
    assert not undescribed, undescribed


def test_errors_are_declared_as_problem_details(client: TestClient) -> None:
    for key, op in _operations(client.get("/openapi.json").json()).items():
        expected = ["text/html"] if op["operationId"] in HTML_OPERATIONS else ["application/problem+json"]
        for status, response in op["responses"].items():
            if status.startswith("4"):
                assert list(response["content"]) == expected, (key, status)
