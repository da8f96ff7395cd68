"""Schema-driven fuzzing of every operation, in process: no 5xx, answers as documented, errors as problem details.

Bounded and deterministic: a few examples per operation, valid and invalid, from a fixed seed.
"""

import schemathesis
from hypothesis import HealthCheck, settings

from api.main import create_app
from tests.support import fuzz_config, problem_details

MAX_EXAMPLES = 50

# A schema-valid query can still be longer than the 2048-byte query-string limit (docs, 'Limits'):
# many repeated filter values. 414 is the declared answer.
CONFIG = fuzz_config(
    MAX_EXAMPLES,
    positive_data_acceptance={"expected-statuses": ["2XX", "3XX", 401, 403, 404, 409, 414, 429]},
)

app = create_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)


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
