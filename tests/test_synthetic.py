"""The synthetic scale-up used by the benchmarks: valid, N times the data, deterministic.

And what it exists to show, checked without timing anything: reading details costs a fixed
number of queries however many studies there are.
"""

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from api.loading.load import validate_fixtures
from api.main import create_app
from api.settings import Settings
from api.state import app_state
from tests.benchmarks.synthetic import write_scaled_fixtures


@pytest.fixture(scope="module")
def curated() -> Settings:
    return Settings()


@pytest.mark.parametrize("factor", [1, 3, 10])
def test_scaled_fixtures_validate_with_n_times_the_records(tmp_path: Path, curated: Settings, factor: int) -> None:
    original = validate_fixtures(curated)
    scaled = validate_fixtures(write_scaled_fixtures(factor, tmp_path))
    assert len(scaled.studies) == factor * len(original.studies)
    assert len(scaled.conflicts.conflicts) == factor * len(original.conflicts.conflicts)
    assert len(scaled.epidemiology.figures) == factor * len(original.epidemiology.figures)
    assert {s.id for s in original.studies.values()} <= {s.id for s in scaled.studies.values()}


def test_copies_point_at_their_own_copies(tmp_path: Path) -> None:
    scaled = validate_fixtures(write_scaled_fixtures(3, tmp_path))
    for study in scaled.studies.values():
        match = re.search(r"-x\d+$", study.id)
        tail = match.group(0) if match else ""
        assert all(link.study.endswith(tail) for link in study.related_studies)
        if tail:
            assert all(c.endswith(tail) for o in study.outcomes for c in o.conflict_ids)


def test_generation_is_deterministic(tmp_path: Path) -> None:
    first = write_scaled_fixtures(2, tmp_path / "a").fixtures_dir
    second = write_scaled_fixtures(2, tmp_path / "b").fixtures_dir
    files = sorted(p.relative_to(first) for p in first.rglob("*.yaml"))
    assert files == sorted(p.relative_to(second) for p in second.rglob("*.yaml"))
    assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)


def _queries_per_request(settings: Settings, urls: list[str]) -> dict[str, int]:
    app = create_app(settings.model_copy(update={"response_cache_enabled": False}))
    counts: dict[str, int] = {}
    with TestClient(app) as client:
        current = [0]
        event.listen(
            app_state(app).database.engine, "before_cursor_execute", lambda *_: current.__setitem__(0, current[0] + 1)
        )
        for url in urls:
            current[0] = 0
            assert client.get(url).status_code == 200, url
            counts[url] = current[0]
    return counts


def test_whole_dataset_and_batches_take_the_same_queries_at_any_size(tmp_path: Path, curated: Settings) -> None:
    ids = "&".join(f"id={i}" for i in ("ns7car-t", "jplsg-t11", "rd13-01"))
    urls = ["/v1/dataset", f"/v1/studies/batch?{ids}", "/v1/studies", "/v1/conflicts", "/v1/studies/ns7car-t"]
    assert _queries_per_request(curated, urls) == _queries_per_request(write_scaled_fixtures(4, tmp_path), urls)
