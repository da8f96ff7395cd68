"""The unknown-parameter and plain-integer refusals in their exact words, in process (where mutants are reached)."""

from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings

FULLWIDTH_TWO = "\uff12"  # a digit in another script: not an ASCII digit


def test_integers_not_written_plainly_are_refused_one_problem_field_each(client: TestClient) -> None:
    response = client.get(
        "/v1/studies", params=[("limit", "1.0"), ("offset", "+5"), ("year", "2020"), ("year", FULLWIDTH_TWO)]
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["detail"] == "The request has invalid parameters."
    assert problem["errors"] == [
        {"location": "query.limit", "message": "'1.0' is not a whole number in ASCII digits"},
        {"location": "query.offset", "message": "'+5' is not a whole number in ASCII digits"},
        {"location": "query.year", "message": f"'{FULLWIDTH_TWO}' is not a whole number in ASCII digits"},
    ]


def test_a_parameter_taking_one_value_given_twice_is_refused_with_the_other_faults(client: TestClient) -> None:
    response = client.get(
        "/v1/studies",
        # design and year take a list: repeats are theirs to take.
        params=[
            *[("limit", n) for n in "12"],
            *[("offset", n) for n in "123"],
            *[("design", d) for d in "xy"],
            ("year", "+1"),
        ],
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"location": "query.limit", "message": "given 2 times; it takes one value"},
        {"location": "query.offset", "message": "given 3 times; it takes one value"},
        {"location": "query.year", "message": "'+1' is not a whole number in ASCII digits"},
    ]


def test_unknown_parameters_are_named_with_what_the_route_accepts(client: TestClient) -> None:
    problem = client.get("/v1/sources", params={"zz": "1", "aa": "2"}).json()
    # format is declared though left out of the document (see api.render.formats.format_query).
    assert problem["detail"] == "Unknown query parameter(s): aa, zz. This route accepts: format, limit, offset."
    assert [e["location"] for e in problem["errors"]] == ["query.aa", "query.zz"]


def test_operations_left_out_of_the_document_are_not_checked(client: TestClient) -> None:
    # The API reference page is not an operation of the document: its query string is its own business.
    assert client.get("/docs", params={"anything": "1"}).status_code == 200


def test_which_declared_parameters_take_whole_numbers() -> None:
    from typing import Annotated, Optional

    from fastapi import FastAPI, Query
    from fastapi.routing import APIRoute

    from api.middleware.limits import _takes_integers, _takes_list, query_parameters

    assert _takes_integers(int) and _takes_integers(int | None) and _takes_integers(list[int] | None)
    assert _takes_integers(Annotated[int, "bound"])
    assert not _takes_integers(bool) and not _takes_integers(str | None) and not _takes_integers(float)
    for many in (list[str], set[int], frozenset[str], tuple[int, ...], list[int] | None, Optional[list[int]]):  # noqa: UP045 (typing.Union is another origin than X | Y)
        assert _takes_list(many) and _takes_list(Annotated[many, "bound"]), many
    for one in (str, int | None, Optional[int], Annotated[int, "bound"], dict[str, list[int]]):  # noqa: UP045
        assert not _takes_list(one), one
    app = FastAPI()

    # A route made here, so its declaration is read afresh rather than remembered from another test.
    @app.get("/x")
    def x(
        n: Annotated[int | None, Query()] = None, word: str = "", many: Annotated[list[int] | None, Query()] = None
    ) -> None:
        return None

    [route] = [r for r in app.routes if isinstance(r, APIRoute)]
    declared = query_parameters(route)
    assert declared.names == {"n", "word", "many"}
    assert declared.integers == {"n", "many"}
    assert declared.lists == {"many"}
    assert query_parameters(route) is declared  # remembered on the route


def test_the_values_each_enumerated_parameter_accepts_are_gathered_in_any_case() -> None:
    """On routes made here: the application's routes belong to module-level routers shared by every app
    in the process, so what was gathered for them once is remembered on them for good (and in mutation
    runs, before a mutant is switched on)."""
    from enum import Enum
    from typing import Annotated

    from fastapi import FastAPI, Query
    from fastapi.routing import APIRoute

    from api.middleware.limits import query_parameters

    class Colour(Enum):
        RED = "red"
        DARK_RED = "Dark-Red"

    class Size(Enum):
        ONE = 1
        TWO = 2

    class Clash(Enum):  # two values equal but for case cannot be told apart
        LOWER = "ab"
        UPPER = "AB"

    app = FastAPI()

    @app.get("/x")
    def x(
        colour: Colour = Colour.RED,
        maybe: Colour | None = None,
        many: Annotated[list[Size] | None, Query()] = None,
        clash: Clash | None = None,
        word: str = "",
    ) -> None:
        return None

    [route] = [r for r in app.routes if isinstance(r, APIRoute)]
    assert query_parameters(route).canonical == {
        "colour": {"red": "red", "dark-red": "Dark-Red"},
        "maybe": {"red": "red", "dark-red": "Dark-Red"},
        "many": {"1": "1", "2": "2"},
        "clash": {},
    }


def test_enumerated_values_in_any_case_are_the_declared_ones() -> None:
    """measure=CR is measure=cr: the same items, and the links carry the declared value."""
    with TestClient(create_app(Settings(response_cache_enabled=False))) as client:
        _check_any_case(client)


def _check_any_case(client: TestClient) -> None:
    plain = client.get("/v1/outcomes", params={"measure": "cr", "limit": 2}).json()
    for asked in ("CR", "Cr"):
        shouted = client.get("/v1/outcomes", params={"measure": asked, "limit": 2}).json()
        assert shouted["items"] == plain["items"] and shouted["total"] == plain["total"]
        assert shouted["links"] == plain["links"]
    # Two values of one parameter in different cases, and an unknown one left to be refused.
    both = client.get("/v1/studies", params=[("design", "CASE_REPORT"), ("design", "Single_Arm_Trial")]).json()
    wanted = client.get("/v1/studies", params=[("design", "case_report"), ("design", "single_arm_trial")]).json()
    assert both["total"] == wanted["total"] > 0 and both["links"]["self"] == wanted["links"]["self"]
    refused = client.get("/v1/outcomes", params={"measure": "NOT-A-MEASURE"})
    assert refused.status_code == 422
