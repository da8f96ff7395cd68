"""The schema-driven fuzzing of tests/test_fuzz.py, sent through real sockets to a running server.

Bounded and deterministic like the in-process run; here the HTTP parser, uvicorn and every
middleware sit between the generated input and the application.
"""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.http.live import LiveServer

MAX_EXAMPLES = 25
PROBLEM = "application/problem+json"

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 6,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True},
        "checks": {"negative_data_rejection": {"expected-statuses": [400, 404, 405, 414, 422]}},
    }
)


@pytest.fixture(scope="session")
def live_schema(server: LiveServer) -> Any:
    return schemathesis.openapi.from_url(f"{server.base}/openapi.json", config=CONFIG)


schema = schemathesis.pytest.from_fixture("live_schema")


def problem_details(_ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", [""])[0]
    if case.path.startswith("/embed") and not case.path.endswith(".json"):
        assert content_type.startswith("text/html"), content_type
        return
    assert content_type == PROBLEM, f"{case.method} {case.formatted_path}: {content_type}"
    assert response.json()["status"] == response.status_code


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_every_operation_survives_generated_input_over_the_wire(case: schemathesis.Case) -> None:
    excluded = [schemathesis.checks.negative_data_rejection] if case.path == "/v1/comparison.svg" else []
    case.call_and_validate(timeout=30, additional_checks=[problem_details], excluded_checks=excluded)
