"""Each consistency check on a made-up study, with the exact inconsistency it must report.

The curated data hold one instance of three of the kinds; these studies hold every kind, its
boundary cases (counts equal to the total, figures not exact, RFS, unlabeled figures) and the
file, path, members and wording each report carries.
"""

import math
from typing import Any

import pytest

from api.loading.consistency import (
    Inconsistency,
    _shared_conflicts,
    counts_match,
    find_inconsistencies,
    rounding_tolerance,
)
from api.settings import PROJECT_ROOT
from models.fixture import OutcomeEntry, StudyFile
from tests.fixture_data import read_yaml

FILE = "studies/made-up.yaml"
SOURCE = "002_34437a4f0dbbef9f"
REPORT = "ash2022-abstract-54"


def _study(**lists: list[dict[str, Any]]) -> StudyFile:
    """A real study's header (jplsg-t11) with only the arms and figures given here."""
    data = read_yaml((PROJECT_ROOT / "fixtures" / "studies" / "jplsg-t11.yaml").read_text(encoding="utf-8"))
    for key in ("arms", "outcomes", "adverse_events", "characteristics", "findings", "related_studies"):
        data[key] = []
    data["car_products"] = []
    data["n_enrolled"] = lists.pop("n_enrolled", [{"n": 30}])[0]["n"]
    for key, items in lists.items():
        printed = {"source_id": SOURCE, "locator": "nowhere"} if key != "arms" else {}
        data[key] = [{**printed, **item} for item in items]
    return StudyFile.model_validate(data)


def _outcome(id: str, measure: str, value: float | None, **fields: Any) -> dict[str, Any]:
    return {"id": id, "measure": measure, "value": value, "printed": f"{value}%", "unit": "percent", **fields}


def test_every_kind_is_reported_with_file_path_members_and_wording() -> None:
    study = _study(
        arms=[{"id": "a", "label": "A", "n": 10}, {"id": "b", "label": "B", "n": 15}],
        characteristics=[
            {
                "id": "c0",
                "label": "Patients enrolled",
                "value": 30,
                "unit": "patients",
                "printed": "30",
                "conflict_ids": ["k1", "k2"],
            },
            {
                "id": "c1",
                "label": "Patients with T-ALL (subgroup size)",
                "value": 20,
                "unit": "patients",
                "printed": "20",
                "conflict_ids": ["k1"],
            },
            {
                "id": "c2",
                "label": "Patients with T-LBL (subgroup size)",
                "value": 5,
                "unit": "patients",
                "printed": "5",
                "conflict_ids": ["k2", "k1"],
            },
        ],
        outcomes=[
            _outcome("o0", "cr", 50, arm="a", numerator=5, denominator=10),
            _outcome("o1", "cr", 60, arm="b", numerator=9, denominator=15),
            _outcome("o2", "cr", 70),
            _outcome("o3", "orr", 40, arm="a", numerator=3, denominator=10),
            _outcome("o4", "pfs", 60, arm="a", time_point="2y"),
            _outcome("o5", "os", 50, arm="a", time_point="2y"),
            _outcome("o6", "efs", 40, arm="a", time_point="2y"),
            _outcome("o7", "rfs", 70, arm="a", time_point="2y"),
            _outcome("o8", "pfs", 80, arm="b", time_point="2y", qualifier="approximate"),
            _outcome("o9", "os", 50, arm="b", time_point="2y"),
            _outcome("o10", "mrd_negative", 40, locator="L1"),
            {
                "id": "o11",
                "measure": "mrd_negative",
                "value": 5,
                "unit": "patients",
                "numerator": 5,
                "denominator": 10,
                "printed": "5/10",
                "locator": "L2",
            },
        ],
        adverse_events=[
            {"id": "e0", "term": "fever", "percentage": 50.0, "patients": 2, "at_risk": 10, "printed": "2 (50%)"},
            {"id": "e1", "term": "fever", "percentage": 50.0, "patients": 12, "at_risk": 10, "printed": "12"},
            {"id": "e2", "term": "fever", "percentage": 20.0, "patients": 2, "at_risk": 10, "printed": "2 (20%)"},
            {"id": "e3", "term": "fever", "percentage": 90.0, "patients": 10, "at_risk": 10, "printed": "10"},
        ],
    )
    other = _study(arms=[{"id": "x", "label": "X", "n": 1}, {"id": "y", "label": "Y", "n": 1}])
    found = find_inconsistencies({FILE: study, "studies/other.yaml": other})
    percent = "fix it or record a conflict"
    assert found == [
        Inconsistency("subset_sum", FILE, "arms", "arm sizes add up to 25, not the 30 patients enrolled", (), ()),
        Inconsistency(
            "subset_sum",
            FILE,
            "characteristics[0]",
            "T-ALL and T-LBL subgroups add up to 25, not the 30 patients enrolled",
            ("characteristics[0] (c0)", "characteristics[1] (c1)", "characteristics[2] (c2)"),
            ("k1",),
        ),
        Inconsistency(
            "subset_sum",
            FILE,
            "outcomes[2]",
            "the arms' counts give 14/25 (56.0%), not the whole-study 70%",
            ("outcomes[2] (o2)", "outcomes[0] (o0)", "outcomes[1] (o1)"),
            (),
        ),
        Inconsistency(
            "percent_counts", FILE, "outcomes[3].value", f"40.0% does not match 3/10 (30.00%); {percent}",
            ("outcomes[3] (o3)",), (),
        ),
        Inconsistency(
            "percent_counts", FILE, "adverse_events[0].percentage", f"50.0% does not match 2/10 (20.00%); {percent}",
            ("adverse_events[0] (e0)",), (),
        ),
        Inconsistency(
            "percent_counts", FILE, "adverse_events[3].percentage",
            f"90.0% does not match 10/10 (100.00%); {percent}", ("adverse_events[3] (e3)",), (),
        ),
        Inconsistency(
            "survival_above_os", FILE, "outcomes[4]", "PFS 60% is above OS 50% for the same population at 2y",
            ("outcomes[4] (o4)", "outcomes[5] (o5)"), (),
        ),
        Inconsistency(
            "text_vs_table", FILE, "outcomes[10]",
            "the same mrd_negative figure is printed twice with different values: '40%' at L1; '5/10' at L2",
            ("outcomes[10] (o10)", "outcomes[11] (o11)"), (),
        ),
        Inconsistency("subset_sum", "studies/other.yaml", "arms", "arm sizes add up to 2, not the 30 patients enrolled",
                      (), ()),
    ]  # fmt: skip
    assert [i.recorded for i in found] == [False, True, *[False] * 7]


