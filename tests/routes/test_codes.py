"""Codes (CURIEs) on /v1: from the verified list only, and every term filter takes them too."""

import csv
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.loading.fixture_files import FixtureError
from api.loading.terminology import PREFIXES, read_terminology
from api.settings import Settings
from models.terminology import CODED_VOCABULARIES


def verified(settings: Settings) -> set[str]:
    with settings.terminology_file.open(newline="", encoding="utf-8") as file:
        return {PREFIXES[row["system"]] + row["code"] for row in csv.DictReader(file) if row["system"] in PREFIXES}


def test_the_project_copy_of_the_code_list_keeps_its_provenance(settings: Settings) -> None:
    with settings.terminology_file.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert rows and all(row["verified_from"].strip() for row in rows)


def test_studies_and_figures_carry_only_verified_codes_of_their_own_terms(
    client: TestClient, settings: Settings
) -> None:
    known = verified(settings)
    terminology = read_terminology(
        settings.terminology_file, settings.term_codes_file, max_bytes=settings.max_fixture_bytes
    )
    dataset = client.get("/v1/dataset").json()
    seen = set()
    for study in dataset["studies"]:
        # Every agent the record names carries its codes: the treatment given (agents), and also what the
        # arms list in other roles (prior therapy, toxicity management), which the study detail shows.
        named_agents = {x["agent"] for arm in study["arms"] for x in arm["interventions"]}
        assert set(study["agents"]) | set(study["prior_therapies"]) <= named_agents
        terms = {*study["diseases"], *named_agents, *study["target_antigens"]}
        assert set(study["codes"]) <= terms
        for vocabulary in ("disease", "agent", "target_antigen"):
            field = {"disease": "diseases", "agent": "agents", "target_antigen": "target_antigens"}[vocabulary]
            assert terminology.of(vocabulary, study[field]).items() <= study["codes"].items()
        for figure in study["outcomes"] + study["adverse_events"]:
            term = figure.get("measure") or figure.get("term")
            assert set(figure["codes"]) <= {term}
            seen |= {c for curies in figure["codes"].values() for c in curies}
        seen |= {c for curies in study["codes"].values() for c in curies}
    assert seen and seen <= known
    # The terms the issue names carry the codes it names.
    assert "HGNC:1695" in seen and "MONDO:0004963" in seen and "CHEBI:63612" in seen and "NCIT:C1704" in seen


CASES = [
    ("/v1/studies", "target_antigen", "CD7", "HGNC:1695"),
    ("/v1/studies", "disease", "T-ALL", "MONDO:0004963"),
    ("/v1/studies", "agent", "nelarabine", "CHEBI:63612"),
    ("/v1/studies.csv", "agent", "nelarabine", "NCIT:C1704"),
    ("/v1/studies/facets", "target_antigen", "CD7", "HGNC:1695"),
    ("/v1/outcomes", "measure", "cr", "NCIT:C4870"),
    ("/v1/outcomes.ndjson", "target_antigen", "CD7", "HGNC:1695"),
    ("/v1/adverse-events", "term", "cytokine_release_syndrome", "MEDDRA:10052015"),
    ("/v1/adverse-events", "disease", "T-ALL", "NCIT:C3183"),
    ("/embed/table", "target_antigen", "CD7", "HGNC:1695"),
]


@pytest.mark.parametrize(("path", "name", "term", "curie"), CASES)
def test_a_filter_given_a_code_answers_as_given_its_term(
    client: TestClient, *, path: str, name: str, term: str, curie: str
) -> None:
    page = {} if path.endswith(("facets", ".csv", ".ndjson", "table")) else {"limit": 2}
    by_term = client.get(path, params={name: term, **page})
    by_code = client.get(path, params={name: curie, **page})
    assert by_term.status_code == by_code.status_code == 200
    assert by_code.content == by_term.content  # the same body, page links included
    assert by_term.content != client.get(path, params=page).content  # the filter does filter


@pytest.mark.parametrize(("path", "name", "term", "curie"), CASES)
def test_a_code_is_matched_regardless_of_case(
    client: TestClient, *, path: str, name: str, term: str, curie: str
) -> None:
    """Session 14's probe (GA1): `ncit:c4870` matched nothing on the lists (an empty 200, "0 figures match"
    over MCP) and was a 422 on the claim check, where every other categorical value is matched in any case."""
    page = {} if path.endswith(("facets", ".csv", ".ndjson", "table")) else {"limit": 2}
    by_code = client.get(path, params={name: curie, **page})
    by_lower = client.get(path, params={name: curie.lower(), **page})
    assert by_lower.status_code == by_code.status_code == 200
    assert by_lower.content == by_code.content  # the same body: links hold the term, not the code


def test_a_claim_takes_a_code_in_any_case(client: TestClient) -> None:
    asked = {"measure": "ncit:c4870", "value": 80, "unit": "percent", "study": "rd13-01"}
    as_written = client.get("/v1/claims/check", params={**asked, "measure": "NCIT:C4870"})
    in_lower = client.get("/v1/claims/check", params=asked)
    assert in_lower.status_code == as_written.status_code == 200, in_lower.text
    assert in_lower.json()["verdict"] == as_written.json()["verdict"] == "supported"


def test_a_code_no_term_carries_matches_nothing(client: TestClient) -> None:
    assert client.get("/v1/studies", params={"target_antigen": "HGNC:1674"}).json()["total"] == 0  # CD3E: not CD3


def test_every_coded_vocabulary_is_a_filter(client: TestClient) -> None:
    params = {
        p["name"]
        for path in ("/v1/studies", "/v1/outcomes", "/v1/adverse-events")
        for p in client.get("/openapi.json").json()["paths"][path]["get"]["parameters"]
    }
    assert set(CODED_VOCABULARIES) <= params


def test_an_unverified_code_stops_start_up_naming_file_and_term(tmp_path: Path, settings: Settings) -> None:
    codes = tmp_path / "term_codes.yaml"
    shutil.copy(settings.term_codes_file, codes)
    codes.write_text(codes.read_text().replace("CD7: [HGNC:1695]", "CD7: [HGNC:1695, HGNC:99999]"))
    with pytest.raises(
        FixtureError, match=r"term_codes.yaml \(TALL_TERM_CODES_FILE\): target_antigen.CD7: not in \S*terminology.csv"
    ):
        read_terminology(settings.terminology_file, codes, max_bytes=settings.max_fixture_bytes)


@pytest.mark.parametrize("path", ["/v1/comparison", "/v1/comparison.csv", "/v1/comparison.svg"])
def test_the_comparison_takes_its_measure_by_code(client: TestClient, path: str) -> None:
    by_term = client.get(path, params={"measure": "cr", "subgroup": "any"})
    assert by_term.status_code == 200
    assert client.get(path, params={"measure": "NCIT:C4870", "subgroup": "any"}).content == by_term.content
    assert client.get(path, params={"measure": "cri", "subgroup": "any"}).content != by_term.content


def test_a_measure_code_no_measure_carries_is_not_found(client: TestClient) -> None:
    response = client.get("/v1/comparison", params={"measure": "NCIT:C3183"})  # T-ALL's code, not a measure's
    assert response.status_code == 404
    assert response.json()["errors"][0]["location"] == "query.measure"
