"""Enumerated values matched regardless of case, refusals that list what is accepted, and the research-only notice."""

from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from models.enums import Measure
from models.meta import RESEARCH_ONLY_NOTICE


@pytest.mark.parametrize(
    ("path", "loose", "canonical"),
    [
        ("/v1/outcomes", {"measure": "CR", "limit": 2}, {"measure": "cr", "limit": 2}),
        ("/v1/studies", {"target_antigen": "cd7", "limit": 2}, {"target_antigen": "CD7", "limit": 2}),
        ("/v1/studies", {"disease": "t-all", "therapy_class": "CAR_T"}, {"disease": "T-ALL", "therapy_class": "car_t"}),
        ("/v1/adverse-events", {"term": "Cytokine_Release_Syndrome"}, {"term": "cytokine_release_syndrome"}),
        ("/v1/outcomes", {"subgroup": "ANY", "measure": "Os"}, {"subgroup": "any", "measure": "os"}),
    ],
)
def test_enumerated_values_are_matched_regardless_of_case(
    client: TestClient, path: str, loose: dict[str, object], canonical: dict[str, object]
) -> None:
    asked, expected = client.get(path, params=loose), client.get(path, params=canonical)
    assert asked.status_code == expected.status_code == 200
    body = asked.json()
    assert body["total"] > 0
    # The same answer, links included: they carry the canonical values, never the case asked.
    assert body == expected.json()
    assert parse_qs(urlsplit(body["links"]["self"]).query) == {k: [str(v)] for k, v in canonical.items()} | {
        "offset": ["0"],
        "limit": [str(canonical.get("limit", 50))],
    }


def test_the_comparison_answers_with_the_canonical_measure(client: TestClient) -> None:
    answer = client.get("/v1/comparison", params={"measure": "CR"})
    assert answer.status_code == 200 and answer.json() == client.get("/v1/comparison?measure=cr").json()
    assert answer.json()["measure"] == "cr"


def test_the_embedded_table_takes_any_case(client: TestClient) -> None:
    loose = client.get("/embed/table", params={"target_antigen": "cd7"})
    assert loose.status_code == 200 and loose.text == client.get("/embed/table?target_antigen=CD7").text


def test_a_refused_value_lists_every_allowed_one(client: TestClient) -> None:
    answer = client.get("/v1/outcomes", params={"measure": "complete"})
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert error["location"] == "query.measure.0"
    assert all(f"'{member.value}'" in error["message"] for member in Measure)


@pytest.mark.parametrize(("path", "others"), [("/v1/outcomes", {}), ("/v1/comparison", {"measure": "cr"})])
def test_a_bad_time_point_is_explained_in_words(client: TestClient, path: str, others: dict[str, str]) -> None:
    answer = client.get(path, params={**others, "time_point": "2 years"})
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    message = error["message"]
    assert "'2 years' is not a time point" in message
    assert all(form in message for form in ("d28", "18m", "2y", "cycle1", "best"))
    assert "^(" not in message and "pattern" not in message


def test_a_time_point_in_an_accepted_form_still_answers(client: TestClient) -> None:
    assert client.get("/v1/outcomes", params={"time_point": "2y"}).json()["total"] > 0


def test_meta_and_the_front_door_carry_the_research_only_notice(client: TestClient) -> None:
    assert client.get("/v1/meta").json()["notice"] == RESEARCH_ONLY_NOTICE
    assert client.get("/", headers={"Accept": "application/json"}).json()["notice"] == RESEARCH_ONLY_NOTICE
    assert client.get("/embed/labels.json").json()["notice"] == RESEARCH_ONLY_NOTICE
    assert "not for clinical decisions" in RESEARCH_ONLY_NOTICE


@pytest.mark.parametrize("path", ["/", "/embed/studies/ns7car-t", "/embed/table?target_antigen=CD7"])
def test_the_html_pages_carry_the_notice(client: TestClient, path: str) -> None:
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert f'<p class="te-notice" data-notice>{RESEARCH_ONLY_NOTICE}</p>' in page.text