def test_counts_that_agree_report_nothing() -> None:
    study = _study(
        n_enrolled=[{"n": 25}],
        arms=[{"id": "a", "label": "A", "n": 10}, {"id": "b", "label": "B", "n": 15}],
        characteristics=[
            {"id": "c1", "label": "Patients with T-ALL (subgroup size)", "value": 20, "unit": "patients",
             "printed": "20"},
            {"id": "c2", "label": "Patients with T-LBL (subgroup size)", "value": 5, "unit": "patients",
             "printed": "5"},
        ],
        outcomes=[
            _outcome("o0", "cr", 50, arm="a", numerator=5, denominator=10),
            _outcome("o1", "cr", 60, arm="b", numerator=9, denominator=15),
            _outcome("o2", "cr", 56),
            _outcome("o3", "os", 60, time_point="1y"),
            _outcome("o4", "efs", 60, time_point="1y"),
            _outcome("o6", "orr", 30, numerator=3, denominator=10, subgroup="t_lbl"),
        ],
    )  # fmt: skip
    assert find_inconsistencies({FILE: study}) == []


@pytest.mark.parametrize(
    ("changes", "kinds"),
    [
        # One arm's counts missing: the arms' total cannot be compared with the whole.
        ({"o1": {"numerator": None, "denominator": None}}, []),
        ({"o1": {"denominator": None}}, []),
        # An arm without a figure: the arms present do not make the whole.
        ({"o1": {"measure": "orr"}}, []),
        # The whole figure printed without a value: nothing to compare.
        ({"o2": {"value": None, "printed": "n/a"}}, []),
        ({"o2": {"value": 70}}, ["subset_sum"]),
    ],
)
def test_arm_counts_against_the_whole_need_every_arm_and_counts(
    changes: dict[str, dict[str, Any]], kinds: list[str]
) -> None:
    outcomes = [
        _outcome("o0", "cr", 50, arm="a", numerator=5, denominator=10),
        _outcome("o1", "cr", 60, arm="b", numerator=9, denominator=15),
        _outcome("o2", "cr", 56),
    ]
    for outcome in outcomes:
        outcome.update(changes.get(outcome["id"], {}))
    arms = [{"id": "a", "label": "A", "n": 10}, {"id": "b", "label": "B", "n": 15}]
    study = _study(n_enrolled=[{"n": 25}], arms=arms, outcomes=outcomes)
    assert [i.kind for i in find_inconsistencies({FILE: study})] == kinds


