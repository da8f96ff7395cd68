"""Schema-driven fuzzing of every operation, in process: no 5xx, answers as documented, errors as problem details.

Bounded and deterministic: a few examples per operation, valid and invalid, from a fixed seed.

One test per operation, as schemathesis' own parametrize makes, but each operation's cases
(explicit examples, the coverage phase's, and generated ones) are built when its test runs, on the
worker that runs it: built while collecting, they cost every pytest worker about 10 s of CPU for
the 44 operations, though each runs only its share. Only the operations' names are read then.
"""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.pytest.lazy import get_all_tests
from schemathesis.python.asgi import ASGIClient

from api.main import create_app
from tests.support import fuzz_config, operation_labels, problem_details

MAX_EXAMPLES = 50

# A schema-valid query can still be longer than the 2048-byte query-string limit (docs, 'Limits'):
# many repeated filter values. 414 is the declared answer.
ACCEPTED = {"expected-statuses": ["2XX", "3XX", 401, 403, 404, 409, 414, 429]}
CONFIG = fuzz_config(MAX_EXAMPLES, positive_data_acceptance=ACCEPTED)
# Some operations take only parameters of another (their parent): a file twin (GET /v1/studies.csv) is
# its JSON operation's handler with the format fixed; a facets operation and the embedded table take
# the list's filters. The coverage phase's cases are the parent's values of the same parameters: the
# invalid ones are refused by the shared parsing before any handler runs, and the valid ones (every
# enumerated value of every filter, 210 to 230 per operation, about 4,000 in all: a tenth of the suite's
# CPU) select rows whose every rendering the face tests check over the whole data
# (tests/test_projection_conformance.py). Such an operation gets both modes' generated cases, which
# reach its own handler and rendering. That the parameters are the parent's, definition for
# definition, is checked below.
DERIVED_CONFIG = fuzz_config(MAX_EXAMPLES, coverage_mode=None, positive_data_acceptance=ACCEPTED)
DERIVED_SUFFIXES = (".csv", ".ndjson", ".svg", "/facets")

OPERATIONS = operation_labels()
DERIVED = {
    label: label.removesuffix(suffix)
    for label in OPERATIONS
    for suffix in DERIVED_SUFFIXES
    if label.endswith(suffix) and label.removesuffix(suffix) in OPERATIONS
} | {"GET /embed/table": "GET /v1/studies"}


@pytest.fixture(scope="module")
def fuzzed_app() -> FastAPI:
    # One application for both configurations: schemathesis starts an application's lifespan once
    # (building the data), so a second application cost each worker a second build.
    return create_app()


@pytest.fixture(scope="module")
def client(fuzzed_app: FastAPI) -> Iterator[ASGIClient]:
    # One client for every case, as a real client keeps one session: schemathesis otherwise makes a
    # client per case, and each read the proxy settings from the environment again (a fifth of the
    # time a case took in the test process). The application is still reached in process.
    with ASGIClient(fuzzed_app) as session:
        session.trust_env = False
        yield session


@pytest.fixture(scope="module")
def api_schema(fuzzed_app: FastAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app, config=CONFIG)


@pytest.fixture(scope="module")
def derived_schema(fuzzed_app: FastAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app, config=DERIVED_CONFIG)


@pytest.mark.parametrize("label", OPERATIONS)
def test_every_operation_survives_generated_input(
    api_schema: schemathesis.BaseSchema, derived_schema: schemathesis.BaseSchema, client: ASGIClient, label: str
) -> None:
    # What schemathesis' parametrize builds for one operation, now (its own lazy loader, built for
    # this, reads a pytest node attribute pytest 9 no longer has).
    schema = derived_schema if label in DERIVED else api_schema
    (built,) = get_all_tests(schema=schema.include(name=label), test_func=_check, settings=None, given_kwargs={})
    operation, test = built.ok()
    assert operation.label == label
    test(session=client)


@pytest.mark.parametrize(("derived", "parent"), sorted(DERIVED.items()))
def test_an_operation_fuzzed_as_derived_takes_only_its_parents_parameters(
    api_schema: schemathesis.BaseSchema, derived: str, parent: str
) -> None:
    # What lets it skip the coverage phase's invalid cases (above): each parameter is one of the
    # parent's, definition for definition, and the parent is fuzzed whole.
    assert len(DERIVED) >= 16 and parent not in DERIVED
    paths = api_schema.raw_schema["paths"]

    def parameters(label: str) -> list[Any]:
        method, path = label.split(" ", 1)
        return list(paths[path][method.lower()].get("parameters", []))

    assert len(parameters(derived)) >= 2
    assert [p["name"] for p in parameters(derived) if p not in parameters(parent)] == []


def _as_digits(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return [_as_digits(item) for item in value] if isinstance(value, list) else value


@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def _check(case: schemathesis.Case, session: ASGIClient) -> None:
    # Schemathesis also draws values from the application's own constants, and a float such as a
    # 10.0-second timeout is a valid JSON Schema integer; on the wire it would be '10.0', which the
    # API refuses by design (integers in ASCII digits: tests/http/test_numeric_bounds.py). A client
    # writes that integer as 10, so the case does too.
    if case.query:
        case.query = {name: _as_digits(value) for name, value in case.query.items()}
    # Query values are text on the wire, so a generated "negative" value of the wrong type (a boolean,
    # a number) often arrives as a valid string ('false' is a fine study id) and the check would flag
    # a correct answer. Invalid values are still sent, and must still get problem details and no
    # 500; their refusal is tested value by value in tests/http (bounds, strict integers, patterns).
    excluded = [schemathesis.checks.negative_data_rejection]
    if case.operation.path == "/v1/claims/check":
        # Its parameters are required in combinations a schema cannot state (measure, value and a scope;
        # or text alone), so a schema-valid query is often rightly a 422; tests/claims checks each refusal.
        excluded.append(schemathesis.checks.positive_data_acceptance)
    case.call_and_validate(session=session, additional_checks=[problem_details], excluded_checks=excluded)
