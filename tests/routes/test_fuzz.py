"""Schema-driven fuzzing of every operation, in process: no 5xx, answers as documented, errors as problem details.

Bounded and deterministic: a few examples per operation, valid and invalid, from a fixed seed.
"""

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from api.errors import PROBLEM_MEDIA_TYPE, answers_errors_as_html
from api.main import create_app
from models.problem import Problem

MAX_EXAMPLES = 50

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 6,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True},
        # Invalid input must be refused with one of the declared problem answers; 414 (query
        # string over the limit) is one, though schemathesis does not count it by default.
        "checks": {
            "negative_data_rejection": {"expected-statuses": [400, 404, 405, 414, 422]},
            # A schema-valid query can still be longer than the 2048-byte query-string limit
            # (README, 'Limits'): many repeated filter values. 414 is the declared answer.
            "positive_data_acceptance": {"expected-statuses": ["2XX", "3XX", 401, 403, 404, 409, 414, 429]},
        },
    }
)

app = create_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)


def problem_details(_ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """Every error answer is an RFC 9457 body with exactly the Problem fields, served as problem+json."""
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", [""])[0]
    if answers_errors_as_html(case.path):
        # Embed routes answer an iframe: the same problem fields, as an HTML page (README, 'Embedding').
        assert content_type.startswith("text/html"), f"{case.method} {case.formatted_path}: {content_type}"
        assert f">{response.status_code}<" in response.text or str(response.status_code) in response.text
        return
    assert content_type == PROBLEM_MEDIA_TYPE, f"{case.method} {case.formatted_path}: {content_type}"
    body = response.json()
    assert set(body) == set(Problem.model_fields), body
    assert Problem.model_validate(body).status == response.status_code, body


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_survives_generated_input(case: schemathesis.Case) -> None:
    # Query values are text on the wire, so a generated "negative" value of the wrong type (a boolean,
    # a number) often arrives as a valid string ('false' is a fine study id) and the check would flag
    # a correct answer. Invalid values are still sent, and must still get problem details and no
    # 500; their refusal is tested value by value in tests/http (bounds, strict integers, patterns).
    excluded = [schemathesis.checks.negative_data_rejection]
    if case.operation.path == "/v1/claims/check":
        # Its parameters are required in combinations a schema cannot state (measure, value and a scope;
        # or text alone), so a schema-valid query is often rightly a 422; tests/claims checks each refusal.
        excluded.append(schemathesis.checks.positive_data_acceptance)
    case.call_and_validate(additional_checks=[problem_details], excluded_checks=excluded)
