"""The comparison's pieces at their edges: exclusions, labels, strata, the pool's statistics, the notes."""

import math
import re
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pydantic_core import to_json
from sqlmodel import Session
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.proportion import proportion_confint

from api.queries import comparison
from api.queries.comparison import (
    DERIVED_REASON,
    NO_TIME_POINT_REASON,
    TIME_TO_EVENT,
    _exclusion,
    _independent,
    _leave_one_out,
    _logit_effect,
    _pool_rows,
    _row_label,
    _unique_labels,
    _why_not_pooled,
    comparison_fragment,
    comparison_query,
    label_part,
    percent_proportion,
    plan_comparison,
    pool_random_effects,
    wilson_interval,
)
from api.queries.filters import ANY_SUBGROUP, StudyFilters, SubgroupFilter
from api.queries.treatment import Treatment
from api.state import app_state
from models.comparison import ComparisonRow, ExcludedRow
from models.enums import DenominatorBasis, Measure, Subgroup, ValueUnit
from models.outcome import OutcomePublic
from tests.queries.test_pooling import _row


def _figure(**fields: Any) -> OutcomePublic:
    """An outcome's projection (what the comparison reads), unvalidated: only the fields given matter."""
    base: dict[str, Any] = {
        name: None if field.is_required() else field.get_default(call_default_factory=True)
        for name, field in OutcomePublic.model_fields.items()
    }
    base.update(
        id="s.o", study_id="s", measure=Measure.cr, numerator=5, denominator=10, value=50.0, unit=ValueUnit.percent,
        unlabeled=False, conflict_ids=[], printed="5/10", source_id="x", locator="T1", derived=False,
        denominator_basis=DenominatorBasis.evaluable,
    )  # fmt: skip
    base.update(fields)
    return OutcomePublic.model_construct(**base)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({}, None),
        ({"conflict_ids": ["k1", "k2"]}, "in recorded conflict k1, k2: values disagree between or within sources"),
        ({"unlabeled": True}, "printed without a clear label"),
        ({"measure": Measure.os, "numerator": None, "denominator": None}, None),
        ({"measure": Measure.os, "value": None}, "no percentage printed"),
        ({"measure": Measure.os, "unit": ValueUnit.months}, "no percentage printed"),
        ({"numerator": None}, "no denominator: a proportion without counts cannot be given an interval or pooled"),
        ({"denominator": None}, "no denominator: a proportion without counts cannot be given an interval or pooled"),
        ({"denominator": 0}, "denominator is zero"),
        ({"denominator": 1, "numerator": 1}, None),
    ],
)
def test_exclusion_reasons(fields: dict[str, Any], reason: str | None) -> None:
    assert _exclusion(_figure(**fields)) == reason


def test_row_labels_name_the_acronym_or_title_and_the_arm() -> None:
    assert _row_label("Long title", "ACR", "Arm A") == "ACR · Arm A"
    assert _row_label("Long title", None, "Arm A") == "Long title · Arm A"
    assert _row_label("Long title", "ACR", None) == "ACR · all patients"
    assert label_part(Subgroup.t_lbl) == "t lbl"
    assert label_part(None) is None


def test_labels_are_made_unique_by_subgroup_then_time_point_then_id() -> None:
    rows = [_row("s.cr-a", 1, 10), _row("s.cr-b", 1, 10), _row("t.cr", 1, 10)]
    rows[0].subgroup = Subgroup.t_lbl
    _unique_labels(rows)
    assert [r.label for r in rows] == ["s · all patients · t lbl", "s · all patients", "t · all patients"]
    rows = [_row("s.cr-a", 1, 10), _row("s.cr-b", 1, 10, time_point=None), _row("s.cr-c", 1, 10, time_point="d1")]
    _unique_labels(rows)
    assert [r.label for r in rows] == [
        "s · all patients · at d28",
        "s · all patients · no time point",
        "s · all patients · at d1",
    ]
    rows = [_row("s.cr.x", 1, 10), _row("s.cr.y", 1, 10)]
    _unique_labels(rows)
    assert [r.label for r in rows] == ["s · all patients · at d28 · cr.x", "s · all patients · at d28 · cr.y"]


