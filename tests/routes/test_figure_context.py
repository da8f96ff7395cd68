"""Each figure carries its arm, the kind of document it comes from and the publication that document cites."""

import csv
import io
from collections import Counter

import pytest
from fastapi.testclient import TestClient

from tests.fixture_data import sources, studies


def _expected() -> dict[str, tuple[str | None, str, str | None]]:
    """(arm label, source kind, cited publication) per global figure id, from the raw files."""
    kinds = {sid: s["kind"] for sid, s in sources().items()}
    expected = {}
    for sid, study in studies().items():
        arms = {a["id"]: a["label"] for a in study.get("arms", [])}
        reports = {r["id"]: r for r in study.get("reports", [])}
        for section in ("outcomes", "adverse_events", "characteristics"):
            for fig in study.get(section, []):
                report = reports.get(fig.get("report")) or {}
                expected[f"{sid}.{fig['id']}"] = (
                    arms.get(fig.get("arm")),
                    kinds[fig["source_id"]],
                    report.get("citation"),
                )
    return expected


def _all(client: TestClient, path: str, **params: object) -> list[dict]:
    items: list[dict] = []
    while True:
        page = client.get(path, params={**params, "limit": 100, "offset": len(items)}).json()
        items += page["items"]
        if len(items) >= page["total"]:
            return items


@pytest.mark.parametrize("path", ["/v1/outcomes", "/v1/adverse-events"])
def test_every_figure_carries_arm_source_kind_and_cited_publication(client: TestClient, path: str) -> None:
    expected = _expected()
    items = _all(client, path)
    assert items
    for item in items:
        assert (item["arm_label"], item["source_kind"], item["cited_publication"]) == expected[item["id"]]


@pytest.mark.parametrize("path", ["/v1/outcomes", "/v1/adverse-events"])
def test_lists_filter_by_source_kind(client: TestClient, path: str) -> None:
    every = _all(client, path)
    kinds = Counter(item["source_kind"] for item in every)
    assert len(kinds) >= 2  # the filter must be able to tell documents apart
    for kind, count in kinds.items():
        some = _all(client, path, source_kind=kind)
        assert len(some) == count
        assert {item["source_kind"] for item in some} == {kind}
    both = list(kinds)[:2]
    assert client.get(path, params={"source_kind": both, "limit": 1}).json()["total"] == sum(kinds[k] for k in both)


def test_unknown_source_kind_is_a_problem(client: TestClient) -> None:
    response = client.get("/v1/outcomes", params={"source_kind": "blog"})
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith("application/problem+json")


def test_outcome_csv_has_the_arm_and_source_kind(client: TestClient) -> None:
    text = client.get("/v1/outcomes", params={"study_id": "shimony-nelarabine-rr", "format": "csv"}).text
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["shimony-nelarabine-rr.cr-combination"]["arm_label"] == "Nelarabine combination therapy"
    assert rows["shimony-nelarabine-rr.cr-monotherapy"]["arm_label"] == "Nelarabine monotherapy"
    assert {r["source_kind"] for r in rows.values()} == {"review"}


def test_evidence_table_names_the_arm_of_each_figure(client: TestClient) -> None:
    # Shimony prints 62% and 40%: one for each arm; the table must say which is which.
    html = client.get("/embed/table", params={"agent": "nelarabine"}).text
    for figure_id, arm in (
        ("shimony-nelarabine-rr.cr-combination", "Nelarabine combination therapy"),
        ("shimony-nelarabine-rr.cr-monotherapy", "Nelarabine monotherapy"),
        ("shimony-nelarabine-rr.cr-all", "all patients"),
    ):
        start = html.index(f'data-figure-id="{figure_id}"')
        item = html[start : html.index("</li>", start)]
        assert f'data-field="arm">{arm}</span>' in item


def test_characteristics_carry_arm_source_kind_and_cited_publication(client: TestClient) -> None:
    expected = _expected()
    seen = 0
    for study_id, study in studies().items():
        details = client.get(f"/v1/studies/{study_id}").json()
        for item in details["characteristics"]:
            assert (item["arm_label"], item["source_kind"], item["cited_publication"]) == expected[item["id"]]
            seen += 1
        assert seen or not study.get("characteristics")
    assert seen == sum(len(s.get("characteristics", [])) for s in studies().values()) > 0


@pytest.mark.parametrize("measure", ["cr", "os", "orr"])
def test_comparison_rows_say_where_each_figure_comes_from(client: TestClient, measure: str) -> None:
    expected = _expected()
    rows = client.get("/v1/comparison", params={"measure": measure, "include_derived": "true"}).json()["rows"]
    for row in rows:
        arm, kind, cited = expected[row["outcome_id"]]
        assert (row["arm_label"], row["source_kind"], row["cited_publication"]) == (arm, kind, cited)
    if measure == "cr":
        assert {row["source_kind"] for row in rows} >= {"review"}
