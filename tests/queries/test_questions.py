"""The questions issue #4 names, each one request, checked against the source documents' figures."""

import csv
import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from statsmodels.stats.proportion import proportion_confint

from tests.fixture_data import interventions, studies


def _targets(study: dict, antigen: str) -> bool:
    return any(antigen in p["target_antigens"] for p in study.get("car_products", []))


def _agents(study: dict) -> set[str]:
    """The agents the study gave as treatment (not prior therapies, not toxicity management)."""
    return {x["agent"] for x in interventions(study)}


def test_grade_3_or_worse_crs_in_cd7_car_t(client: TestClient) -> None:
    response = client.get(
        "/v1/adverse-events",
        params={"term": "cytokine_release_syndrome", "min_grade": 3, "target_antigen": "CD7", "limit": 500},
    )
    items = response.json()["items"]
    # Independently from the fixture files: CD7 studies' CRS figures whose every grade is >= 3.
    expected = {
        f"{sid}.{e['id']}"
        for sid, study in studies().items()
        if _targets(study, "CD7")
        for e in study.get("adverse_events", [])
        if e["term"] == "cytokine_release_syndrome" and (e.get("grade_min") or 0) >= 3
    }
    assert {e["id"] for e in items} == expected
    # Figures printed in the documents: RD13-01 1/10 grade 3 (002), NS7CAR five grade III and one grade IV
    # of 53 (002), donor-derived CD7 CAR-T 10% grade >=3 (002), Zhang 2023 six G3 and one G4 (004).
    by_study = {}
    for e in items:
        by_study.setdefault(e["study_id"], []).append(e)
    assert any(e["patients"] == 1 and e["at_risk"] == 10 for e in by_study["rd13-01"])
    assert sorted(e["patients"] for e in by_study["ns7car-t"]) == [1, 5]
    assert any(e["percentage"] == 10 for e in by_study["tan-donor-cd7-car-t"])
    assert sorted(e["patients"] for e in by_study["zhang-cd7-car-t-ajh-2023"]) == [1, 6]
    assert all(e["grade_min"] >= 3 for e in items)


def test_cr_comparison_across_cd7_car_t(client: TestClient) -> None:
    body = client.get("/v1/comparison", params={"measure": "cr", "target_antigen": "CD7", "subgroup": "any"}).json()
    rows = {r["outcome_id"]: r for r in body["rows"]}
    excluded = {e["outcome_id"]: e["reason"] for e in body["excluded"]}
    # Zhang 2023 (004): 32 patients with extramedullary disease, 56% CR -> 18/32 (derived, flagged).
    emd = rows["zhang-cd7-car-t-ajh-2023.cr-emd"]
    assert (emd["events"], emd["n"], emd["derived"]) == (18, 32, True)
    for row in rows.values():
        low, high = proportion_confint(row["events"], row["n"], method="wilson")
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
        assert row["source_id"] and row["locator"] and row["printed"]
    # RD13-01 (002): text says four of ten, Table 2 says 80% -> a recorded conflict, not used.
    assert "conflict" in excluded["rd13-01.cr-text"] and "conflict" in excluded["rd13-01.cr-table"]
    # CTD402 (003): 74% in marrow disease, with no denominator printed.
    assert "denominator" in excluded["ctd402-rp2d.cr-bone-marrow"]
    # Only comparable rows pool; every row says whether it is pooled, and if not, why.
    pooled_ids = set(body["pooled"]["outcome_ids"]) if body["pooled"] else set()
    for row in rows.values():
        assert row["pooled"] == (row["outcome_id"] in pooled_ids)
        assert row["pooled"] or row["not_pooled_reason"]
    if body["pooled"] is None:
        assert "at least two comparable rows" in body["pooled_note"]


def test_default_cr_comparison_pools_nothing_that_is_not_comparable(client: TestClient) -> None:
    body = client.get("/v1/comparison", params={"measure": "cr"}).json()
    rows = {r["outcome_id"]: r for r in body["rows"]}
    # Shimony (002): CR 62% vs 40% in 29 and 15 patients -> 18/29 and 6/15, derived from the percentages.
    shimony = [rows["shimony-nelarabine-rr.cr-combination"], rows["shimony-nelarabine-rr.cr-monotherapy"]]
    assert [(r["events"], r["n"], r["derived"]) for r in shimony] == [(18, 29, True), (6, 15, True)]
    assert all(r["subgroup"] is None for r in rows.values())  # whole populations unless asked
    # Every row with counts here is derived: none pools by default, and the note says why.
    assert all(r["derived"] and not r["pooled"] and "include_derived" in r["not_pooled_reason"] for r in shimony)
    assert body["pooled"] is None and "derived" in body["pooled_note"]
    # Asked to include derived rows, figures without a time point still pool with nothing, and the
    # after-cycle-1 figure has no other row at its time point.
    body = client.get("/v1/comparison", params={"measure": "cr", "include_derived": "true"}).json()
    rows = {r["outcome_id"]: r for r in body["rows"]}
    assert body["include_derived"] is True and body["pooled"] is None
    assert "no time point" in rows["shimony-nelarabine-rr.cr-combination"]["not_pooled_reason"]
    assert rows["yu-v-hag-phase2.cr-cycle1"]["not_pooled_reason"] == "no other comparable row to pool with"
    for row in rows.values():
        assert row["denominator_basis"] and "response_definition" in row
    csv_text = client.get("/v1/comparison", params={"measure": "cr", "format": "csv"}).text
    header, *lines = csv_text.splitlines()
    for column in ("label", "derived", "denominator_basis", "response_definition", "pooled", "not_pooled_reason"):
        assert column in header.split(",")
    kinds = [line.split(",", 1)[0] for line in lines]
    assert kinds.count("study") == len(rows) and kinds.count("pooled") == 0
    assert kinds.count("excluded") == len(body["excluded"])


