"""The unknown-parameter and plain-integer refusals in their exact words, in process (where mutants are reached)."""

from fastapi.testclient import TestClient

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


def test_unknown_parameters_are_named_with_what_the_route_accepts(client: TestClient) -> None:
    problem = client.get("/v1/sources", params={"zz": "1", "aa": "2"}).json()
    # format is declared though left out of the document (see api.render.formats.format_query).
    assert problem["detail"] == "Unknown query parameter(s): aa, zz. This route accepts: format, limit, offset."
    assert [e["location"] for e in problem["errors"]] == ["query.aa", "query.zz"]


def test_operations_left_out_of_the_document_are_not_checked(client: TestClient) -> None:
    # The API reference page is not an operation of the document: its query string is its own business.
    assert client.get("/docs", params={"anything": "1"}).status_code == 200
