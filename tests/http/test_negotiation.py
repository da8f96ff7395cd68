"""Item 7: Accept is read per RFC 9110 (12.5.1): q-values, wildcards, case-insensitive media types."""

import httpx
import pytest

CASES = {
    "application/json, text/csv;q=0": "application/json",
    "text/csvfoo": "application/json",
    "TEXT/CSV": "text/csv",
    "Text/Csv; Q=1": "text/csv",
    "text/csv;q=0.5, application/json": "application/json",
    "application/json;q=0.4, text/csv;q=0.6": "text/csv",
    "text/*": "text/csv",
    "*/*": "application/json",
    "application/x-ndjson": "application/x-ndjson",
    "application/x-ndjson;q=0.9, text/csv;q=0.8": "application/x-ndjson",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8": "application/json",
    "": "application/json",
}


@pytest.mark.parametrize("accept", sorted(CASES))
def test_accept_header_chooses_the_representation(http: httpx.Client, accept: str) -> None:
    response = http.get("/v1/sources", params={"limit": 2}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == CASES[accept]