def test_comparison_refuses_a_bad_include_derived(client: TestClient) -> None:
    response = client.get("/v1/comparison", params={"measure": "cr", "include_derived": "maybe"})
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith("application/problem+json")


def test_comparison_carries_survival_figures_as_printed(client: TestClient) -> None:
    body = client.get("/v1/comparison", params={"measure": "os", "target_antigen": "CD7"}).json()
    assert body["rows"] and body["pooled"] is None
    for row in body["rows"]:
        assert row["ci_low"] is None and row["ci_high"] is None and row["interval_method"] is None
    assert {r["printed"] for r in body["rows"]} >= {"18\u2011month OS: 75.0%", "2-yr OS 63%"}


def test_outcomes_of_venetoclax_regimens_in_etp_all(client: TestClient) -> None:
    items = client.get("/v1/outcomes", params={"agent": "venetoclax", "disease": "ETP-ALL", "limit": 500}).json()[
        "items"
    ]
    fixtures = studies()
    expected = {
        f"{sid}.{o['id']}"
        for sid, s in fixtures.items()
        if "venetoclax" in _agents(s) and "ETP-ALL" in s["diseases"]
        for o in s.get("outcomes", [])
    }
    assert {o["id"] for o in items} == expected
    printed = {o["printed"] for o in items}
    # V-HAG (002): CR/CRi 100% after the first cycle; phase II: CRc 85.7% (6/7).
    assert any("100%" in p for p in printed if "CR/CRi" in p)
    assert any(o["value"] == 85.7 and (o["numerator"], o["denominator"]) == (6, 7) for o in items)


def test_full_text_search_for_nelarabine(client: TestClient) -> None:
    items = client.get("/v1/studies", params={"q": "nelarabine"}).json()["items"]
    nelarabine_studies = {sid for sid, s in studies().items() if "nelarabine" in _agents(s)}
    assert nelarabine_studies and nelarabine_studies <= {s["id"] for s in items}
    assert "gmall-08-2013" in nelarabine_studies  # the GMALL trial of 281 patients (002)
    assert all(s["id"] not in {"rd13-01", "ctd402-rp2d"} for s in items)


@pytest.mark.parametrize("q", ['"unbalanced', "NEAR(", "*", "a AND OR", "-", "CD7 OR"])
def test_search_never_fails_on_query_syntax(client: TestClient, q: str) -> None:
    response = client.get("/v1/studies", params={"q": q})
    assert response.status_code in (200, 422)
    if response.status_code == 422:
        assert response.headers["content-type"] == "application/problem+json"


def test_unknown_enum_value_lists_the_allowed_values(client: TestClient) -> None:
    response = client.get("/v1/adverse-events", params={"term": "crs"})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["location"] == "query.term.0"
    assert "'cytokine_release_syndrome'" in error["message"] and "'icans'" in error["message"]


def test_filters_combine(client: TestClient) -> None:
    fixtures = studies()
    body = client.get(
        "/v1/studies", params={"target_antigen": "CD7", "cell_source": "donor_derived", "limit": 500}
    ).json()
    expected = {
        sid
        for sid, s in fixtures.items()
        if any("CD7" in p["target_antigens"] and p["cell_source"] == "donor_derived" for p in s.get("car_products", []))
    }
    assert {s["id"] for s in body["items"]} == expected and expected
    minimum = client.get("/v1/studies", params={"min_patients": 50, "limit": 500}).json()["items"]
    assert {s["id"] for s in minimum} == {sid for sid, s in fixtures.items() if (s.get("n_enrolled") or 0) >= 50}


def test_facets_agree_with_filtered_totals(client: TestClient) -> None:
    facets = client.get("/v1/studies/facets", params={"therapy_class": "car_t"}).json()
    for facet in ("target_antigen", "cell_source", "design"):
        for entry in facets["facets"][facet]:
            total = client.get("/v1/studies", params={"therapy_class": "car_t", facet: entry["value"]}).json()["total"]
            assert total == entry["count"], (facet, entry)
    outcome_facets = client.get("/v1/outcomes/facets", params={"target_antigen": "CD7"}).json()
    for entry in outcome_facets["facets"]["measure"]:
        params = {"target_antigen": "CD7", "measure": entry["value"]}
        assert client.get("/v1/outcomes", params=params).json()["total"] == entry["count"]