def test_percent_counts_skip_missing_counts_and_compare_unit_by_unit() -> None:
    study = _study(
        outcomes=[
            _outcome("o0", "orr", 40, numerator=None, denominator=10),
            _outcome("o1", "orr", 40, numerator=3, denominator=None),
            {"id": "o2", "measure": "pr", "value": 40, "unit": "patients", "numerator": 3, "denominator": 10,
             "printed": "40"},
        ],
        adverse_events=[
            {"id": "e0", "term": "fever", "percentage": 50.0, "patients": None, "at_risk": 10, "printed": "x"},
            {"id": "e1", "term": "fever", "percentage": 50.0, "patients": 2, "at_risk": None, "printed": "x"},
            {"id": "e2", "term": "fever", "percentage": None, "patients": 2, "at_risk": 10, "printed": "x"},
        ],
    )  # fmt: skip
    assert find_inconsistencies({FILE: study}) == []


def test_figures_of_other_time_points_subgroups_or_units_are_not_compared() -> None:
    study = _study(
        outcomes=[
            _outcome("o0", "pfs", 60, time_point="2y"),
            _outcome("o1", "os", 50, time_point="3y"),
            _outcome("o2", "efs", 60, time_point="2y", subgroup="t_lbl"),
            _outcome("o3", "os", 50, time_point="2y"),
            _outcome("o4", "pfs", 60),
            _outcome("o5", "os", 50),
            {"id": "o6", "measure": "pfs", "value": 60, "unit": "months", "time_point": "2y", "printed": "60"},
            _outcome("o7", "efs", None, time_point="2y", printed="n/a"),
        ],
    )
    [hit] = find_inconsistencies({FILE: study})
    assert (hit.kind, hit.members) == ("survival_above_os", ("outcomes[0] (o0)", "outcomes[3] (o3)"))


def test_repeated_figures_within_rounding_agree_and_unlabeled_ones_are_not_the_same_figure() -> None:
    study = _study(
        outcomes=[
            _outcome("o0", "cr", 88.7, locator="text"),
            _outcome("o1", "cr", 89, locator="table"),  # 88.7 printed as 89: within half a unit
            _outcome("o2", "orr", 40, locator="text"),
            _outcome("o3", "orr", 45, locator="table", unlabeled=True, caveat="says only 'response'"),
            {"id": "o4", "measure": "mrd_negative", "value": 3, "unit": "patients", "numerator": 3,
             "denominator": None, "printed": "3"},
            {"id": "o5", "measure": "mrd_negative", "value": 3, "unit": "patients", "numerator": 3,
             "denominator": 0, "printed": "3/0"},
            _outcome("o6", "mrd_negative", 10),
            {"id": "o7", "measure": "mrd_negative", "value": 6, "unit": "months", "printed": "6 months"},
        ],
    )  # fmt: skip
    assert find_inconsistencies({FILE: study}) == []
    # Beyond both figures' rounding, they disagree; the lower is named first.
    study.outcomes[1].value = 90.0
    [hit] = find_inconsistencies({FILE: study})
    assert hit.members == ("outcomes[0] (o0)", "outcomes[1] (o1)")


def test_a_whole_study_figure_computed_from_counts_is_compared_as_a_percentage() -> None:
    study = _study(
        outcomes=[
            _outcome("o0", "cr", 50, locator="text"),
            {"id": "o1", "measure": "cr", "value": 6, "unit": "patients", "numerator": 6, "denominator": 10,
             "printed": "6/10", "locator": "table"},
        ],
    )  # fmt: skip
    [hit] = find_inconsistencies({FILE: study})
    assert hit.members == ("outcomes[0] (o0)", "outcomes[1] (o1)")
    study.outcomes[1].numerator = 5  # 5/10 = 50%: the same figure
    assert find_inconsistencies({FILE: study}) == []