def test_survival_rows_say_they_are_never_pooled_and_no_time_point_never_pools() -> None:
    survival = _row("a.os", 1, 10)
    survival.interval_method = None
    undated = _row("b.cr", 1, 10, time_point=None)
    assert _pool_rows([survival, undated], include_derived=False) == []
    assert survival.not_pooled_reason == "survival figures are carried as printed and never pooled"
    assert undated.not_pooled_reason == NO_TIME_POINT_REASON
    assert _why_not_pooled(Measure.os, [survival], 0) == "survival figures are carried as printed and never pooled"
    assert (
        _why_not_pooled(Measure.cr, [], 0)
        == "a pooled estimate needs at least two comparable rows with counts; 0 available"
    )
    two = [_row("a.cr", 1, 10), _row("b.cr", 1, 10)]
    two[0].not_pooled_reason = two[1].not_pooled_reason = "r"
    assert _why_not_pooled(Measure.cr, two, 0).endswith("; 0 available (2 rows: r)")


def test_the_stratum_with_most_studies_then_most_patients_is_pooled() -> None:
    rows = [
        _row("a.cr", 1, 10),
        _row("b.cr", 1, 10),
        _row("c.cr", 1, 100, time_point="d99"),
        _row("d.cr", 1, 100, time_point="d99"),
        _row("e.cr", 1, 5, time_point="d7"),
        _row("e.cr2", 1, 5, time_point="d7"),
    ]
    # Two studies each at d28 and d99: the one with more patients wins; d7 has one study only.
    assert {r.outcome_id for r in _pool_rows(rows, include_derived=False)} == {"c.cr", "d.cr"}
    assert rows[0].not_pooled_reason == (
        "at d28 with an evaluable denominator; the pool is of figures at d99 with an evaluable denominator"
    )
    tied = [_row("a.cr", 1, 10), _row("b.cr", 1, 10, time_point="d99")]
    # A tie on studies and patients goes to the later codes, so the choice does not depend on row order.
    assert [r.outcome_id for r in _pool_rows(tied, include_derived=False)] == ["b.cr"]
    assert [r.outcome_id for r in _pool_rows(list(reversed(tied)), include_derived=False)] == ["b.cr"]


@pytest.mark.parametrize(
    ("rows", "chosen"),
    [
        # Three studies at d1 against two larger ones at d99: the most studies first.
        ([*(_row(f"{s}.cr", 1, 5, time_point="d1") for s in "xyz"),
          *(_row(f"{s}.cr", 1, 900, time_point="d99") for s in "ab")], {"x.cr", "y.cr", "z.cr"}),
        # Two studies each: the most patients (200 at d28 against 20 at d99), whatever the codes' order.
        ([_row(f"{s}.cr", 1, 100) for s in "ab"] + [_row(f"{s}.cr", 1, 10, time_point="d99") for s in "cd"],
         {"a.cr", "b.cr"}),
    ],
)  # fmt: skip
def test_the_stratum_chosen_is_not_the_one_with_the_last_codes(rows: list[ComparisonRow], chosen: set[str]) -> None:
    assert {r.outcome_id for r in _pool_rows(rows, include_derived=False)} == chosen


def test_one_population_keeps_the_printed_row_with_the_larger_denominator() -> None:
    rows = [_row("a.cr-1", 5, 10), _row("a.cr-2", 5, 12, derived=True), _row("a.cr-3", 5, 11)]
    assert [r.outcome_id for r in _independent(rows)] == ["a.cr-3"]
    rows = [_row("a.cr-1", 5, 10), _row("a.cr-2", 5, 12)]
    rows[1].n = None
    assert [r.outcome_id for r in _independent(rows)] == ["a.cr-1"]
    lone = [_row("a.cr", 5, 10)]
    assert [r.outcome_id for r in _independent(lone)] == ["a.cr"] and lone[0].not_pooled_reason is None