def test_sorting_and_pagination_links_walk_everything(client: TestClient) -> None:
    seen = []
    url = "/v1/outcomes?sort=-value&limit=9"
    while url:
        body = client.get(url).json()
        seen += body["items"]
        url = body["links"]["next"]
    # By proportion: a percentage, or numerator/denominator; figures with neither last.
    values = [
        o["value"] / 100
        if o["unit"] == "percent" and o["value"] is not None
        else o["numerator"] / o["denominator"]
        if o["numerator"] is not None and o["denominator"]
        else None
        for o in seen
    ]
    present = [v for v in values if v is not None]
    assert present == sorted(present, reverse=True)
    assert values[: len(present)] == present  # nulls last
    assert len({o["id"] for o in seen}) == len(seen) == body["total"]


STUDY_FILTER_CASES = [
    {"target_antigen": "CD7"},
    {"target_antigen": ["CD7", "CD5"], "cell_source": "donor_derived"},
    {"agent": "venetoclax", "disease": ["T-ALL", "ETP-ALL"]},
    {"min_patients": 20},
    {"age": 10, "therapy_class": "car_t"},
    {"q": "nelarabine"},
    {"q": "donor"},
    {"year": 2022, "setting": "relapsed_refractory", "min_patients": 5},
]


@pytest.mark.parametrize("path", ["/v1/studies", "/v1/outcomes", "/v1/adverse-events"])
@pytest.mark.parametrize("filters", STUDY_FILTER_CASES)
def test_pages_hold_exactly_the_filtered_set(client: TestClient, path: str, filters: dict) -> None:
    """Pages are read with correlated EXISTS, whole exports and totals with IN lists: same rows."""
    everything = client.get(path, params={**filters, "format": "ndjson", "sort": "id"})
    expected = [json.loads(line)["id"] for line in everything.text.splitlines()]
    seen, url, params = [], path, {**filters, "sort": "id", "limit": 2}
    while url:
        body = client.get(url, params=params).json()
        assert body["total"] == len(expected)
        seen += [item["id"] for item in body["items"]]
        url, params = body["links"]["next"], None
    assert seen == expected


def test_csv_has_documented_columns_and_opens_in_pandas(client: TestClient) -> None:
    response = client.get("/v1/outcomes", params={"format": "csv"})
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    frame = pd.read_csv(io.StringIO(response.text))
    total = client.get("/v1/meta").json()["counts"]["outcome"]
    assert len(frame) == total
    spec = client.get("/openapi.json").json()["paths"]["/v1/outcomes.csv"]["get"]
    assert ", ".join(f"`{c}`" for c in frame.columns) in spec["description"]
    by_accept = client.get("/v1/outcomes", headers={"Accept": "text/csv"})
    assert by_accept.text == response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    first = client.get(f"/v1/outcomes/{rows[0]['id']}").json()
    assert rows[0]["printed"] == first["printed"]


def test_ndjson_streams_the_whole_filtered_set(client: TestClient) -> None:
    response = client.get("/v1/adverse-events", params={"format": "ndjson", "term": "cytokine_release_syndrome"})
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    paged = client.get("/v1/adverse-events", params={"term": "cytokine_release_syndrome", "limit": 500}).json()
    assert lines == paged["items"]


def test_batch_returns_studies_in_order_and_names_missing_ids(client: TestClient) -> None:
    body = client.get("/v1/studies/batch", params={"id": ["rd13-01", "jplsg-t11"]}).json()
    assert [s["id"] for s in body] == ["rd13-01", "jplsg-t11"]
    assert body[1] == client.get("/v1/studies/jplsg-t11").json()
    missing = client.get("/v1/studies/batch", params={"id": ["rd13-01", "no-such"]})
    assert missing.status_code == 404 and "no-such" in missing.json()["detail"]


def test_bulk_download_is_stamped_and_complete(client: TestClient, tmp_path: Path) -> None:
    meta = client.get("/v1/meta").json()
    dataset = client.get("/v1/dataset").json()
    assert dataset["dataset_version"] == meta["dataset_version"]
    assert len(dataset["studies"]) == meta["counts"]["study"]
    assert sum(len(s["outcomes"]) for s in dataset["studies"]) == meta["counts"]["outcome"]
    archive = client.get("/v1/dataset", params={"format": "csv"})
    assert archive.headers["content-type"] == "application/zip"
    assert meta["dataset_version"] in archive.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        assert z.read("VERSION").decode().strip() == meta["dataset_version"]
        outcomes = pd.read_csv(io.BytesIO(z.read("outcomes.csv")))
        adverse = pd.read_csv(io.BytesIO(z.read("adverse_events.csv")))
    assert len(outcomes) == meta["counts"]["outcome"] and len(adverse) == meta["counts"]["adverse_event"]
