"""The schema-driven fuzzing of tests/test_fuzz.py, sent through real sockets to a running server.

Bounded and deterministic like the in-process run (a fixed number of examples per operation
and mode, derandomised); here the HTTP parser, uvicorn and every middleware sit between the
generated input and the application. The cases are drawn from schemathesis' strategies
directly: its pytest plugin cannot take a schema from a fixture under this pytest.
"""

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.http.live import LiveServer
from tests.support import fuzz_config, problem_details

MAX_EXAMPLES = 10
CONFIG = fuzz_config(MAX_EXAMPLES)


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


def test_every_operation_survives_generated_input_over_the_wire(server: LiveServer) -> None:
    schema = schemathesis.openapi.from_url(f"{server.base}/openapi.json", config=CONFIG)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        # Not negative_data_rejection (tests/test_fuzz.py runs it in process, on a seed it is tuned
        # for): a "negative" non-string value for a list of strings reaches the server as its
        # text (true, car_t_cells), a valid string, so over the wire it reports valid requests.
        excluded = [schemathesis.checks.negative_data_rejection]
        if operation.path == "/v1/claims/check":
            # Required in combinations a schema cannot state (tests/routes/test_fuzz.py says which).
            excluded.append(schemathesis.checks.positive_data_acceptance)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _runner(operation, mode, excluded)()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, operation.label  # no parameter to get wrong
            except (Exception, BaseExceptionGroup) as exc:  # collected so that one run reports every failing operation
                failures.append(f"{operation.label} ({mode.value}): {str(exc)[:600]}")
    assert operations >= 20
    assert not failures, "\n\n".join(failures)
