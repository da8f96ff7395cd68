"""A time written two ways (24m beside 2y), served on a real socket: the FHIR face and the facets.

Session 14's probe: since a time-point filter matches every code of its time (FA7), the FHIR face
planned one pool per code, made the same pool twice under one Evidence id and answered every read
and search 500 (GA5); and the time-point facet counted each code apart, counts its filter did not
select (GA7). The curated data write each time one way; these made-up studies do not:
- CR: probe-w1 5/10 at 84m, probe-w2 6/10 at 7y (as many each way: the pool is named 7y);
- ORR: probe-w3 and probe-w4 at 84m, probe-w5 at 7y (most write 84m: the pool is named 84m).
"""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.pooled.synthetic_pool import _figure, write_pooled_fixtures
from tests.support import serving_in_thread


def _orr(id: str, events: int, n: int, time_point: str) -> dict[str, Any]:
    return {**_figure(id, events, n, time_point=time_point), "measure": "orr"}


STUDIES: dict[str, dict[str, Any]] = {
    "probe-w1": {"arms": [], "outcomes": [_figure("cr-84m", 5, 10, time_point="84m")]},
    "probe-w2": {"arms": [], "outcomes": [_figure("cr-7y", 6, 10, time_point="7y")]},
    "probe-w3": {"arms": [], "outcomes": [_orr("orr-84m", 7, 10, "84m")]},
    "probe-w4": {"arms": [], "outcomes": [_orr("orr-84m", 8, 10, "84m")]},
    "probe-w5": {"arms": [], "outcomes": [_orr("orr-7y", 4, 10, "7y")]},
}
MADE_UP = list(STUDIES)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving_in_thread(write_pooled_fixtures(tmp_path_factory.mktemp("two-ways"), STUDIES)) as base:
        yield base


def _get(url: str, path: str, **params: Any) -> Any:
    response = httpx.get(f"{url}{path}", params=params)
    assert response.status_code == 200, (path, response.text)
    return response.json()


@pytest.mark.parametrize(("measure", "name", "pooled"), [("cr", "7y", 2), ("orr", "84m", 3)])
def test_fhir_serves_one_evidence_per_time_named_by_the_code_most_write(
    url: str, measure: str, name: str, pooled: int
) -> None:
    """GA5: two plans of one pool, one Evidence id twice, and no FHIR read or search answered."""
    bundle = _get(url, "/fhir/Evidence", _count=500)
    ids = [e["resource"]["id"] for e in bundle["entry"]]
    assert len(ids) == bundle["total"]
    assert [i for i in ids if i.startswith(f"comparison-{measure}-at-") and i.endswith(("84m", "7y"))] == [
        f"comparison-{measure}-at-{name}"
    ]
    evidence = _get(url, f"/fhir/Evidence/comparison-{measure}-at-{name}")
    assert evidence["statistic"][0]["sampleSize"]["numberOfStudies"] == pooled
    assert _get(url, "/fhir/ResearchStudy/probe-w1")["id"] == "probe-w1"
    # The same pool as the comparison asked at either code.
    for code in ("84m", "7y"):
        comparison = _get(url, "/v1/comparison", measure=measure, time_point=code)
        assert comparison["pooled"]["time_point"] == name
        assert comparison["pooled"]["k"] == pooled


@pytest.mark.parametrize(
    ("params", "expected"),
    [({"measure": "cr", "study_id": MADE_UP}, {"7y": 2}), ({"measure": "orr", "study_id": MADE_UP}, {"84m": 3})],
)
def test_the_time_point_facet_lists_a_time_once_counting_what_its_filter_selects(
    url: str, params: dict[str, Any], expected: dict[str, int]
) -> None:
    """GA7: the facet said 84m 1 and 7y 1 where either filter selected 2."""
    facet = {v["value"]: v["count"] for v in _get(url, "/v1/outcomes/facets", **params)["facets"]["time_point"]}
    assert facet == expected
    for value, count in facet.items():
        assert _get(url, "/v1/outcomes", time_point=value, limit=1, **params)["total"] == count


def test_every_time_point_the_facet_lists_selects_its_count(url: str) -> None:
    """Over the whole dataset, curated figures and made-up ones: each entry is a filter selecting its count."""
    for value in _get(url, "/v1/outcomes/facets")["facets"]["time_point"]:
        assert _get(url, "/v1/outcomes", time_point=value["value"], limit=1)["total"] == value["count"], value
