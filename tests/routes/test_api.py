"""The read API over the real curated data: shapes, pagination, errors, exact JSON."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from api.provenance.spans import read_spans
from api.settings import PROJECT_ROOT, Settings
from api.state import app_state
from tests import fixture_data
from tests.fixture_data import sources as fixture_sources

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "errors"}


def test_list_studies_lists_every_curated_study(client: TestClient) -> None:
    body = client.get("/v1/studies", params={"limit": 500}).json()
    assert [s["id"] for s in body["items"]] == fixture_data.study_ids()
    assert body["total"] == len(fixture_data.study_ids())
    assert (body["limit"], body["offset"]) == (500, 0)


def test_pagination_walks_the_whole_set_in_a_stable_order(client: TestClient) -> None:
    seen = []
    offset = 0
    while True:
        body = client.get("/v1/outcomes", params={"limit": 7, "offset": offset}).json()
        seen += [o["id"] for o in body["items"]]
        offset += 7
        if offset >= body["total"]:
            break
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) == body["total"]


def test_study_detail_embeds_arms_outcomes_and_sources(client: TestClient) -> None:
    raw = fixture_data.study("jplsg-t11")
    body = client.get("/v1/studies/jplsg-t11").json()
    assert body["id"] == "jplsg-t11"
    assert body["registry_ids"] == raw["registry_ids"]
    assert [a["id"] for a in body["arms"]] == sorted(f"jplsg-t11.{a['id']}" for a in raw["arms"])
    assert {x["agent"] for a in body["arms"] for x in a["interventions"]} == set(body["agents"])
    assert sorted(o["id"] for o in body["outcomes"]) == sorted(f"jplsg-t11.{o['id']}" for o in raw["outcomes"])
    assert [s["id"] for s in body["sources"]] == body["source_ids"]
    assert body["n_outcomes"] == len(raw["outcomes"])


def test_outcome_json_is_exactly_the_fixture_entry(client: TestClient) -> None:
    """The served record is the curated one, field for field, plus derived ids."""
    study = fixture_data.study("jplsg-t11")
    entry = next(o for o in study["outcomes"] if o["id"] == "efs-3y")
    arm = next(a for a in study["arms"] if a["id"] == entry["arm"])
    report = next(r for r in study["reports"] if r["id"] == entry["report"])
    body = client.get("/v1/outcomes/jplsg-t11.efs-3y").json()
    span = read_spans(PROJECT_ROOT / "seeds" / "spans.yaml")[1]["jplsg-t11.efs-3y"]
    expected = {
        # Copied at load from the arm, the seed registry and the report, never curated on the figure.
        "arm_label": arm["label"],
        "source_kind": fixture_sources()[entry["source_id"]]["kind"],
        "cited_publication": report["citation"],
        "cited_venue": report["venue"],
        "codes": {},  # efs has no verified code
        "id": "jplsg-t11.efs-3y",
        "study_id": "jplsg-t11",
        "arm_id": f"jplsg-t11.{entry['arm']}",
        "report_id": f"jplsg-t11.{entry['report']}",
        "permalink": f"{Settings().public_url}/v1/outcomes/jplsg-t11.efs-3y",
        "source_id": entry["source_id"],
        "locator": entry["locator"],
        "inferred": entry.get("inferred", []),
        "printed": entry["printed"],
        "measure": "efs",
        "subgroup": None,
        "time_point": "3y",
        "time_point_months": 36.0,
        "response_definition": entry.get("response_definition"),
        "value": entry["value"],
        "value_low": None,
        "value_high": None,
        "unit": "percent",
        "numerator": None,
        "denominator": None,
        "p_value": None,
        "p_value_printed": None,
        "comparison": None,
        "qualifier": "exact",
        "derived": False,
        "derivation": None,
        "denominator_basis": entry.get("denominator_basis", "not_stated"),
        "unlabeled": False,
        "caveat": None,
        "conflict_ids": [],
        "notes": None,
        # Where the printed words sit in the document, from the committed spans file.
        "span_start": span.start,
        "span_end": span.end,
        "context": span.context,
        # The detail carries what later readings corrected in the record (GET /v1/corrections lists them all).
        "corrections": client.get("/v1/corrections?record_id=jplsg-t11.efs-3y").json()["items"],
    }
    assert body == expected


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/v1/outcomes", "outcome"),
        ("/v1/adverse-events", "adverse_event"),
        ("/v1/sources", "source"),
        ("/v1/conflicts", "conflict"),
        ("/v1/epidemiology", "epidemiology_figure"),
    ],
)
def test_list_totals_match_meta_counts(client: TestClient, path: str, key: str) -> None:
    counts = client.get("/v1/meta").json()["counts"]
    assert client.get(path).json()["total"] == counts[key]


def test_every_listed_record_can_be_fetched_by_id(client: TestClient) -> None:
    for path in (
        "/v1/studies",
        "/v1/outcomes",
        "/v1/adverse-events",
        "/v1/sources",
        "/v1/conflicts",
        "/v1/epidemiology",
    ):
        for item in client.get(path, params={"limit": 500}).json()["items"]:
            response = client.get(f"{path}/{item['id']}")
            assert response.status_code == 200, (path, item["id"])
            assert response.json()["id"] == item["id"]


def test_meta_describes_the_dataset(client: TestClient) -> None:
    meta = client.get("/v1/meta").json()
    assert len(meta["dataset_version"]) == 16
    assert meta["licence"] == "CC-BY-4.0"
    assert meta["counts"]["study"] == len(fixture_data.study_ids())
    assert meta["counts"]["source"] == 5
    assert client.get("/health").json() == {"status": "ok", "dataset_version": meta["dataset_version"]}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/studies/no-such-study", 404),
        ("GET", "/v1/outcomes/nope.nope", 404),
        ("GET", "/v1/nowhere", 404),
        ("GET", "/v1/studies?limit=0", 422),
        ("GET", "/v1/studies?limit=501", 422),
        ("GET", "/v1/studies?offset=-1", 422),
        ("GET", "/v1/studies?limit=ten", 422),
        ("GET", "/v1/studies/bad%20id!", 422),
        ("POST", "/v1/studies", 405),
        ("DELETE", "/v1/studies/jplsg-t11", 405),
    ],
)
def test_errors_are_problem_details(client: TestClient, method: str, path: str, status: int) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) == PROBLEM_KEYS
    assert body["status"] == status
    assert body["instance"] == path.split("?")[0].replace("%20", " ")
    if status == 422:
        assert body["errors"] and all({"location", "message"} == set(e) for e in body["errors"])


def test_database_refuses_writes_after_loading(client: TestClient) -> None:
    database = app_state(client.app).database
    with pytest.raises(OperationalError, match=r"readonly|read-only|query_only"), database.engine.connect() as conn:
        conn.execute(text("DELETE FROM study"))
    assert client.get("/v1/meta").json()["counts"]["study"] == len(fixture_data.study_ids())
