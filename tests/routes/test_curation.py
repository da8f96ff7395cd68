"""What the curation issue promises a reader of the documents, checked through the API."""

from fastapi.testclient import TestClient


def test_the_three_kinds_of_conflict_are_visible(client: TestClient) -> None:
    conflicts = {c["id"]: c for c in client.get("/v1/conflicts").json()["items"]}
    # A table and the text of review 002 disagree about RD13-01's CR (four of ten vs 80%).
    rd13 = conflicts["rd13-01-cr-text-vs-table"]
    assert rd13["kind"] == "within_document"
    assert {m["printed"] for m in rd13["members"]} >= {"CR: 80%"}
    assert len({m["locator"] for m in rd13["members"]}) == len(rd13["members"]) >= 2
    # NS7CAR: 34 T-ALL + 18 T/LBL printed for 53 patients.
    assert conflicts["ns7car-t-subgroup-sum"]["members"]
    # Two documents give different shares of ALL for T-ALL.
    share = conflicts["t-all-share-of-all"]
    assert share["kind"] == "between_documents"
    assert {m["source_id"] for m in share["members"]} == {"002_34437a4f0dbbef9f", "004_76887cb5a060c388"}


def test_a_figure_in_conflict_points_to_it_from_its_study(client: TestClient) -> None:
    study = client.get("/v1/studies/rd13-01").json()
    assert "rd13-01-cr-text-vs-table" in {c["id"] for c in study["conflicts"]}
    in_conflict = [o for o in study["outcomes"] if o["conflict_ids"]]
    assert {o["printed"] for o in in_conflict} >= {"CR: 80%"}


def test_reports_of_one_programme_in_two_documents_are_linked(client: TestClient) -> None:
    zhang = client.get("/v1/studies/zhang-cd7-car-t-ajh-2023").json()
    assert "ns7car-t" in {link["related_study_id"] for link in zhang["related_studies"]}
    assert all(link["note"] for link in zhang["related_studies"])


def test_explicit_absences_are_zero_events(client: TestClient) -> None:
    events = client.get("/v1/adverse-events", params={"study_id": "cd7-car-t-etp-case", "limit": 500}).json()
    gvhd = [e for e in events["items"] if e["term"] == "graft_versus_host_disease"]
    assert gvhd and all(e["patients"] == 0 for e in gvhd)
    assert all(e["source_id"] == "000_ce0d31675345fdf7" and e["locator"] for e in events["items"])


def test_every_figure_has_source_locator_and_printed_value(client: TestClient) -> None:
    dataset = client.get("/v1/dataset").json()
    figures = [
        f for s in dataset["studies"] for key in ("outcomes", "adverse_events", "characteristics") for f in s[key]
    ] + dataset["epidemiology"]
    assert figures
    source_ids = {s["id"] for s in dataset["sources"]}
    for figure in figures:
        assert figure["source_id"] in source_ids and figure["locator"] and figure["printed"], figure["id"]
