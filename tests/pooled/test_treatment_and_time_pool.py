"""Who a comparison pools under a treatment filter (FA12), and time points written two ways (FA7).

Made-up studies (the curated data have no study whose arms got different treatments with counts at
one time point, nor a time point written two ways), served on a real socket, over REST and MCP:
- probe-car2: arm y1 got a CD7 autologous CAR product (ORR 9/10), y2 a CD5 donor-derived one (7/10),
  and the whole study's 16/20; probe-car0 (first), no arms, a CD7 autologous product (8/10);
- probe-multi: arm x1 venetoclax + cytarabine (CR 7/10), x2 cytarabine alone (3/10), the whole study
  10/20; probe-ven, one arm given venetoclax (5/10);
- probe-t1 and probe-t4: CR 5/10 and 4/10 at 84m; probe-t2 and probe-t3: 6/10 and 7/10 at 7y, the same time;
- probe-sct1: one arm s1 given cytarabine (CR 15/20), the study listing a transplant as its own, and the 8/10 of
  its transplanted subgroup (allo_hsct); probe-sct2: two arms given cytarabine (CR 9/10, 8/10, the whole 17/20),
  the same listing, and the 6/10 of its high-risk transplanted (high_risk_allo_hsct).
"""

import csv
import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mcp import Client

from tests.mcp_server.test_mcp import over_http
from tests.pooled.synthetic_pool import _figure, write_pooled_fixtures
from tests.support import serving_in_thread

AT = "d97"
SOURCE = "002_34437a4f0dbbef9f"


def _given(*agents: tuple[str, str]) -> list[dict[str, Any]]:
    return [
        {"agent": agent, "therapy_class": klass, "role": "investigational", "source_id": SOURCE, "locator": "Table 1"}
        for agent, klass in agents
    ]


def _product(id: str, arm: str | None, antigen: str, source: str) -> dict[str, Any]:
    return {
        "id": id,
        "arm": arm,
        "name": f"Made-up {antigen} CAR-T",
        "target_antigens": [antigen],
        "cell_source": source,
        "fratricide_strategy": "not_stated",
        "source_id": SOURCE,
        "locator": "Table 1",
    }


def _orr(id: str, events: int, n: int, arm: str | None = None) -> dict[str, Any]:
    return {**_figure(id, events, n, arm=arm, time_point=AT), "measure": "orr"}


