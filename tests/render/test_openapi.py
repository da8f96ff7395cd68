"""The OpenAPI document is valid and gives generated clients good names."""

import pytest
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
    ("get", "/v1/claims/check"): "checkClaim",
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
    ("get", "/v1/comparison.csv"): "compareOutcomesCsv",
    ("get", "/v1/dataset.zip"): "getDatasetZip",
    ("get", "/"): "getIndex",
    ("get", "/v1/releases"): "listReleases",
    ("get", "/v1/changes"): "listChanges",
    ("get", "/v1/changes.atom"): "getChangesFeed",
    ("get", "/v1/corrections"): "listCorrections",
    **{
        ("get", f"{path}.{ext}"): f"{operation}{ext.capitalize()}"
        for path, operation in {
            "/v1/studies": "listStudies",
            "/v1/outcomes": "listOutcomes",
            "/v1/adverse-events": "listAdverseEvents",
            "/v1/sources": "listSources",
            "/v1/conflicts": "listConflicts",
            "/v1/epidemiology": "listEpidemiologyFigures",
        }.items()
        for ext in ("csv", "ndjson")
    },
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


LIST_PATHS = ["/v1/studies", "/v1/outcomes", "/v1/adverse-events", "/v1/sources", "/v1/conflicts", "/v1/epidemiology"]


def test_each_success_response_has_one_media_type(client: TestClient) -> None:
    """Generators type a body by its one media type; a JSON operation answering CSV too gets `JSON | string`.

    The one exception is the same bytes listed again as application/octet-stream (api.render.formats.bytes_success).
    """
    document = client.get("/openapi.json").json()
    several = {}
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            for status, response in op["responses"].items():
                content = dict(response.get("content", {}))
                octets = content.pop("application/octet-stream", None)
                if octets is not None and [octets["schema"]] != [c["schema"] for c in content.values()]:
                    several[(path, method, status)] = sorted(response["content"])
                if status.startswith("2") and len(content) != 1:
                    several[(path, method, status)] = sorted(response.get("content", {}))
    assert several == {}


def test_bodies_that_are_not_json_or_text_are_declared_as_bytes(client: TestClient) -> None:
    """ZIP, SVG, NDJSON and Atom: format binary (OpenAPI 3.0 generators), contentMediaType (3.1), and octet-stream."""
    document = client.get("/openapi.json").json()
    declared = {}
    for ops in document["paths"].values():
        for op in ops.values():
            content = op["responses"]["200"].get("content", {})
            for media_type, entry in content.items():
                if media_type != "application/octet-stream" and not media_type.startswith(
                    ("text/", "application/json")
                ):
                    declared[op["operationId"]] = (media_type, entry["schema"], sorted(content))
    assert {media for media, _, _ in declared.values()} == {
        "application/zip",
        "image/svg+xml",
        "application/x-ndjson",
        "application/atom+xml",
    }
    for media_type, schema, listed in declared.values():
        assert schema == {"type": "string", "format": "binary", "contentMediaType": media_type}
        assert listed == sorted([media_type, "application/octet-stream"])


@pytest.mark.parametrize("path", LIST_PATHS)
@pytest.mark.parametrize(("ext", "media_type"), [("csv", "text/csv"), ("ndjson", "application/x-ndjson")])
def test_file_paths_give_the_bodies_format_and_accept_give(
    client: TestClient, path: str, ext: str, media_type: str
) -> None:
    by_path = client.get(f"{path}.{ext}", params={"limit": 3})
    by_format = client.get(path, params={"limit": 3, "format": ext})
    by_accept = client.get(path, params={"limit": 3}, headers={"Accept": media_type})
    assert by_path.status_code == 200 and by_path.headers["content-type"].startswith(media_type)
    assert by_path.content == by_format.content == by_accept.content
    lines = by_path.text.strip().splitlines()
    # NDJSON: one line per item; CSV: a header, then a row per item (per disagreeing figure for conflicts).
    assert len(lines) == 3 if ext == "ndjson" else len(lines) >= 4
    document = client.get("/openapi.json").json()
    assert "format" not in {p["name"] for p in document["paths"][path]["get"]["parameters"]}


def test_comparison_csv_and_dataset_zip_have_their_own_paths(client: TestClient) -> None:
    csv = client.get("/v1/comparison.csv", params={"measure": "cr"})
    assert csv.content == client.get("/v1/comparison", params={"measure": "cr", "format": "csv"}).content
    assert csv.headers["content-type"].startswith("text/csv")
    zipped = client.get("/v1/dataset.zip")
    assert zipped.headers["content-type"] == "application/zip" and zipped.content[:2] == b"PK"
    assert client.get("/v1/dataset", params={"format": "csv"}).headers["content-type"] == "application/zip"


def test_undocumented_format_is_accepted_but_other_unknown_parameters_are_not(client: TestClient) -> None:
    assert client.get("/v1/outcomes", params={"format": "csv"}).status_code == 200
    wrong = client.get("/v1/outcomes", params={"formt": "csv"})
    assert wrong.status_code == 422 and "formt" in wrong.json()["detail"]
    assert client.get("/v1/meta", params={"format": "csv"}).status_code == 422


def test_enum_values_have_distinct_generator_safe_names(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    phase = dict(zip(schemas["Phase"]["enum"], schemas["Phase"]["x-enum-varnames"], strict=True))
    assert phase["I/II"] == "I_II" and phase["III"] == "III"
    sort = dict(zip(schemas["OutcomeSort"]["enum"], schemas["OutcomeSort"]["x-enum-varnames"], strict=True))
    assert sort["-value"] == "value_desc" and sort["value"] == "value"
    for name, schema in schemas.items():
        if "enum" in schema:
            names = schema["x-enum-varnames"]
            assert len(names) == len(set(names)) == len(schema["enum"]), name
            assert all(n.isidentifier() for n in names), name


def test_enum_names_would_clash_without_varnames() -> None:
    from api.render.openapi import name_enum_values

    with pytest.raises(ValueError, match="distinct"):
        name_enum_values({"Bad": {"enum": ["a-b", "a/b"]}})


@pytest.mark.parametrize(
    "path", ["/v1/meta", "/v1/outcomes?limit=5", "/v1/studies?limit=3", "/v1/comparison?measure=cr", "/"]
)
def test_every_required_property_is_sent(client: TestClient, path: str) -> None:
    """The document marks every response property required; the bodies must carry each one (null or not)."""
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    bare = path.split("?")[0]
    ref = document["paths"][bare]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]

    def check(value: object, schema: dict) -> None:
        if "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
        for option in schema.get("anyOf", []):
            if value is not None and option.get("type") != "null":
                check(value, option)
        if isinstance(value, dict) and "properties" in schema:
            assert set(schema["required"]) == set(schema["properties"])
            assert set(schema["required"]) <= set(value), (schema.get("title"), set(schema["required"]) - set(value))
            for key, sub in schema["properties"].items():
                check(value[key], sub)
        if isinstance(value, list) and "items" in schema:
            for item in value[:3]:
                check(item, schema["items"])

    check(client.get(path).json(), {"$ref": ref})


def test_document_names_server_security_contact_and_date_time(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert document["servers"] and document["security"] == [] and document["info"]["contact"]["name"]
    assert document["components"]["schemas"]["Meta"]["properties"]["built_at"]["format"] == "date-time"
    assert not any("requestBody" in op for ops in document["paths"].values() for op in ops.values())
    from datetime import datetime

    datetime.fromisoformat(client.get("/v1/meta").json()["built_at"])