def test_disease_subgroups_use_the_enrolled_figure_of_their_report_or_the_studys() -> None:
    parts = [
        {"id": "c1", "label": "Patients with T-ALL (subgroup size)", "value": 20, "unit": "patients", "printed": "20"},
        {"id": "c2", "label": "Patients with T-LBL (subgroup size)", "value": 5, "unit": "patients", "printed": "5"},
    ]
    assert find_inconsistencies({FILE: _study(n_enrolled=[{"n": 25}], characteristics=parts)}) == []
    [hit] = find_inconsistencies({FILE: _study(n_enrolled=[{"n": 26}], characteristics=parts)})
    assert hit.members == ("characteristics[0] (c1)", "characteristics[1] (c2)")
    # Only one of the two subgroups, an arm's sizes, or sizes in another unit: nothing to add up.
    assert find_inconsistencies({FILE: _study(characteristics=parts[:1])}) == []
    by_arm = [{**p, "arm": "a"} for p in parts]
    arms = [{"id": "a", "label": "A", "n": None}]
    assert find_inconsistencies({FILE: _study(characteristics=by_arm, arms=arms)}) == []
    in_percent = [{**p, "unit": "percent"} for p in parts]
    assert find_inconsistencies({FILE: _study(characteristics=in_percent)}) == []
    # Sizes printed per report: each report's own "Patients enrolled" is the total.
    reports = [{**p, "report": REPORT} for p in parts]
    total = {"id": "c0", "label": "Patients enrolled", "value": 25, "unit": "patients", "printed": "25",
             "report": REPORT}  # fmt: skip
    assert find_inconsistencies({FILE: _study(n_enrolled=[{"n": 99}], characteristics=[total, *reports])}) == []


def test_arm_sizes_need_two_arms_every_size_and_the_enrolled_total() -> None:
    one = [{"id": "a", "label": "A", "n": 10}]
    assert find_inconsistencies({FILE: _study(arms=one)}) == []
    unsized = [{"id": "a", "label": "A", "n": 10}, {"id": "b", "label": "B", "n": None}]
    assert find_inconsistencies({FILE: _study(arms=unsized)}) == []
    two = [{"id": "a", "label": "A", "n": 10}, {"id": "b", "label": "B", "n": 20}]
    assert find_inconsistencies({FILE: _study(arms=two)}) == []
    [hit] = find_inconsistencies({FILE: _study(arms=[*two, {"id": "c", "label": "C", "n": 1}])})
    assert hit.message == "arm sizes add up to 31, not the 30 patients enrolled"


def test_rounding_tolerance_is_half_the_last_printed_place() -> None:
    assert rounding_tolerance(88.7) == 0.5 * 10.0**-1 + 1e-9
    assert rounding_tolerance(40) == 0.5 + 1e-9
    assert rounding_tolerance(12.25) == 0.5 * 10.0**-2 + 1e-9
    assert rounding_tolerance(math.inf) == 0.5 + 1e-9


def test_counts_match_within_rounding_only() -> None:
    assert counts_match(90.3, 56, 62)
    assert counts_match(13, 1, 8)  # 12.5 rounds to 13
    assert not counts_match(12.4, 1, 8)
    assert not counts_match(0, 0, 0)
    assert counts_match(100, 1, 1)


def test_shared_conflicts_are_those_every_figure_names() -> None:
    figures = [
        OutcomeEntry.model_validate({**_outcome(f"o{i}", "cr", 1), "source_id": SOURCE, "locator": "x",
                                     "conflict_ids": ids})
        for i, ids in enumerate([["b", "a", "c"], ["c", "a"]])
    ]  # fmt: skip
    assert _shared_conflicts(figures) == ("a", "c")
    assert _shared_conflicts([]) == ()