def test_logit_effect_corrects_empty_cells_only() -> None:
    assert _logit_effect(1, 10) == (math.log(1 / 9), 1 + 1 / 9)
    assert _logit_effect(0, 10) == (math.log(0.5 / 10.5), 1 / 0.5 + 1 / 10.5)
    assert _logit_effect(10, 10) == (math.log(10.5 / 0.5), 1 / 10.5 + 1 / 0.5)


@pytest.mark.parametrize(
    "counts",
    # The last: heterogeneous rows of few patients, whose weights leave c below 1.
    [[(2, 10), (6, 10), (9, 10)], [(5, 10), (5, 10)], [(1, 30), (28, 30), (10, 20)], [(0, 2), (2, 2)]],
)
def test_pool_statistics_match_statsmodels(counts: list[tuple[int, int]]) -> None:
    effects = [_logit_effect(e, n) for e, n in counts]
    reference = combine_effects(
        np.array([y for y, _ in effects]), np.array([v for _, v in effects]), method_re="dl", use_t=False
    )
    pooled = pool_random_effects(counts)
    assert pooled.k == len(counts)
    assert pooled.q == pytest.approx(reference.q)
    assert pooled.tau_squared == pytest.approx(max(0.0, reference.tau2), abs=1e-12)
    expected_i2 = max(0.0, (reference.q - (len(counts) - 1)) / reference.q) * 100 if reference.q > 0 else 0.0
    assert pooled.i_squared == pytest.approx(expected_i2, abs=1e-9)
    assert pooled.label.startswith("Descriptive only")
    assert pooled.method.startswith("DerSimonian-Laird random effects on logit proportions")
    assert pooled.ci_low < pooled.proportion < pooled.ci_high


def test_wilson_interval_edges() -> None:
    with pytest.raises(ValueError, match=r"^n must be positive$"):
        wilson_interval(0, 0)
    assert wilson_interval(0, 5)[0] == 0.0
    assert wilson_interval(5, 5)[1] == 1.0
    # Rounding takes these bounds just past 0 and 1 (by about 1e-17 and 2e-16); they are clamped.
    assert wilson_interval(0, 21)[0] == 0.0
    assert wilson_interval(16, 16)[1] == 1.0
    low, high = wilson_interval(1, 2)
    assert low == pytest.approx(1 - high)


def test_leave_one_out_uses_each_rows_counts() -> None:
    rows = [_row("a.cr", 0, 10), _row("b.cr", 6, 12), _row("c.cr", 9, 10)]
    [without_a, _, without_c] = _leave_one_out(rows)
    assert without_a.proportion == pytest.approx(pool_random_effects([(6, 12), (9, 10)]).proportion)
    assert without_c.proportion == pytest.approx(pool_random_effects([(0, 10), (6, 12)]).proportion)
    assert (without_a.omitted_label, without_a.i_squared) == (
        "a · all patients",
        pytest.approx(pool_random_effects([(6, 12), (9, 10)]).i_squared),
    )


def test_leave_one_out_of_rows_sharing_counts_is_the_pool_of_the_others() -> None:
    """Rows with the same counts share one leave-one-out pool; each is still the pool of every other row."""
    counts = [(8, 10), (3, 12), (8, 10), (18, 20), (8, 10), (3, 12)]
    rows = [_row(f"s{i}.cr", e, n) for i, (e, n) in enumerate(counts)]
    for i, left in enumerate(_leave_one_out(rows)):
        others = pool_random_effects(counts[:i] + counts[i + 1 :])
        assert left.omitted_outcome_id == f"s{i}.cr"
        assert (left.proportion, left.ci_low, left.ci_high, left.i_squared) == (
            pytest.approx(others.proportion, rel=1e-12),
            pytest.approx(others.ci_low, rel=1e-12),
            pytest.approx(others.ci_high, rel=1e-12),
            pytest.approx(others.i_squared, rel=1e-9, abs=1e-9),
        )
    assert pool_random_effects(counts).k == len(counts)


def test_a_pool_of_one_row_has_no_between_row_variance() -> None:
    pooled = pool_random_effects([(5, 10)])
    assert (pooled.k, pooled.tau_squared, pooled.q, pooled.i_squared) == (1, 0.0, 0.0, 0.0)
    assert pooled.proportion == pytest.approx(0.5)