CAR = [("car_t_cells", "car_t")]
STUDIES: dict[str, dict[str, Any]] = {
    "probe-car2": {
        "arms": [("y1", 10, _given(*CAR)), ("y2", 10, _given(*CAR))],
        "outcomes": [_orr("orr-y1", 9, 10, "y1"), _orr("orr-y2", 7, 10, "y2"), _orr("orr-all", 16, 20)],
        "study": {
            "therapy_classes": ["car_t"],
            "car_products": [_product("cd7", "y1", "CD7", "autologous"), _product("cd5", "y2", "CD5", "donor_derived")],
        },
    },
    "probe-car0": {
        "arms": [],
        "outcomes": [_orr("orr", 8, 10)],
        "study": {"therapy_classes": ["car_t"], "car_products": [_product("cd7", None, "CD7", "autologous")]},
    },
    "probe-multi": {
        "arms": [
            ("x1", 10, _given(("venetoclax", "bcl2_inhibitor"), ("cytarabine", "chemotherapy"))),
            ("x2", 10, _given(("cytarabine", "chemotherapy"))),
        ],
        "outcomes": [
            _figure("cr-x1", 7, 10, arm="x1", time_point=AT),
            _figure("cr-x2", 3, 10, arm="x2", time_point=AT),
            _figure("cr-all", 10, 20, time_point=AT),
        ],
        "study": {"therapy_classes": ["bcl2_inhibitor", "chemotherapy"]},
    },
    "probe-ven": {
        "arms": [("v1", 10, _given(("venetoclax", "bcl2_inhibitor")))],
        "outcomes": [_figure("cr-v1", 5, 10, arm="v1", time_point=AT)],
        "study": {"therapy_classes": ["bcl2_inhibitor"]},
    },
    "probe-t1": {"arms": [], "outcomes": [_figure("cr-84m", 5, 10, time_point="84m")]},
    "probe-t2": {"arms": [], "outcomes": [_figure("cr-7y", 6, 10, time_point="7y")]},
    "probe-t3": {"arms": [], "outcomes": [_figure("cr-7y", 7, 10, time_point="7y")]},
    "probe-t4": {"arms": [], "outcomes": [_figure("cr-84m", 4, 10, time_point="84m")]},
}
TIMES = ["probe-t1", "probe-t2", "probe-t3", "probe-t4"]
CYTARABINE = [("cytarabine", "chemotherapy")]
TRANSPLANT = {"therapy_classes": ["chemotherapy", "stem_cell_transplant"]}
STUDIES |= {
    "probe-sct1": {
        "arms": [("s1", 20, _given(*CYTARABINE))],
        "outcomes": [
            _figure("cr-s1", 15, 20, arm="s1", time_point=AT),
            {**_figure("cr-sct", 8, 10, arm="s1", time_point=AT), "subgroup": "allo_hsct"},
        ],
        "study": TRANSPLANT,
    },
    "probe-sct2": {
        "arms": [("h1", 10, _given(*CYTARABINE)), ("h2", 10, _given(*CYTARABINE))],
        "outcomes": [
            _figure("cr-h1", 9, 10, arm="h1", time_point=AT),
            _figure("cr-h2", 8, 10, arm="h2", time_point=AT),
            _figure("cr-all", 17, 20, time_point=AT),
            {**_figure("cr-sct", 6, 10, time_point=AT), "subgroup": "high_risk_allo_hsct"},
        ],
        "study": TRANSPLANT,
    },
}


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving_in_thread(write_pooled_fixtures(tmp_path_factory.mktemp("treatment"), STUDIES)) as base:
        yield base


