"""Item 3: every integer and number a client may send is bounded in the OpenAPI document, and the service
answers the documented bound's neighbours as documented: the maximum is served, one past it is a 422."""

from typing import Any

import httpx
import pytest

PROBLEM = "application/problem+json"
HUGE = str(2**63)


# Parameters required together, which a schema cannot say: a claim checked by numbers needs a measure
# and a scope besides its value.
# (A count: the document's maximum is a count's; a percentage is at most 100, tests/http/test_claim_bounds.py.)
REQUIRED_TOGETHER = {"/v1/claims/check": {"measure": "cr", "study": "rd13-01", "unit": "patients"}}


def _required(document: dict[str, Any], operation: dict[str, Any], path: str = "") -> dict[str, str]:
    """A valid value for each required query parameter (the first of its enum or its example)."""
    values = dict(REQUIRED_TOGETHER.get(path, {}))
    for parameter in operation.get("parameters", []):
        if parameter.get("required") and parameter["in"] == "query":
            schema = parameter.get("schema", {})
            schema = next((s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"), schema)
            schema = schema.get("items", schema)
            if "$ref" in schema:
                schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
            values[parameter["name"]] = str(schema.get("enum", [schema.get("example", "x")])[0])
    return values


def _numeric_query_parameters(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, operations in document["paths"].items():
        if "{" in path:
            continue  # path parameters are identifiers, not numbers
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                alternatives = schema.get("anyOf", [schema])
                for alternative in alternatives:
                    item = alternative.get("items", alternative)
                    if item.get("type") in ("integer", "number") and parameter["in"] == "query":
                        found.append(
                            (
                                method,
                                path,
                                {"name": parameter["name"], "required": _required(document, operation, path), **item},
                            )
                        )
    return found


@pytest.fixture(scope="module")
def numeric(http: httpx.Client) -> list[tuple[str, str, dict[str, Any]]]:
    found = _numeric_query_parameters(http.get("/openapi.json").json())
    assert len(found) >= 20  # limit, offset, min_patients, year, age, min_grade across the list operations
    return found


def test_min_patients_of_2_to_the_63_is_a_422_on_every_operation_that_takes_it(
    http: httpx.Client, numeric: list[tuple[str, str, dict[str, Any]]]
) -> None:
    operations = [path for _, path, p in numeric if p["name"] == "min_patients"]
    assert len(operations) >= 9
    for path in operations:
        required = next(p["required"] for _, q, p in numeric if q == path and p["name"] == "min_patients")
        response = http.get(path, params={**required, "min_patients": HUGE})
        assert response.status_code == 422, (path, response.status_code, response.text[:300])
        assert response.headers["content-type"].startswith(PROBLEM) or path.startswith("/embed")


def test_every_numeric_query_parameter_declares_a_maximum(numeric: list[tuple[str, str, dict[str, Any]]]) -> None:
    unbounded = sorted({f"{path} {p['name']}" for _, path, p in numeric if "maximum" not in p})
    assert not unbounded


def test_the_documented_maximum_is_served_and_one_past_it_refused(
    http: httpx.Client, numeric: list[tuple[str, str, dict[str, Any]]]
) -> None:
    for _, path, parameter in numeric:
        if "maximum" not in parameter:
            continue
        maximum = parameter["maximum"]
        at = maximum if parameter["type"] == "number" else int(maximum)
        past = at + 1
        accepted = http.get(path, params={**parameter["required"], parameter["name"]: str(at)})
        assert accepted.status_code < 500 and accepted.status_code != 422, (path, parameter, accepted.text[:300])
        refused = http.get(path, params={**parameter["required"], parameter["name"]: str(past)})
        assert refused.status_code == 422, (path, parameter, refused.status_code)


@pytest.mark.parametrize("name", ["year", "offset", "min_grade", "limit"])
def test_huge_values_of_other_integers_are_422(http: httpx.Client, name: str) -> None:
    path = "/v1/adverse-events" if name == "min_grade" else "/v1/studies"
    response = http.get(path, params={name: HUGE})
    assert response.status_code == 422, response.text[:300]
