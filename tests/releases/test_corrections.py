"""Corrections already made (seeds/coverage/*.yaml, second and third readings): /v1/corrections and details."""

import re

import pytest
from fastapi.testclient import TestClient

from api.loading.coverage_files import READINGS, named_records, read_coverage
from api.settings import Settings

SECTION_PATH = {"outcomes": "/v1/outcomes/", "adverse_events": "/v1/adverse-events/"}


@pytest.fixture(scope="module")
def recorded(settings: Settings) -> list[tuple[str, str, int, dict[str, object]]]:
    """Every correction in the coverage files: (document, reading, position from 1, the change)."""
    found = []
    for source_id, file in sorted(read_coverage(settings.coverage_dir, max_bytes=settings.max_fixture_bytes).items()):
        for reading in READINGS:
            done = getattr(file, reading)
            for position, change in enumerate(done.changes if done else [], start=1):
                found.append((source_id, reading, position, change.model_dump()))
    return found


def all_corrections(client: TestClient, query: str = "") -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    while True:
        page = client.get(f"/v1/corrections?limit=500&offset={len(items)}{query}").json()
        items += page["items"]
        if len(items) >= page["total"]:
            return items


def test_every_recorded_correction_is_served_with_before_after_and_why(
    client: TestClient, recorded: list[tuple[str, str, int, dict[str, object]]]
) -> None:
    served = {c["id"]: c for c in all_corrections(client)}
    assert len(served) == len(recorded) > 0
    for source_id, reading, position, change in recorded:
        item = served[f"{source_id}.{reading}.{position}"]
        assert {k: item[k] for k in change} == change
        assert item["source_id"] == source_id


def test_a_correction_naming_one_record_by_its_path_points_at_that_record(
    client: TestClient, recorded: list[tuple[str, str, int, dict[str, object]]]
) -> None:
    served = {c["id"]: c for c in all_corrections(client)}
    checked = 0
    for source_id, reading, position, change in recorded:
        match = re.fullmatch(r"([a-z0-9-]+)\.(outcomes|adverse_events)\.([a-z0-9-]+)", str(change["record"]))
        if not match:
            continue
        study, section, local = match.groups()
        record_id = f"{study}.{local}"
        correction_id = f"{source_id}.{reading}.{position}"
        assert served[correction_id]["record_ids"] == [record_id]
        detail = client.get(f"{SECTION_PATH[section]}{record_id}").json()
        assert correction_id in [c["id"] for c in detail["corrections"]]
        assert detail["study_id"] == study
        checked += 1
    assert checked > 0


def test_a_study_detail_carries_the_corrections_of_its_records(client: TestClient) -> None:
    named_a_part = [c for c in all_corrections(client) if any("." in r for r in c["record_ids"])]  # type: ignore[attr-defined]
    assert named_a_part
    correction = named_a_part[0]
    study = str(correction["record_ids"][0]).split(".", 1)[0]  # type: ignore[index]
    detail = client.get(f"/v1/studies/{study}").json()
    assert correction["id"] in [c["id"] for c in detail["corrections"]]
    by_filter = all_corrections(client, f"&study_id={study}")
    assert [c["id"] for c in by_filter] == [c["id"] for c in detail["corrections"]]


def test_a_source_detail_carries_corrections_naming_it(client: TestClient) -> None:
    naming = [c for c in all_corrections(client) if str(c["record"]).startswith("seeds/sources.yaml ")]
    assert naming
    source_id = str(naming[0]["record"]).split()[1]
    detail = client.get(f"/v1/sources/{source_id}").json()
    assert naming[0]["id"] in [c["id"] for c in detail["corrections"]]


def test_record_filter_and_unnamed_groups(client: TestClient) -> None:
    every = all_corrections(client)
    unnamed = [c for c in every if not c["record_ids"]]
    assert unnamed, "some corrections name a group in words (every record citing a document)"
    one = next(c for c in every if c["record_ids"])
    record_id = one["record_ids"][0]  # type: ignore[index]
    filtered = all_corrections(client, f"&record_id={record_id}")
    assert one["id"] in [c["id"] for c in filtered]
    assert all(record_id in c["record_ids"] for c in filtered)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ("s.outcomes.a", ["s.a"]),
        ("s.findings (a, b)", ["s.a", "s.b"]),
        ("s.outcomes.a, b; t (study)", ["s.a", "s.b", "t"]),
        ("s.adverse_events (all 12)", ["s"]),
        ("s.arms.arm.interventions.x", ["s.arm.x"]),
        ("seeds/sources.yaml 001_ab", ["001_ab"]),
        ("every record citing 001", []),
    ],
)
def test_how_a_readers_name_is_read(record: str, expected: list[str]) -> None:
    known: dict[str, str | None] = {i: "s" for i in ("s", "s.a", "s.b", "s.arm", "s.arm.x")}
    known |= {"t": "t", "001_ab": None}
    assert named_records(record, known) == expected
