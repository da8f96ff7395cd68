"""One record by id (api.queries.pages.get_or_404) and the filters as the embedded table heads them."""

import pytest
from fastapi.testclient import TestClient

from api.queries.filters import StudyFilters, describe_filters
from models.enums import Design, Disease


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("/v1/studies", "study"),
        ("/v1/outcomes", "outcome"),
        ("/v1/adverse-events", "adverse event"),
        ("/v1/sources", "source document"),
        ("/v1/epidemiology", "epidemiology figure"),
    ],
)
def test_an_unknown_id_is_a_404_naming_the_kind_and_the_id(client: TestClient, path: str, label: str) -> None:
    response = client.get(f"{path}/no-such-record")
    assert response.status_code == 404
    assert response.json()["detail"] == f"No {label} with id 'no-such-record'."
    # A known id of the same list is found (the 404 is about the id, not the route).
    known = client.get(path, params={"limit": 1}).json()["items"][0]["id"]
    assert client.get(f"{path}/{known}").json()["id"] == known


def test_the_heading_lists_only_the_filters_given_with_every_value() -> None:
    filters = StudyFilters(
        disease=[Disease("T-ALL"), Disease("T-LBL")], design=[Design("case_report")], min_patients=10
    )
    assert describe_filters(filters) == {
        "disease": ["T-ALL", "T-LBL"],
        "design": ["case_report"],
        "min_patients": ["10"],
    }
    assert describe_filters(StudyFilters()) == {}


def test_the_embedded_table_heads_its_filters(client: TestClient) -> None:
    plain = client.get("/embed/table").text
    page = client.get("/embed/table", params=[("disease", "T-ALL"), ("disease", "T-LBL"), ("min_patients", 5)]).text
    assert '<h1 class="te-title">Studies</h1>' in plain
    heading = page.split('<h1 class="te-title">', 1)[1].split("</h1>", 1)[0]
    assert heading.startswith("Studies: ") and "T-ALL or T-LBL" in heading and heading.endswith(" 5")