# The comparison's stored parts and its query, each in a test of its own: mutation testing maps a test
# to the code it reached when first seen (docs/testing-mutation.md), and the stored parts are computed
# at load time, before any test of the shared app runs.


def _every_outcome(client: TestClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = client.get("/v1/outcomes", params={"limit": 100}).json()
    while True:
        items += page["items"]
        if not page["links"].get("next"):
            return items
        page = client.get(page["links"]["next"]).json()


def _stored_row(fragment: dict[str, object]) -> ComparisonRow:
    """The row a usable figure's stored part stands for: its body between the id and label, and the pooling."""
    head = b'{"outcome_id":' + to_json(fragment["outcome_id"]) + b',"label":""'
    body = fragment["body"]
    assert isinstance(body, bytes)
    return ComparisonRow.model_validate_json(head + body + b',"pooled":false,"not_pooled_reason":null}')


def _usable(o: dict[str, Any]) -> bool:
    return _exclusion(OutcomePublic.model_construct(**o)) is None


def test_a_figure_with_counts_is_stored_with_its_wilson_interval_label_and_subgroup(client: TestClient) -> None:
    figures = [
        o for o in _every_outcome(client)
        if _usable(o) and o["measure"] not in TIME_TO_EVENT and o["subgroup"] and o["arm_label"]
    ]  # fmt: skip
    assert figures, "the curated data hold a usable subgroup figure of an arm with counts"
    for o in figures:
        fragment = comparison_fragment(o, title="The study's title", acronym="ACRO")
        assert fragment["usable"] is True
        assert (fragment["outcome_id"], fragment["study_id"], fragment["arm_id"]) == (
            o["id"],
            o["study_id"],
            o["arm_id"],
        )
        assert fragment["subgroup"] == o["subgroup"]
        assert fragment["label"] == f"ACRO · {o['arm_label']}"
        assert (fragment["interval_method"], fragment["n"], fragment["events"]) == (
            "wilson", o["denominator"], o["numerator"],
        )  # fmt: skip
        row = _stored_row(fragment)
        low, high = proportion_confint(o["numerator"], o["denominator"], alpha=0.05, method="wilson")
        assert row.proportion == pytest.approx(o["numerator"] / o["denominator"])
        assert (row.ci_low, row.ci_high) == (pytest.approx(low), pytest.approx(high))
        assert (row.study_title, row.study_acronym, row.interval_method) == ("The study's title", "ACRO", "wilson")
        assert row.printed == o["printed"]
        # A study without an acronym is named by its title.
        untitled = comparison_fragment(o, title="The study's title", acronym=None)
        assert untitled["label"] == f"The study's title · {o['arm_label']}"
        assert _stored_row(untitled).study_acronym is None


def test_a_survival_figure_is_stored_as_its_printed_percentage_without_an_interval(client: TestClient) -> None:
    figures = [o for o in _every_outcome(client) if _usable(o) and o["measure"] in TIME_TO_EVENT]
    assert figures, "the curated data hold usable survival figures"
    for o in figures:
        fragment = comparison_fragment(o, title="T", acronym=None)
        assert fragment["interval_method"] is None
        row = _stored_row(fragment)
        # As printed: no digits beyond the percentage's own (42.7 is 0.427, not 0.42700000000000005).
        decimals = len(repr(o["value"]).partition(".")[2])
        assert row.proportion == round(o["value"] / 100, decimals + 2)
        assert (row.ci_low, row.ci_high, row.interval_method) == (None, None, None)
        expected = "T · all patients" if o["arm_label"] is None else f"T · {o['arm_label']}"
        assert fragment["label"] == expected


def test_an_unusable_figure_is_stored_as_its_excluded_row(client: TestClient) -> None:
    figures = [o for o in _every_outcome(client) if not _usable(o)]
    assert figures, "the curated data hold figures a comparison cannot use"
    for o in figures:
        fragment = comparison_fragment(o, title="T", acronym="A")
        assert fragment["usable"] is False
        assert ExcludedRow.model_validate_json(fragment["body"]) == ExcludedRow(  # type: ignore[arg-type]
            outcome_id=o["id"],
            study_id=o["study_id"],
            printed=o["printed"],
            reason=_exclusion(OutcomePublic.model_construct(**o)),
        )


def test_the_stored_part_refuses_a_row_model_that_writes_its_fields_in_another_order(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stored part is the row's JSON cut between its label and "pooled": a field written after
    not_pooled_reason would be cut into it, so the row is refused, naming the figure."""

    class Reordered(ComparisonRow):
        after_the_reason: int = 0

    monkeypatch.setattr(comparison, "ComparisonRow", Reordered)
    o = next(o for o in _every_outcome(client) if _usable(o))
    message = "ComparisonRow no longer writes outcome_id, label first and pooled, not_pooled_reason last: "
    with pytest.raises(ValueError, match=f"^{re.escape(message + o['id'])}$"):
        comparison_fragment(o, title="T", acronym=None)


def test_only_a_comparison_asked_by_its_measure_alone_is_the_stored_default(client: TestClient) -> None:
    asked: dict[str, Any] = {
        "study": StudyFilters(), "subgroup": None, "study_id": None, "time_point": None,
        "include_derived": False, "version": "v",
    }  # fmt: skip
    with Session(app_state(client.app).database.engine) as session:
        assert comparison_query(session, Measure.cr, **asked).default is True
        for more in (
            {"study": StudyFilters(q="nelarabine")},
            {"subgroup": [SubgroupFilter(ANY_SUBGROUP)]},
            {"study_id": ["rd13-01"]},
            {"time_point": "d28"},
            {"include_derived": True},
        ):
            assert comparison_query(session, Measure.cr, **(asked | more)).default is False, more


def test_a_comparison_with_more_asked_reads_whole_populations_only(client: TestClient) -> None:
    """Computed when asked (include_derived is more than the measure): whole-population figures
    only, every one of them, as a row or as excluded."""
    body = client.get("/v1/comparison", params={"measure": "cr", "include_derived": "true"}).json()
    shown = {r["outcome_id"] for r in body["rows"]} | {e["outcome_id"] for e in body["excluded"]}
    every_cr = [o for o in _every_outcome(client) if o["measure"] == "cr"]
    assert any(o["subgroup"] for o in every_cr), "the curated data hold CR figures of subgroups"
    assert shown == {o["id"] for o in every_cr if o["subgroup"] is None}


def test_a_comparison_of_a_subgroup_reads_that_subgroups_figures(client: TestClient) -> None:
    body = client.get("/v1/comparison", params={"measure": "cr", "subgroup": "extramedullary_disease"}).json()
    shown = {r["outcome_id"] for r in body["rows"]} | {e["outcome_id"] for e in body["excluded"]}
    expected = {
        o["id"] for o in _every_outcome(client) if (o["measure"], o["subgroup"]) == ("cr", "extramedullary_disease")
    }
    assert shown == expected
    assert expected


def test_a_comparison_takes_the_study_search(client: TestClient) -> None:
    """q is a study filter read through the session (the search index): the comparison's figures are
    those of the studies the search finds."""
    found = {s["id"] for s in client.get("/v1/studies", params={"q": "nelarabine", "limit": 100}).json()["items"]}
    body = client.get("/v1/comparison", params={"measure": "cr", "q": "nelarabine"}).json()
    shown = {r["outcome_id"] for r in body["rows"]} | {e["outcome_id"] for e in body["excluded"]}
    expected = {
        o["id"] for o in _every_outcome(client)
        if o["measure"] == "cr" and o["subgroup"] is None and o["study_id"] in found
    }  # fmt: skip
    assert shown == expected
    every_cr = {o["id"] for o in _every_outcome(client) if o["measure"] == "cr" and o["subgroup"] is None}
    assert set() < expected < every_cr  # the search narrows the comparison, and leaves something


def test_a_comparison_planned_without_include_derived_pools_printed_counts_only(client: TestClient) -> None:
    """The FHIR Evidence plans its comparisons without include_derived: by default, counts curators
    derived stay out of the pool, each row saying so."""
    with Session(app_state(client.app).database.engine) as session:
        plan = plan_comparison(session, Measure.cr, time_point=None, outcome_conditions=[], version="v")
    assert plan.envelope.include_derived is False
    derived = [r for r in plan.rows if r.derived and r.interval_method == "wilson"]
    assert derived, "the curated data hold CR figures with derived counts"
    assert all(r.not_pooled_reason == DERIVED_REASON and not r.pooled for r in derived)


def test_no_time_point_is_the_figures_that_state_none(client: TestClient) -> None:
    """Session 12's probe (A9): time_point=none, a facet's value, selects the figures stating no time point."""
    rows = client.get("/v1/comparison", params={"measure": "cr", "time_point": "none"}).json()["rows"]
    stated = client.get("/v1/outcomes", params={"measure": "cr", "time_point": "none", "limit": 500}).json()["items"]
    assert rows and all(row["time_point"] is None for row in rows), rows
    assert {row["outcome_id"] for row in rows} <= {figure["id"] for figure in stated}


@pytest.mark.parametrize(
    ("percent", "proportion"), [(42.7, 0.427), (88.6, 0.886), (56.0, 0.56), (100.0, 1.0), (0.5, 0.005), (12.35, 0.1235)]
)
def test_a_printed_percentage_is_divided_in_decimal(percent: float, proportion: float) -> None:
    assert percent_proportion(percent) == proportion


def test_the_comparison_carries_a_printed_survival_percentage_without_float_noise(client: TestClient) -> None:
    rows = {r["outcome_id"]: r for r in client.get("/v1/comparison", params={"measure": "os"}).json()["rows"]}
    assert rows["pan-car-t-jco-2021.os-2y"]["proportion"] == 0.427  # printed '2 year OS: 42.7%'
    efs = {r["outcome_id"]: r for r in client.get("/v1/comparison", params={"measure": "efs"}).json()["rows"]}
    assert efs["jplsg-t11.efs-3y"]["proportion"] == 0.886  # printed '88.6%'
    csv_text = client.get("/v1/comparison.csv", params={"measure": "os"}).text
    assert ",0.427," in csv_text
    assert "0.42700000000000005" not in csv_text


def test_one_time_written_two_ways_is_one_stratum_and_a_reason_names_both() -> None:
    """Session 13's probe (FA7): a figure at 24m was left out of the pool of 2y figures, "at 24m with a evaluable
    denominator"."""
    rows = [
        _row("a.cr", 1, 50, time_point="24m"),
        _row("b.cr", 1, 50, time_point="2y"),
        _row("c.cr", 1, 10, time_point="d28"),
        _row("d.cr", 1, 10, time_point="d28"),
        _row("e.cr", 1, 10, time_point="d28", basis=DenominatorBasis.treated),
    ]
    # Two studies each: the most patients (24m and 2y together), although d28 is the later code.
    assert {r.outcome_id for r in _pool_rows(rows, include_derived=False)} == {"a.cr", "b.cr"}
    assert rows[2].not_pooled_reason == (
        "at d28 with an evaluable denominator; the pool is of figures at 24m or 2y with an evaluable denominator"
    )
    assert rows[4].not_pooled_reason == (
        "at d28 with a treated denominator; the pool is of figures at 24m or 2y with an evaluable denominator"
    )


def test_a_reason_names_each_part_no_arm_of_the_study_was_given() -> None:
    """GA6: the parts a study lists as its own, each named (the curated data and the filters today find a study by
    one such part at most, a class; two are named both)."""
    asked = Treatment(agents=frozenset({"cytarabine"}), therapy_classes=frozenset({"stem_cell_transplant"}))
    reason = comparison._no_arm_given(asked, asked.parts(), whole=False)
    assert reason == (
        "this arm was not given agent cytarabine and therapy_class stem_cell_transplant; no arm of its study was: "
        "the study lists agent cytarabine and therapy_class stem_cell_transplant as its own, not as an arm's"
    )
