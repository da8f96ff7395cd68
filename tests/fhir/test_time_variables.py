"""One EvidenceVariable per time however its figures write it (24m beside 2y), named as the time's pool is.

Session 15's probe (JA5): 24m and 2y were one pool, comparison-cr-cri-at-24m, observing
measure-cr-cri-at-24m, while a pooled row written 2y observed measure-cr-cri-at-2y: two variables for
one time, and a pooled row's outcome variable was not its pool's. These made-up studies write times
two ways, served on a real socket:
- CR: probe-v1 5/10 at 84m and probe-v2 6/10 at 7y pool, named 7y (as many each way: code-point
  order); probe-v1's ETP subgroup, 2/4 at 84m, is not pooled, so its figures write 84m more often: the
  variable is named as the pool, not as most figures;
- ORR: subgroup figures only, at 84m in probe-v1 and probe-v2 and at 7y in probe-v3, no pool: named
  by the same rule over the figures, 84m.
"""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.pooled.synthetic_pool import _figure, write_pooled_fixtures
from tests.support import serving_in_thread


def _etp(id: str, events: int, n: int, time_point: str, measure: str = "cr") -> dict[str, Any]:
    return {**_figure(id, events, n, time_point=time_point), "measure": measure, "subgroup": "etp"}


STUDIES: dict[str, dict[str, Any]] = {
    "probe-v1": {
        "arms": [],
        "outcomes": [
            _figure("cr-84m", 5, 10, time_point="84m"),
            _etp("cr-84m-etp", 2, 4, "84m"),
            _etp("orr-84m-etp", 3, 4, "84m", "orr"),
        ],
    },
    "probe-v2": {
        "arms": [],
        "outcomes": [_figure("cr-7y", 6, 10, time_point="7y"), _etp("orr-84m-etp", 2, 4, "84m", "orr")],
    },
    "probe-v3": {"arms": [], "outcomes": [_etp("orr-7y-etp", 1, 4, "7y", "orr")]},
}


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving_in_thread(write_pooled_fixtures(tmp_path_factory.mktemp("time-variables"), STUDIES)) as base:
        yield base


def _get(url: str, path: str, status: int = 200, **params: Any) -> Any:
    response = httpx.get(f"{url}{path}", params=params)
    assert response.status_code == status, (path, response.text)
    return response.json()


def _outcome_variable(evidence: dict[str, Any]) -> str:
    (variable,) = [
        v for v in evidence["variableDefinition"] if v["variableRole"]["coding"][0]["code"] == "measuredVariable"
    ]
    return str(variable["observed"]["reference"])


@pytest.mark.parametrize(
    ("measure", "name", "other", "figures"),
    [
        ("cr", "7y", "84m", ["probe-v1.cr-84m", "probe-v1.cr-84m-etp", "probe-v2.cr-7y"]),
        ("orr", "84m", "7y", ["probe-v1.orr-84m-etp", "probe-v2.orr-84m-etp", "probe-v3.orr-7y-etp"]),
    ],
)
def test_a_time_written_two_ways_is_one_variable_named_as_its_pool(
    url: str, measure: str, name: str, other: str, figures: list[str]
) -> None:
    variable = _get(url, f"/fhir/EvidenceVariable/measure-{measure}-at-{name}")
    assert f"(code '{name}', also written '{other}', 84 months)" in variable["description"]
    _get(url, f"/fhir/EvidenceVariable/measure-{measure}-at-{other}", status=404)
    found = _get(url, "/fhir/EvidenceVariable", measure=measure, _count=500)["entry"]
    at_times = [e["resource"]["id"] for e in found if e["resource"]["id"].endswith(("-84m", "-7y"))]
    assert at_times == [f"measure-{measure}-at-{name}"]
    for figure in figures:
        assert (
            _outcome_variable(_get(url, f"/fhir/Evidence/{figure}")) == f"EvidenceVariable/measure-{measure}-at-{name}"
        )
    # The variable is found by each study whose figures it is of, whichever code they write.
    for study in sorted({figure.split(".")[0] for figure in figures}):
        ids = [e["resource"]["id"] for e in _get(url, "/fhir/EvidenceVariable", study=study, _count=500)["entry"]]
        assert f"measure-{measure}-at-{name}" in ids
        outcome_measures = _get(url, f"/fhir/ResearchStudy/{study}")["outcomeMeasure"]
        references = [m["reference"]["reference"] for m in outcome_measures]
        assert f"EvidenceVariable/measure-{measure}-at-{other}" not in references
        assert references.count(f"EvidenceVariable/measure-{measure}-at-{name}") == 1


def test_a_pooled_rows_outcome_variable_is_its_pools(url: str) -> None:
    pool = _get(url, "/fhir/Evidence/comparison-cr-at-7y")
    assert _outcome_variable(pool) == "EvidenceVariable/measure-cr-at-7y"
    rows = [a["resourceReference"]["reference"] for a in pool["relatedArtifact"] if "resourceReference" in a]
    pooled = [r.removeprefix("Evidence/") for r in rows if r.startswith("Evidence/")]
    assert sorted(pooled) == ["probe-v1.cr-84m", "probe-v2.cr-7y"]
    for row in pooled:
        assert _outcome_variable(_get(url, f"/fhir/Evidence/{row}")) == _outcome_variable(pool)