def test_a_zero_count_is_a_count_in_the_arms_total() -> None:
    arms = [{"id": "a", "label": "A", "n": 10}, {"id": "b", "label": "B", "n": 10}]
    zero_events = [
        _outcome("o0", "cr", 0, arm="a", numerator=0, denominator=10),
        _outcome("o1", "cr", 60, arm="b", numerator=6, denominator=10),
        _outcome("o2", "cr", 30),  # 6/20
    ]
    assert find_inconsistencies({FILE: _study(n_enrolled=[{"n": 20}], arms=arms, outcomes=zero_events)}) == []
    no_patients = [
        _outcome("o0", "cr", 0, arm="a", numerator=0, denominator=0),
        _outcome("o1", "cr", 60, arm="b", numerator=6, denominator=10),
        _outcome("o2", "cr", 60),  # 6/10
    ]
    found = find_inconsistencies({FILE: _study(n_enrolled=[{"n": 20}], arms=arms, outcomes=no_patients)})
    assert "subset_sum" not in [i.kind for i in found]


def test_each_group_of_arm_figures_is_checked_after_one_that_cannot_be() -> None:
    arms = [{"id": "a", "label": "A", "n": 10}, {"id": "b", "label": "B", "n": 10}]
    mismatch = [
        _outcome("c0", "cr", 50, arm="a", numerator=5, denominator=10),
        _outcome("c1", "cr", 60, arm="b", numerator=6, denominator=10),
        _outcome("c2", "cr", 70),
    ]
    one_arm_only = [_outcome("r0", "orr", 50, arm="a", numerator=5, denominator=10), _outcome("r1", "orr", 50)]
    no_counts = [
        _outcome("r0", "orr", 50, arm="a", numerator=5, denominator=10),
        _outcome("r1", "orr", 50, arm="b"),
        _outcome("r2", "orr", 50),
    ]
    for first in (one_arm_only, no_counts):
        study = _study(n_enrolled=[{"n": 20}], arms=arms, outcomes=[*first, *mismatch])
        assert [i.kind for i in find_inconsistencies({FILE: study})] == ["subset_sum"]


def test_each_reports_subgroups_are_checked_after_one_that_cannot_be() -> None:
    other = "other-report"
    parts = [
        {"id": "c0", "label": "Patients with T-ALL (subgroup size)", "value": 20, "unit": "patients", "printed": "20",
         "report": other},
        {"id": "c1", "label": "Patients with T-ALL (subgroup size)", "value": 20, "unit": "patients", "printed": "20"},
        {"id": "c2", "label": "Patients with T-LBL (subgroup size)", "value": 5, "unit": "patients", "printed": "5"},
    ]  # fmt: skip
    data_reports = [{"id": other, "source_id": SOURCE, "locator": "nowhere"}]
    study = _study(n_enrolled=[{"n": 30}], characteristics=parts, reports=data_reports)
    [hit] = find_inconsistencies({FILE: study})
    assert hit.members == ("characteristics[1] (c1)", "characteristics[2] (c2)")


def test_a_percentage_against_one_patient_and_a_count_just_off_its_percentage() -> None:
    [hit] = find_inconsistencies(
        {FILE: _study(adverse_events=[{"id": "e0", "term": "fever", "percentage": 90.0, "patients": 1,
                                       "at_risk": 1, "printed": "1"}])}
    )  # fmt: skip
    assert hit.message.startswith("90.0% does not match 1/1 (100.00%)")
    # 50/100 is 50%, within rounding of a printed 49.9 and its own count's half unit; 50.5 would not be.
    close = [
        _outcome("o0", "cr", 49.9, locator="text"),
        {"id": "o1", "measure": "cr", "value": 50, "unit": "patients", "numerator": 50, "denominator": 100,
         "printed": "50/100", "locator": "table"},
    ]  # fmt: skip
    assert find_inconsistencies({FILE: _study(outcomes=close)}) == []


def test_repeated_figures_compare_within_their_own_printed_precision() -> None:
    # 88.7 and 89.2 are each printed to a tenth: half a tenth each way is all rounding explains.
    study = _study(outcomes=[_outcome("o0", "cr", 88.7, locator="text"), _outcome("o1", "cr", 89.2, locator="table")])
    [hit] = find_inconsistencies({FILE: study})
    assert hit.kind == "text_vs_table"
