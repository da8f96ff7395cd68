"""Which rows the comparison pools: like with like, one row per independent population."""

import xml.etree.ElementTree as ET

import pytest

from api.queries.comparison import DERIVED_REASON, _leave_one_out, _pool_rows, pool_random_effects
from models.comparison import ComparisonRow
from models.enums import DenominatorBasis

SVG = "{http://www.w3.org/2000/svg}"


def _row(
    outcome_id: str,
    events: int,
    n: int,
    *,
    time_point: str | None = "d28",
    basis: DenominatorBasis = DenominatorBasis.evaluable,
    arm_id: str | None = None,
    derived: bool = False,
) -> ComparisonRow:
    study_id = outcome_id.split(".")[0]
    return ComparisonRow(
        outcome_id=outcome_id,
        label=f"{study_id} · {arm_id or 'all patients'}",
        study_id=study_id,
        study_title=study_id,
        arm_id=arm_id,
        time_point=time_point,
        n=n,
        events=events,
        proportion=events / n,
        ci_low=0.0,
        ci_high=1.0,
        interval_method="wilson",
        printed=f"{events}/{n}",
        permalink=f"http://127.0.0.1:8000/v1/outcomes/{outcome_id}",
        source_id="s",
        locator="Table 1",
        derived=derived,
        denominator_basis=basis,
        pooled=False,
    )


def _ids(rows: list[ComparisonRow]) -> set[str]:
    return {r.outcome_id for r in rows}


def test_a_figure_without_a_time_point_never_pools_with_a_stated_one() -> None:
    rows = [_row("a.cr", 5, 10), _row("b.cr", 6, 10), _row("c.cr", 7, 10, time_point=None)]
    assert _ids(_pool_rows(rows, include_derived=False)) == {"a.cr", "b.cr"}
    assert "no time point" in (rows[2].not_pooled_reason or "")


def test_different_time_points_or_denominator_bases_do_not_pool_together() -> None:
    rows = [
        _row("a.cr", 5, 10),
        _row("b.cr", 6, 10),
        _row("c.cr", 7, 10, time_point="cycle1"),
        _row("d.cr", 7, 10, basis=DenominatorBasis.enrolled),
    ]
    assert _ids(_pool_rows(rows, include_derived=False)) == {"a.cr", "b.cr"}
    assert "cycle1" in (rows[2].not_pooled_reason or "") and "d28" in (rows[2].not_pooled_reason or "")
    assert "enrolled" in (rows[3].not_pooled_reason or "")


def test_derived_counts_pool_only_when_asked() -> None:
    rows = [_row("a.cr", 5, 10), _row("b.cr", 6, 10, derived=True)]
    assert _ids(_pool_rows(rows, include_derived=False)) == {"a.cr"}
    assert rows[1].not_pooled_reason == DERIVED_REASON
    rows = [_row("a.cr", 5, 10), _row("b.cr", 6, 10, derived=True)]
    assert _ids(_pool_rows(rows, include_derived=True)) == {"a.cr", "b.cr"}


def test_arms_pool_as_separate_rows_but_never_with_their_whole_study() -> None:
    rows = [
        _row("a.cr-x", 5, 10, arm_id="a.x"),
        _row("a.cr-y", 2, 10, arm_id="a.y"),
        _row("a.cr-all", 7, 20),
        _row("b.cr", 6, 10),
    ]
    assert _ids(_pool_rows(rows, include_derived=False)) == {"a.cr-x", "a.cr-y", "b.cr"}
    assert "arm rows" in (rows[2].not_pooled_reason or "")


def test_one_population_printed_twice_pools_once() -> None:
    rows = [_row("a.cr-text", 5, 10), _row("a.cr-table", 5, 12), _row("b.cr", 6, 10)]
    assert _ids(_pool_rows(rows, include_derived=False)) == {"a.cr-table", "b.cr"}
    assert "same patients as a.cr-table" in (rows[0].not_pooled_reason or "")


def test_leave_one_out_recomputes_the_pool_without_each_row() -> None:
    rows = [_row("a.cr", 2, 10), _row("b.cr", 6, 10), _row("c.cr", 9, 10)]
    sensitivity = _leave_one_out(rows)
    assert [s.omitted_outcome_id for s in sensitivity] == ["a.cr", "b.cr", "c.cr"]
    without_c = pool_random_effects([(2, 10), (6, 10)])
    assert sensitivity[2].proportion == pytest.approx(without_c.proportion)
    assert (sensitivity[2].ci_low, sensitivity[2].ci_high) == pytest.approx((without_c.ci_low, without_c.ci_high))
    assert _leave_one_out(rows[:2]) == []  # leaving one of two out leaves nothing to pool


def test_nothing_pooled_says_why_in_the_svg(client) -> None:  # type: ignore[no-untyped-def]
    svg = client.get("/v1/comparison.svg", params={"measure": "cr"}).text
    assert "No pooled estimate" in svg and "derived" in svg
    # Each figure left out of the plot is named with its reason.
    for excluded in client.get("/v1/comparison", params={"measure": "cr"}).json()["excluded"]:
        assert excluded["outcome_id"] in svg


def test_forest_labels_of_the_real_cr_rows_are_unique_and_whole(client) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/v1/comparison", params={"measure": "cr", "subgroup": "any"}).json()
    labels = {r["outcome_id"]: r["label"] for r in body["rows"]}
    assert len(set(labels.values())) == len(labels) > 1
    root = ET.fromstring(client.get("/v1/comparison.svg", params={"measure": "cr", "subgroup": "any"}).text)
    shown = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("data-outcome-id"):
            (text,) = [t for t in group.iter(f"{SVG}text") if t.get("data-role") == "label"]
            shown[group.get("data-outcome-id")] = " ".join(span.text or "" for span in text.iter(f"{SVG}tspan"))
    assert shown == {k: " ".join(v.split()) for k, v in labels.items()}