def _compare(url: str, **params: Any) -> dict[str, Any]:
    response = httpx.get(f"{url}/v1/comparison", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _reasons(comparison: dict[str, Any], study: str) -> dict[str, str | None]:
    return {r["outcome_id"]: r["not_pooled_reason"] for r in comparison["rows"] if r["study_id"] == study}


@pytest.mark.parametrize(
    ("asked", "value"),
    [
        ({"target_antigen": "CD7"}, "CD7"),
        ({"target_antigen": "HGNC:1695"}, "CD7"),  # its code, read as the term
        ({"cell_source": "autologous"}, "autologous"),
    ],
)
def test_a_car_filter_pools_only_the_arms_given_that_product(url: str, asked: dict[str, str], value: str) -> None:
    """Session 13's probe (FA12): the CD7 filter found probe-car2 and pooled its CD5 donor-derived arm too. A
    study without arms (probe-car0) comes first: the arms of the studies after it are decided all the same."""
    comparison = _compare(url, measure="orr", time_point=AT, **asked)
    assert comparison["pooled"]["outcome_ids"] == ["probe-car0.orr", "probe-car2.orr-y1"]
    (name,) = asked
    assert _reasons(comparison, "probe-car2") == {
        "probe-car2.orr-all": f"whole-study figure; not every arm was given {name} {value}",
        "probe-car2.orr-y1": None,
        "probe-car2.orr-y2": f"this arm was not given {name} {value}; another arm of its study was",
    }
    # The CSV renders the same comparison: the arm is shown, not pooled, and says why.
    text = httpx.get(f"{url}/v1/comparison.csv", params={"measure": "orr", "time_point": AT, **asked}).text
    rows = {r["outcome_id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["probe-car2.orr-y2"]["pooled"] == "false"
    assert "not given" in rows["probe-car2.orr-y2"]["not_pooled_reason"]


def test_an_agent_filter_pools_only_the_arms_given_the_agent(url: str) -> None:
    comparison = _compare(url, measure="cr", time_point=AT, agent="venetoclax")
    assert comparison["pooled"]["outcome_ids"] == ["probe-multi.cr-x1", "probe-ven.cr-v1"]
    assert _reasons(comparison, "probe-multi")["probe-multi.cr-x2"] == (
        "this arm was not given agent venetoclax; another arm of its study was"
    )
    # Both arms got cytarabine: both pool.
    both = _compare(url, measure="cr", time_point=AT, agent="cytarabine", study_id="probe-multi")
    assert both["pooled"]["outcome_ids"] == ["probe-multi.cr-x1", "probe-multi.cr-x2"]
    # Every arm got it: the whole study's figure is of them too, left out only as the arms' patients.
    assert _reasons(both, "probe-multi")["probe-multi.cr-all"] == (
        "whole-study figure; its patients are in the arm rows pooled instead"
    )
    assert _reasons(comparison, "probe-multi")["probe-multi.cr-all"] == (
        "whole-study figure; not every arm was given agent venetoclax"
    )


def test_without_a_treatment_filter_every_arm_pools(url: str) -> None:
    comparison = _compare(url, measure="orr", time_point=AT, study_id=["probe-car2", "probe-car0"])
    assert comparison["pooled"]["outcome_ids"] == ["probe-car0.orr", "probe-car2.orr-y1", "probe-car2.orr-y2"]


def test_the_mcp_compare_tool_pools_only_the_arms_given_the_treatment(url: str) -> None:
    async def session(client: Client) -> Any:
        return await client.call_tool("compare", {"measure": "orr", "target_antigen": "CD7", "time_point": AT})

    result = over_http(url, session)
    assert not result.is_error, result.content
    assert result.structured_content["pooled"]["outcome_ids"] == ["probe-car0.orr", "probe-car2.orr-y1"]


@pytest.mark.parametrize("time_point", ["84m", "7y"])
def test_a_time_point_filter_finds_the_figures_at_the_same_time_however_written(url: str, time_point: str) -> None:
    """Session 13's probe (FA7): time_point=24m found no figure at 2y in the lists, the comparison and the tools."""
    listed = httpx.get(f"{url}/v1/outcomes", params={"time_point": time_point, "study_id": TIMES}).json()
    assert sorted(o["id"] for o in listed["items"]) == [
        f"{s}.cr-{'84m' if s in ('probe-t1', 'probe-t4') else '7y'}" for s in TIMES
    ]
    comparison = _compare(url, measure="cr", time_point=time_point, study_id=TIMES)
    assert len(comparison["rows"]) == 4

    async def session(client: Client) -> Any:
        return await client.call_tool("find_figures", {"measure": "cr", "time_point": time_point})

    found = over_http(url, session)
    assert {"probe-t1.cr-84m", "probe-t2.cr-7y"} <= {f["id"] for f in found.structured_content["figures"]}


@pytest.mark.parametrize(
    ("studies", "written"),
    [
        (["probe-t1", "probe-t2", "probe-t3"], "7y"),  # the code most pooled rows write
        (["probe-t1", "probe-t2", "probe-t4"], "84m"),
        (["probe-t1", "probe-t2"], "7y"),  # as many: the first code, whatever the rows' order
    ],
)
def test_figures_at_the_same_time_written_two_ways_pool_together(url: str, studies: list[str], written: str) -> None:
    """Session 13's probe (FA7): 24m was left out of the pool of 2y figures as another time point."""
    comparison = _compare(url, measure="cr", study_id=studies)
    assert comparison["pooled"]["outcome_ids"] == [r["outcome_id"] for r in comparison["rows"]]
    assert len(comparison["rows"]) == len(studies)
    assert comparison["pooled"]["time_point"] == written


SCT = "therapy_class stem_cell_transplant"
OWN = "no arm of its study was: the study lists it as its own, not as an arm's"


def test_a_class_no_arm_was_given_is_said_to_be_the_study_s_own_and_its_transplanted_subgroups_pool(url: str) -> None:
    """Session 14's probe (GA6): each arm of a study found by a class it lists as its own (no arm got it) was "not
    given it; another arm of its study was", and a transplanted subgroup's patients were "not given" the
    transplant their subgroup is defined by, which the claim check credits to it (FC6)."""
    asked = {"measure": "cr", "time_point": AT, "therapy_class": "stem_cell_transplant", "subgroup": "any"}
    comparison = _compare(url, **asked)
    assert comparison["pooled"]["outcome_ids"] == ["probe-sct1.cr-sct", "probe-sct2.cr-sct"]
    assert _reasons(comparison, "probe-sct1") == {
        "probe-sct1.cr-s1": f"this arm was not given {SCT}; {OWN}",
        "probe-sct1.cr-sct": None,
    }
    assert _reasons(comparison, "probe-sct2") == {
        "probe-sct2.cr-all": f"whole-study figure; no arm of its study was given {SCT}: the study lists it as its "
        "own, not as an arm's",
        "probe-sct2.cr-sct": None,
        "probe-sct2.cr-h1": f"this arm was not given {SCT}; {OWN}",
        "probe-sct2.cr-h2": f"this arm was not given {SCT}; {OWN}",
    }
    text = httpx.get(f"{url}/v1/comparison.csv", params=asked).text
    rows = {r["outcome_id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["probe-sct1.cr-s1"]["not_pooled_reason"] == f"this arm was not given {SCT}; {OWN}"
    assert rows["probe-sct1.cr-sct"]["pooled"] == "true"


def test_the_curated_transplanted_subgroup_is_given_the_transplant_and_its_study_s_arm_no_other(url: str) -> None:
    """The probe's own reproduction (GA6): GMALL 08/2013 records one arm, so there is no "another arm"."""
    comparison = _compare(url, measure="os", therapy_class="stem_cell_transplant", subgroup="any")
    reasons = _reasons(comparison, "gmall-08-2013")
    assert reasons["gmall-08-2013.os-3y"] == f"this arm was not given {SCT}; {OWN}"
    assert reasons["gmall-08-2013.os-3y-allo-sct"] == "survival figures are carried as printed and never pooled"
    assert not any("another arm" in (reason or "") for reason in reasons.values())


def test_a_part_no_arm_was_given_is_named_and_parts_given_apart_are_said_so(url: str) -> None:
    """GA6: with an agent named too, the transplanted subgroup is no longer the treatment's (FC6's rule is of a class
    alone), and the reason names the part the study lists as its own; a CD7 product in one arm and a donor-derived
    one in the other is no arm's CD7 donor-derived product."""
    both = _compare(
        url, measure="cr", time_point=AT, agent="cytarabine", therapy_class="stem_cell_transplant", subgroup="any"
    )
    own = (
        f"this arm was not given agent cytarabine and {SCT}; no arm of its study was: the study lists {SCT} as its "
        "own, not as an arm's"
    )
    assert _reasons(both, "probe-sct1") == {"probe-sct1.cr-s1": own, "probe-sct1.cr-sct": own}
    assert both["pooled"] is None
    apart = _compare(url, measure="orr", time_point=AT, target_antigen="CD7", cell_source="donor_derived")
    product = "target_antigen CD7 and cell_source donor_derived"
    assert _reasons(apart, "probe-car2") == {
        "probe-car2.orr-all": f"whole-study figure; no arm of its study was given all of {product}",
        "probe-car2.orr-y1": f"this arm was not given {product}; no arm of its study was given all of it",
        "probe-car2.orr-y2": f"this arm was not given {product}; no arm of its study was given all of it",
    }
