"""The schema-driven fuzzing of tests/routes/test_fuzz.py, sent through real sockets to a running server.

Bounded and deterministic like the in-process run (a fixed number of examples per operation
and mode, derandomised); here the HTTP parser, uvicorn and every middleware sit between the
generated input and the application. The cases are drawn from schemathesis' strategies
directly: its pytest plugin cannot take a schema from a fixture under this pytest.

One test per operation (both generation modes), so that the workers share them out; the
schema the server publishes must list exactly the operations parametrized over.
"""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.http.live import LiveServer
from tests.support import fuzz_config, operation_labels, problem_details

MAX_EXAMPLES = 10
CONFIG = fuzz_config(MAX_EXAMPLES)
OPERATIONS = operation_labels()


@pytest.fixture(scope="module")
def live_schema(server: LiveServer) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{server.base}/openapi.json", config=CONFIG)


def _runner(operation: Any, mode: GenerationMode, excluded: list[Any]) -> Any:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(timeout=30, additional_checks=[problem_details], excluded_checks=excluded)

    return check


def test_the_served_schema_has_the_operations_fuzzed(live_schema: schemathesis.BaseSchema) -> None:
    served = [result.ok().label for result in live_schema.get_all_operations()]
    assert len(OPERATIONS) >= 20
    assert sorted(served) == sorted(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
def test_every_operation_survives_generated_input_over_the_wire(
    live_schema: schemathesis.BaseSchema, label: str
) -> None:
    (result,) = live_schema.include(name=label).get_all_operations()
    operation = result.ok()
    assert operation.label == label
    # Not negative_data_rejection (tests/routes/test_fuzz.py runs it in process, on a seed it is tuned
    # for): a "negative" non-string value for a list of strings reaches the server as its
    # text (true, car_t_cells), a valid string, so over the wire it reports valid requests.
    excluded = [schemathesis.checks.negative_data_rejection]
    if operation.path == "/v1/claims/check":
        # Required in combinations a schema cannot state (tests/routes/test_fuzz.py says which).
        excluded.append(schemathesis.checks.positive_data_acceptance)
    failures: list[str] = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        try:
            _runner(operation, mode, excluded)()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE, operation.label  # no parameter to get wrong
        except (Exception, BaseExceptionGroup) as exc:  # collected so that one run reports both modes
            failures.append(f"{operation.label} ({mode.value}): {str(exc)[:600]}")
    assert not failures, "\n\n".join(failures)
