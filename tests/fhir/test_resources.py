"""Each FHIR resource the mapping makes (api/fhir/resources.py), built from records written for the test and
compared whole with the resource written out here.

The curated data leave cases out (a printed range, a p-value without its words, a pooled comparison, a
report with every field, a study linked to another...), so tests/fhir/test_mapping_exact.py, which maps
them, cannot see a mistake there. Each record here holds the cases the curated data lack, and the
expected resources are written from the mapping docs/fhir.md documents, field by field.
"""

from typing import Any

import pytest

from api.fhir.elements import Context, Urls
from api.fhir.resources import (
    adverse_event_evidence,
    adverse_event_statistic,
    measure_at_time_variable,
    measure_variable,
    outcome_evidence,
    outcome_statistic,
    pooled_evidence,
    report_citation,
    research_study,
    source_citation,
    study_group,
    term_variable,
)
from models.adverse_event import AdverseEventPublic
from models.arm import ArmPublic
from models.car_product import CarProductPublic
from models.comparison import Comparison, ComparisonRow, ExcludedRow, PooledEstimate
from models.conflict import ConflictMember, ConflictPublic
from models.enums import (
    AdverseEventTerm,
    Agent,
    Antigen,
    CellSource,
    ConflictKind,
    Design,
    Disease,
    FratricideStrategy,
    GradingSystem,
    Measure,
    Phase,
    Setting,
    StudyRelation,
    TherapyClass,
    ValueQualifier,
    ValueUnit,
)
from models.figure import Inference
from models.outcome import OutcomePublic
from models.source import SourcePublic
from models.study import ReportPublic, StudyLinkPublic
from models.study_views import StudyDetail
from tests.fhir.test_mapping_exact import (
    CONFIDENCE_INTERVAL,
    COUNT,
    DESCRIPTIVE,
    EBM,
    NCIT,
    NOT_APPLICABLE,
    P_VALUE,
    PROPORTION,
    fid,
    quantity,
    ref,
    variable,
)

Json = dict[str, Any]
BASE = "https://example.org/fhir"
URLS = Urls(BASE)
ESTIMATE_TYPE = "http://terminology.hl7.org/CodeSystem/attribute-estimate-type"
MODEL_CODE = "http://hl7.org/fhir/statistic-model-code"
RANGE = [{"system": ESTIMATE_TYPE, "code": "C38013", "display": "Range"}]
WILSON = "Wilson score 95% interval computed by this service from the counts; not printed in the source."


def _outcome(**fields: Any) -> OutcomePublic:
    values: dict[str, Any] = {
        "id": "study_a.cr",
        "study_id": "study_a",
        "source_id": "001_abc",
        "locator": "Table 2",
        "printed": "8/10 (80%)",
        "measure": Measure.cr,
        "permalink": "http://127.0.0.1:8000/v1/outcomes/study_a.cr",
    }
    return OutcomePublic.model_validate(values | fields)


def _event(**fields: Any) -> AdverseEventPublic:
    values: dict[str, Any] = {
        "id": "study_a.crs",
        "study_id": "study_a",
        "source_id": "001_abc",
        "locator": "Text",
        "printed": "2 of 10",
        "term": AdverseEventTerm.crs,
        "permalink": "http://127.0.0.1:8000/v1/adverse-events/study_a.crs",
    }
    return AdverseEventPublic.model_validate(values | fields)


def _printed_range(low: float, high: float, unit: str, code: str) -> Json:
    return {
        "description": "Range as printed in the source.",
        "type": {"coding": RANGE},
        "range": {"low": quantity(low, unit, code), "high": quantity(high, unit, code)},
    }


def _p_value(description: str, value: float) -> Json:
    return {"description": description, "type": {"coding": P_VALUE}, "quantity": {"value": value}}


# --- statistics -----------------------------------------------------------------------------


def test_a_percentage_with_a_bound_counts_our_interval_a_printed_range_and_a_p_value() -> None:
    outcome = _outcome(
        printed=">=80% (8/10; range 70-90%)",
        value=80.0,
        qualifier=ValueQualifier.at_least,
        numerator=8,
        denominator=10,
        value_low=70.0,
        value_high=90.0,
        p_value=0.04,
        p_value_printed="p = 0.04",
        comparison="arm one against arm two",
    )
    assert outcome_statistic(outcome, (0.49, 0.94)) == {
        "description": "CR as printed: >=80% (8/10; range 70-90%)",
        "statisticType": {"coding": PROPORTION},
        "quantity": quantity(80.0, "%", "%", ">="),
        "numberOfEvents": 8,
        "sampleSize": {"numberOfParticipants": 10},
        "attributeEstimate": [
            {
                "description": WILSON,
                "type": {"coding": CONFIDENCE_INTERVAL},
                "level": 0.95,
                "range": {"low": quantity(0.49, "proportion", "1"), "high": quantity(0.94, "proportion", "1")},
            },
            _printed_range(70.0, 90.0, "%", "%"),
            _p_value("p = 0.04, arm one against arm two", 0.04),
        ],
    }


def test_months_keep_their_unit_in_the_value_and_the_range_and_a_p_value_says_what_it_compares() -> None:
    outcome = _outcome(
        measure=Measure.os,
        printed="median 14 months (range 3-40), p < 0.01 against the historical cohort",
        value=14.0,
        unit=ValueUnit.months,
        value_low=3.0,
        value_high=40.0,
        p_value=0.01,
        comparison="against the historical cohort",
    )
    assert outcome_statistic(outcome, None) == {
        "description": "OS as printed: median 14 months (range 3-40), p < 0.01 against the historical cohort",
        "statisticType": {"coding": DESCRIPTIVE},
        "quantity": quantity(14.0, "months", "mo"),
        "attributeEstimate": [
            _printed_range(3.0, 40.0, "months", "1"),
            _p_value("against the historical cohort", 0.01),
        ],
    }


def test_a_bound_on_a_number_of_months_keeps_its_comparator() -> None:
    outcome = _outcome(
        measure=Measure.os, printed="median not reached, >24 months", value=24.0, unit="months", qualifier="more_than"
    )
    assert outcome_statistic(outcome, None) == {
        "description": "OS as printed: median not reached, >24 months",
        "statisticType": {"coding": DESCRIPTIVE},
        "quantity": quantity(24.0, "months", "mo", ">"),
    }


def test_counts_alone_are_a_proportion_and_a_bare_p_value_is_named_as_printed() -> None:
    outcome = _outcome(printed="0 of 5", numerator=0, denominator=5, value_low=1.0, p_value=0.5)
    assert outcome_statistic(outcome, None) == {
        "description": "CR as printed: 0 of 5",
        "statisticType": {"coding": PROPORTION},
        "numberOfEvents": 0,
        "sampleSize": {"numberOfParticipants": 5},
        "attributeEstimate": [_p_value("p-value as printed", 0.5)],
    }


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # Nothing but words: a descriptive statistic with nothing else.
        ({"printed": "most patients"}, {}),
        ({"printed": "most patients", "unit": ValueUnit.months, "value_high": 9.0}, {}),
        # A numerator without a denominator is no proportion, and a patients' count no percentage.
        ({"printed": "4", "numerator": 4}, {"numberOfEvents": 4}),
        ({"printed": "of 9", "denominator": 9}, {"sampleSize": {"numberOfParticipants": 9}}),
    ],
)
def test_a_figure_without_a_value_or_both_counts_is_descriptive(fields: Json, expected: Json) -> None:
    assert outcome_statistic(_outcome(**fields), None) == {
        "description": f"CR as printed: {fields['printed']}",
        "statisticType": {"coding": DESCRIPTIVE},
        **expected,
    }


def test_a_number_of_patients_is_a_count_with_its_bound() -> None:
    outcome = _outcome(printed="fewer than 4 patients", value=4.0, unit=ValueUnit.patients, qualifier="less_than")
    assert outcome_statistic(outcome, None) == {
        "description": "CR as printed: fewer than 4 patients",
        "statisticType": {"coding": COUNT},
        "quantity": quantity(4.0, "patients", "{patients}", "<"),
    }


def test_an_adverse_events_percentage_grades_and_grading_system() -> None:
    event = _event(
        printed="at most 20% (2/10) grade 3-4",
        grade_min=3,
        grade_max=4,
        grading_system=GradingSystem.ctcae,
        qualifier=ValueQualifier.at_most,
        percentage=20.0,
        patients=2,
        at_risk=10,
    )
    assert adverse_event_statistic(event) == {
        "description": "CRS, grade 3\u20134, CTCAE; as printed: at most 20% (2/10) grade 3-4",
        "statisticType": {"coding": PROPORTION},
        "quantity": quantity(20.0, "%", "%", "<="),
        "numberOfEvents": 2,
        "sampleSize": {"numberOfParticipants": 10},
    }


def test_an_adverse_event_counted_in_patients_even_none_is_a_count() -> None:
    event = _event(printed="more than 0 patients", qualifier=ValueQualifier.more_than, patients=0, grade_min=2)
    assert adverse_event_statistic(event) == {
        "description": "CRS, grade \u22652; as printed: more than 0 patients",
        "statisticType": {"coding": COUNT},
        "quantity": quantity(0.0, "patients", "{patients}", ">"),
        "numberOfEvents": 0,
    }
    (value,) = [adverse_event_statistic(event)["quantity"]["value"]]
    assert isinstance(value, float)


def test_an_adverse_event_without_a_figure_is_descriptive() -> None:
    event = _event(printed="some patients", grading_system=GradingSystem.astct, at_risk=0)
    assert adverse_event_statistic(event) == {
        "description": "CRS, grade not stated, ASTCT consensus; as printed: some patients",
        "statisticType": {"coding": DESCRIPTIVE},
        "sampleSize": {"numberOfParticipants": 0},
    }


# --- pooled Evidence ------------------------------------------------------------------------


def _row(outcome_id: str, study_id: str, events: int, n: int, **fields: Any) -> ComparisonRow:
    values: dict[str, Any] = {
        "outcome_id": outcome_id,
        "label": outcome_id,
        "study_id": study_id,
        "study_title": study_id,
        "n": n,
        "events": events,
        "proportion": events / n,
        "printed": f"{events}/{n}",
        "source_id": "001_abc",
        "locator": "Table 1",
        "derived": False,
        "denominator_basis": "treated",
        "permalink": f"http://127.0.0.1:8000/v1/outcomes/{outcome_id}",
        "pooled": True,
    }
    return ComparisonRow.model_validate(values | fields)


POOL = PooledEstimate(
    label="Descriptive pool of 3 rows; not a formal meta-analysis.",
    method="DerSimonian-Laird",
    k=3,
    proportion=0.42,
    ci_low=0.21,
    ci_high=0.66,
    i_squared=35.5,
    tau_squared=0.25,
    q=3.1,
    time_point="2y",
)


def _pooled_comparison(time_point: str | None) -> tuple[Context, Comparison]:
    rows = [
        _row("study_a.cr_1", "study_a", 8, 10),
        _row("study_a.cr_all", "study_a", 11, 22, pooled=False, not_pooled_reason="its patients are in the arms"),
        _row("study_a.cr_2", "study_a", 3, 12),
        _row("study_b.cr", "study_b", 5, 40),
        _row("study_c.cr", "study_c", 1, 4, pooled=False, not_pooled_reason="another denominator basis"),
    ]
    excluded = [ExcludedRow(outcome_id="study_d.cr", study_id="study_d", printed="most", reason="no counts")]
    ctx = Context(URLS)
    ctx.evidence_ids = {("outcome", r.outcome_id): r.outcome_id.replace("_", "-") for r in rows}
    comparison = Comparison(
        measure=Measure.cr, time_point=time_point, rows=rows, pooled=POOL, excluded=excluded, dataset_version="v"
    )
    return ctx, comparison


def _pooled_expected(evidence_id: str, what: str, variable_id: str) -> Json:
    return {
        "resourceType": "Evidence",
        "id": evidence_id,
        "meta": {"profile": [f"{EBM}/evidence-synthesis-evidence|1.0.0-ballot"]},
        "title": f"Pooled {what} across studies (descriptive)",
        "status": "active",
        "description": "Descriptive pool of 3 rows; not a formal meta-analysis.",
        "relatedArtifact": [
            {"type": "derived-from", "resourceReference": ref("Evidence", "study-a.cr-1")},
            {"type": "derived-from", "resourceReference": ref("Evidence", "study-a.cr-2")},
            {"type": "derived-from", "resourceReference": ref("Evidence", "study-b.cr")},
        ],
        "note": [
            {"text": "Descriptive pool of 3 rows; not a formal meta-analysis."},
            {"text": "Method: DerSimonian-Laird. Computed by this service, not printed anywhere."},
            {"text": "Left out: study_d.cr ('most'): no counts."},
            {"text": "Shown but not pooled: study_a.cr_all ('11/22'): its patients are in the arms."},
            {"text": "Shown but not pooled: study_c.cr ('1/4'): another denominator basis."},
        ],
        "variableDefinition": [
            variable("population", "Whole-population figures of the studies pooled (no subgroup)."),
            variable("measuredVariable", what, ref("EvidenceVariable", variable_id)),
        ],
        "synthesisType": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/synthesis-type", "code": "std-MA"}],
            "text": "descriptive pool",
        },
        "statistic": [
            {
                "description": f"Pooled proportion of {what}, computed by this service from 3 rows with counts.",
                "statisticType": {"coding": PROPORTION},
                "quantity": quantity(0.42, "proportion", "1"),
                "numberOfEvents": 8 + 3 + 5,
                "sampleSize": {
                    "description": "3 rows (arms or whole studies) with counts",
                    "numberOfStudies": 2,
                    "numberOfParticipants": 10 + 12 + 40,
                },
                "attributeEstimate": [
                    {
                        "description": "95% interval of the pooled proportion, computed by this service.",
                        "type": {"coding": CONFIDENCE_INTERVAL},
                        "level": 0.95,
                        "range": {"low": quantity(0.21, "proportion", "1"), "high": quantity(0.66, "proportion", "1")},
                    },
                    {
                        "type": {"coding": [{"system": ESTIMATE_TYPE, "code": "0000420", "display": "I-squared"}]},
                        "quantity": quantity(35.5, "%", "%"),
                    },
                    {
                        "type": {"coding": [{"system": ESTIMATE_TYPE, "code": "0000421", "display": "Tau squared"}]},
                        "quantity": {"value": 0.25},
                    },
                    {
                        "type": {
                            "coding": [{"system": ESTIMATE_TYPE, "code": "0000419", "display": "Cochran's Q statistic"}]
                        },
                        "quantity": {"value": 3.1},
                    },
                ],
                "modelCharacteristic": [
                    {"code": {"coding": [{"system": MODEL_CODE, "code": "effectsRandom"}], "text": "random effects"}},
                    {
                        "code": {
                            "coding": [{"system": MODEL_CODE, "code": "tauDersimonianLaird"}],
                            "text": "DerSimonian-Laird",
                        }
                    },
                    {
                        "code": {
                            "coding": [{"system": MODEL_CODE, "code": "zeroCellContinuityCorrection"}],
                            "text": "0.5 added to both cells when either is empty",
                        },
                        "extension": [
                            {"url": f"{EBM}/statistic-model-value-quantity", "valueQuantity": {"value": 0.5}}
                        ],
                    },
                ],
            }
        ],
    }


def test_a_measures_comparison_is_its_pools_synthesis_evidence_at_the_pools_time_point() -> None:
    # FA14: asked at no time point, the comparison still pools at one (2 years here); the Evidence
    # says so and is the one Evidence of that pool, not "CR" beside "CR at 2 years".
    ctx, comparison = _pooled_comparison(None)
    expected = _pooled_expected("comparison-cr-at-2y", "CR at 2 years", "measure-cr-at-2y")
    assert pooled_evidence(ctx, comparison) == expected


def test_a_pooled_comparison_at_a_time_point_is_its_synthesis_evidence_exactly() -> None:
    ctx, comparison = _pooled_comparison("2y")
    expected = _pooled_expected("comparison-cr-at-2y", "CR at 2 years", "measure-cr-at-2y")
    assert pooled_evidence(ctx, comparison) == expected


def test_a_comparison_without_a_pool_is_refused_with_its_reason() -> None:
    ctx, comparison = _pooled_comparison(None)
    with pytest.raises(AssertionError, match=r"^only comparisons with a pooled estimate become Evidence$"):
        pooled_evidence(ctx, comparison.model_copy(update={"pooled": None}))


def test_a_pool_at_no_time_point_is_refused_with_its_reason() -> None:
    ctx, comparison = _pooled_comparison(None)
    with pytest.raises(AssertionError, match=r"^a pool is always at a stated time point$"):
        pooled_evidence(ctx, comparison.model_copy(update={"pooled": POOL.model_copy(update={"time_point": None})}))


# --- EvidenceVariable -----------------------------------------------------------------------


def _definition(coding: list[Json], text: str) -> list[Json]:
    concept = {"coding": coding, "text": text}
    return [{"url": f"{EBM}/evidence-variable-definition", "valueCodeableReference": {"concept": concept}}]


def _measure_coding(code: str, display: str) -> Json:
    return {"system": f"{BASE}/CodeSystem/measure", "code": code, "display": display}


def test_a_measure_with_one_handling_is_a_variable_definition() -> None:
    assert measure_variable(URLS, Measure.cr_cri) == {
        "resourceType": "EvidenceVariable",
        "id": "measure-cr-cri",
        "meta": {"profile": [f"{EBM}/variable-definition|1.0.0-ballot"]},
        "extension": _definition([_measure_coding("cr_cri", "CR/CRi")], "CR/CRi"),
        "name": "MeasureCrCri",
        "title": "CR/CRi",
        "status": "active",
        "description": "Outcome measure 'CR/CRi' as the sources report it, at any time point.",
        "handling": "dichotomous",
    }


def test_a_measure_with_an_ncit_code_carries_it_after_ours() -> None:
    ncit = {"system": NCIT, "code": "C18058", "display": "Partial Remission"}
    assert measure_variable(URLS, Measure.pr)["extension"] == _definition([_measure_coding("pr", "PR"), ncit], "PR")


def test_a_time_to_event_measure_at_no_time_point_claims_no_profile_and_no_handling() -> None:
    assert measure_variable(URLS, Measure.efs) == {
        "resourceType": "EvidenceVariable",
        "id": "measure-efs",
        "extension": _definition([_measure_coding("efs", "EFS")], "EFS"),
        "name": "MeasureEfs",
        "title": "EFS",
        "status": "active",
        "description": "Outcome measure 'EFS' as the sources report it, at any time point.",
    }


@pytest.mark.parametrize(
    ("time_point", "variable_id", "when", "after"),
    [
        ("1.5y", "measure-os-at-1.5y", "1.5 years", "1.5 years (code '1.5y', 18 months)"),
        ("18m", "measure-os-at-18m", "18 months", "18 months (code '18m', 18 months)"),
        ("d28", "measure-os-at-d28", "day 28", "day 28 (code 'd28', 28 days)"),
        ("d007", "measure-os-at-d007", "day 007", "day 007 (code 'd007', 7 days)"),
        ("cycle1", "measure-os-at-cycle1", "after cycle 1", "after cycle 1 (code 'cycle1')"),
        ("best", "measure-os-at-best", "best response", "best response (code 'best')"),
        # Only ASCII digits are a number of days (str.isdigit takes others too).
        (
            "d\u0662\u0668",
            fid("measure-os-at-d\u0662\u0668"),
            "day \u0662\u0668",
            "day \u0662\u0668 (code 'd\u0662\u0668')",
        ),
        ("d\u06628", fid("measure-os-at-d\u06628"), "day \u06628", "day \u06628 (code 'd\u06628')"),
        ("dawn", "measure-os-at-dawn", "dawn", "dawn (code 'dawn')"),
        ("dx28", "measure-os-at-dx28", "dx28", "dx28 (code 'dx28')"),
    ],
)
def test_a_measure_at_a_time_point_says_when_in_months_or_days(
    time_point: str, variable_id: str, when: str, after: str
) -> None:
    joined = " " if when.startswith("after ") else " at "  # 'OS after cycle 1', not 'OS at after cycle 1'
    what = f"OS{joined}{when}"
    assert measure_at_time_variable(URLS, Measure.os, time_point) == {
        "resourceType": "EvidenceVariable",
        "id": variable_id,
        "meta": {"profile": [f"{EBM}/variable-definition|1.0.0-ballot"]},
        "extension": _definition([_measure_coding("os", "OS")], what),
        "title": what,
        "status": "active",
        "description": f"Outcome measure 'OS'{joined}{after}, from the event each source counts from: "
        "whether each patient had it by then.",
        "relatedArtifact": [{"type": "derived-from", "resourceReference": ref("EvidenceVariable", "measure-os")}],
        "handling": "dichotomous",
    }


def test_a_time_written_several_ways_names_its_other_codes() -> None:
    """Session 15's probe (JA5): one variable per time, which says the codes its figures write it with."""
    variable = measure_at_time_variable(URLS, Measure.cr, "24m", also=["2.0y", "2y"])
    assert (variable["id"], variable["title"]) == ("measure-cr-at-24m", "CR at 24 months")
    assert variable["description"] == (
        "Outcome measure 'CR' at 24 months (code '24m', also written '2.0y' and '2y', 24 months), from the event "
        "each source counts from: whether each patient had it by then."
    )


def test_an_adverse_event_term_is_a_variable_definition() -> None:
    coding = {"system": f"{BASE}/CodeSystem/adverse-event-term", "code": "cytokine_release_syndrome", "display": "CRS"}
    assert term_variable(URLS, AdverseEventTerm.crs) == {
        "resourceType": "EvidenceVariable",
        "id": "adverse-event-cytokine-release-syndrome",
        "meta": {"profile": [f"{EBM}/variable-definition|1.0.0-ballot"]},
        "extension": _definition([coding], "CRS"),
        "title": "CRS",
        "status": "active",
        "description": "Adverse event 'CRS'; each Evidence states the grades and grading system.",
        "handling": "dichotomous",
    }


# --- Group, Citation, ResearchStudy ---------------------------------------------------------

CONFLICT = ConflictPublic(
    id="cr-text-vs-table",
    kind=ConflictKind.within_document,
    description="The text and the table disagree.",
    members=[ConflictMember(kind="outcome", id="study_a.cr_1", source_id="001_abc", locator="T2", printed="8/10")],
)

CONFLICT_EXTENSION = {
    "url": f"{BASE}/StructureDefinition/recorded-conflict",
    "extension": [
        {"url": "id", "valueString": "cr-text-vs-table"},
        {"url": "kind", "valueCode": "within_document"},
        {"url": "description", "valueString": "The text and the table disagree."},
        {"url": "member", "valueReference": {"reference": "Evidence/study-a.cr-1", "display": "8/10"}},
    ],
}
CONFLICT_NOTE = {"text": "Recorded conflict cr-text-vs-table (within document): The text and the table disagree."}


def _study() -> StudyDetail:
    outcomes = [
        _outcome(id="study_a.cr_1", arm_id="study_a.arm_1", conflict_ids=[CONFLICT.id]),
        _outcome(id="study_a.cr_2", arm_id="study_a.arm_2"),
        _outcome(id="study_a.os_2y", measure=Measure.os, time_point="2y"),
        _outcome(id="study_a.cr_1y", time_point="1y"),
    ]
    product = CarProductPublic(
        id="study_a.car",
        name="CAR-1",
        target_antigens=[Antigen.cd7],
        cell_source=CellSource.donor_derived,
        fratricide_strategy=FratricideStrategy.natural_selection,
        source_id="001_abc",
        locator="Methods",
        inferred=[Inference(field="cell_source", reason="The donors are named in the methods.")],
    )
    return StudyDetail(
        id="study_a",
        title="Study A",
        acronym="STA-1",
        summary="What was done, in our words.",
        design=Design.randomised_trial,
        phase=Phase.phase_2,
        setting=Setting.relapsed_refractory,
        registry_ids=["NCT01234567", "ChiCTR2000031234", "NCT0123456", "NCT012345678"],
        period_start=2019,
        period_end=2021,
        diseases=[Disease.b_all, Disease.t_all],
        n_enrolled=40,
        enrolled_printed="40 enrolled",
        therapy_classes=[TherapyClass.bcl2_inhibitor],
        agents=[Agent.venetoclax, Agent.nelarabine],
        notes="A curator's note.",
        inferred=[Inference(field="design", reason="The text says patients were randomised")],
        source_id="001_abc",
        locator="Abstract",
        source_ids=["001_abc", "002_def", "003_ghi"],
        arms=[
            ArmPublic(id="study_a.arm_1", label="Arm one", description="Drug X", n=20),
            ArmPublic(id="study_a.arm_2", label="Arm two", n=0),
        ],
        car_products=[product],
        reports=[
            ReportPublic(id="study_a.letter", study_id="study_a", source_id="001_abc", locator="Title"),
            ReportPublic(id="study_a.unlisted", study_id="study_a", source_id="001_abc", locator="Ref. 2"),
        ],
        outcomes=outcomes,
        related_studies=[
            StudyLinkPublic(
                relation=StudyRelation.follow_up_of, note="Follow-up of the pilot.", related_study_id="pilot_study"
            ),
            StudyLinkPublic(relation=StudyRelation.same_programme, related_study_id="study_b"),
        ],
        conflicts=[CONFLICT],
    )


def _context() -> Context:
    return Context(
        URLS,
        source_ids={"001_abc": "001-abc", "002_def": "002-def"},
        source_titles={"001_abc": "A letter"},
        source_dates={"001_abc": "2024-03", "002_def": None},
        report_ids={"study_a.letter": "study-a.letter"},
        evidence_ids={("outcome", "study_a.cr_1"): "study-a.cr-1"},
        conflicts={CONFLICT.id: CONFLICT},
    )


@pytest.mark.parametrize(
    ("arm_id", "subgroup", "expected"),
    [
        (None, None, {"id": "group-study-a", "name": "Study A", "quantity": 40}),
        (
            "study_a.arm_1",
            None,
            {"id": "group-study-a.arm-1", "name": "Study A, arm 'Arm one'", "description": "Drug X", "quantity": 20},
        ),
        ("study_a.arm_2", None, {"id": "group-study-a.arm-2", "name": "Study A, arm 'Arm two'", "quantity": 0}),
        (None, "etp", {"id": "group-study-a-in-etp", "name": "Study A, subgroup ETP"}),
        ("study_a.arm_1", "etp", {"id": "group-study-a.arm-1-in-etp", "name": "Study A, arm 'Arm one', subgroup ETP"}),
        # An arm the study does not list: named by its id, of no known size.
        ("study_a.arm_9", None, {"id": "group-study-a.arm-9", "name": "Study A, arm 'study_a.arm_9'"}),
    ],
)
def test_each_population_is_its_study_group_exactly(arm_id: str | None, subgroup: str | None, expected: Json) -> None:
    assert study_group(_study(), arm_id, subgroup) == {
        "resourceType": "Group",
        "meta": {"profile": [f"{EBM}/study-group|1.0.0-ballot"]},
        "type": "person",
        "membership": "enumerated",
        **expected,
    }


KNOWLEDGE_ARTIFACT = {
    "system": "http://hl7.org/fhir/cited-artifact-classification-type",
    "code": "knowledge-artifact-type",
    "display": "Knowledge Artifact Type",
}
JOURNAL_ARTICLE = {
    "system": "http://hl7.org/fhir/citation-artifact-classifier",
    "code": "D016428",
    "display": "Journal Article",
}
AUTHOR_STRING = {
    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/contributor-summary-type", "code": "author-string"}]
}
OUR_ID = {"system": f"{BASE}/NamingSystem/source-document", "value": "001_abc"}


def _source(**fields: Any) -> SourcePublic:
    values: dict[str, Any] = {"id": "001_abc", "title": "A trial", "sha256": "ab" * 32, "summary": "What it covers."}
    return SourcePublic.model_validate(values | fields)


def _citation(**fields: Any) -> Json:
    return {
        "resourceType": "Citation",
        "id": "001-abc",
        "title": "A trial",
        "status": "active",
        "description": "What it covers.",
        "note": [{"text": f"SHA-256 of the document's text as curated: {'ab' * 32}."}],
        **fields,
    }


@pytest.mark.parametrize(
    ("fields", "identifiers", "kind", "date", "summary"),
    [
        (
            {
                "kind": "journal_article",
                "venue": "Blood",
                "year": 2024,
                "published": "2024-03-05",
                "authors": ["A. Author", "B. Author"],
                "identifiers": {"pmid": "38000001", "doi": "10.1000/xyz"},
            },
            [
                {"system": "https://doi.org", "value": "10.1000/xyz", "type": {"text": "doi"}},
                {"value": "38000001", "type": {"text": "pmid"}},
            ],
            "journal article",
            "2024-03-05",
            "A. Author, B. Author. A trial. Blood. 2024-03-05.",
        ),
        # A review in a journal is a journal article too, dated as published when that is a date.
        (
            {"kind": "review", "venue": "Blood", "published": "2021", "authors": ["C. Author"]},
            [],
            "review",
            "2021",
            "C. Author. A trial. Blood. 2021.",
        ),
    ],
)
def test_a_journal_article_or_review_with_its_venue_is_a_journal_article_citation(
    fields: Json, identifiers: list[Json], kind: str, date: str, summary: str
) -> None:
    source = _source(**fields)
    assert source_citation(_context(), source) == _citation(
        meta={"profile": [f"{EBM}/journal-article-citation|1.0.0-ballot"]},
        summary=[{"text": summary}],
        citedArtifact={
            "identifier": [OUR_ID, *identifiers],
            "title": [{"text": "A trial"}],
            "classification": [
                {
                    "type": {"coding": [KNOWLEDGE_ARTIFACT]},
                    "classifier": [{"coding": [JOURNAL_ARTICLE]}, {"text": kind}],
                }
            ],
            "publicationForm": [{"publishedIn": {"title": "Blood"}, "articleDate": date, "publicationDateText": date}],
            "contributorship": {"summary": [{"type": AUTHOR_STRING, "value": ", ".join(fields["authors"])}]},
        },
    )


def test_a_review_without_a_venue_and_a_date_in_words_is_no_journal_article() -> None:
    source = _source(kind="review", year=2023, published="Spring 2023")
    assert source_citation(_context(), source) == _citation(
        summary=[{"text": "A trial. Spring 2023."}],
        citedArtifact={
            "identifier": [OUR_ID],
            "title": [{"text": "A trial"}],
            "classification": [{"classifier": [{"text": "review"}]}],
            "publicationForm": [{"articleDate": "2023", "publicationDateText": "Spring 2023"}],
        },
    )


def test_a_letter_in_a_journal_is_no_journal_article_and_is_dated_by_its_year() -> None:
    source = _source(kind="letter", venue="Leukemia", year=2022, authors=["D. Author"])
    assert source_citation(_context(), source) == _citation(
        summary=[{"text": "D. Author. A trial. Leukemia. 2022."}],
        citedArtifact={
            "identifier": [OUR_ID],
            "title": [{"text": "A trial"}],
            "classification": [{"classifier": [{"text": "letter"}]}],
            "publicationForm": [{"publishedIn": {"title": "Leukemia"}, "articleDate": "2022"}],
            "contributorship": {"summary": [{"type": AUTHOR_STRING, "value": "D. Author"}]},
        },
    )


def test_a_journal_article_without_venue_or_date_has_no_publication_form() -> None:
    source = _source(kind="journal_article")
    assert source_citation(_context(), source) == _citation(
        summary=[{"text": "A trial."}],
        citedArtifact={
            "identifier": [OUR_ID],
            "title": [{"text": "A trial"}],
            "classification": [{"classifier": [{"text": "journal article"}]}],
        },
    )


STUDY_DOC = {"type": "documentation", "resourceReference": {"reference": "ResearchStudy/study-a", "display": "Study A"}}


def test_a_report_with_everything_cited_is_its_citation_exactly() -> None:
    citation = "Author A, et al. Study A. Blood 2023;142:1."
    report = ReportPublic(
        id="study_a.abstract",
        study_id="study_a",
        source_id="001_abc",
        locator="Ref. 12",
        citation=citation,
        venue="ASH 2023",
        year=2023,
        abstract_number="1234",
        n_patients=0,
        follow_up="28-month median",
    )
    ctx = _context()
    ctx.report_ids[report.id] = "study-a.abstract"
    assert report_citation(ctx, report, _study()) == {
        "resourceType": "Citation",
        "id": "study-a.abstract",
        "title": "Report of Study A cited in A letter",
        "status": "active",
        "summary": [{"text": citation}],
        "note": [
            {"text": "Named in A letter (001_abc), at Ref. 12."},
            {"text": "Abstract number as cited: 1234."},
            {"text": "Patients covered by this report, as printed: 0."},
            {"text": "Follow-up as printed: 28-month median."},
        ],
        "citedArtifact": {
            "title": [{"text": citation}],
            "publicationForm": [{"publishedIn": {"title": "ASH 2023"}, "articleDate": "2023"}],
            "relatesTo": [
                {
                    "type": "cited-by",
                    "label": "Ref. 12",
                    "resourceReference": {"reference": "Citation/001-abc", "display": "A letter"},
                },
                STUDY_DOC,
            ],
        },
    }


@pytest.mark.parametrize(("year", "form"), [(None, []), (2020, [{"publicationForm": [{"articleDate": "2020"}]}])])
def test_a_report_cited_by_place_alone_is_named_after_its_study(year: int | None, form: list[Json]) -> None:
    report = ReportPublic(id="study_a.talk", study_id="study_a", source_id="002_def", locator="Slide 3", year=year)
    ctx = _context()
    ctx.report_ids[report.id] = "study-a.talk"
    cited_by = {
        "type": "cited-by",
        "label": "Slide 3",
        "resourceReference": {"reference": "Citation/002-def", "display": "002_def"},
    }
    assert report_citation(ctx, report, _study()) == {
        "resourceType": "Citation",
        "id": "study-a.talk",
        "title": "Report of Study A cited in 002_def",
        "status": "active",
        "note": [{"text": "Named in 002_def (002_def), at Slide 3."}],
        "citedArtifact": {
            "title": [{"text": "Report of Study A"}],
            **(form[0] if form else {}),
            "relatesTo": [cited_by, STUDY_DOC],
        },
    }


NCIT_B_ALL = {"system": NCIT, "code": "C8644", "display": "B Acute Lymphoblastic Leukemia"}
NCIT_T_ALL = {"system": NCIT, "code": "C3183", "display": "T Acute Lymphoblastic Leukemia"}


def test_a_study_with_every_field_is_its_research_study_exactly() -> None:
    assert research_study(_context(), _study()) == {
        "resourceType": "ResearchStudy",
        "id": "study-a",
        "identifier": [
            {"system": "http://clinicaltrials.gov", "value": "NCT01234567"},
            {"value": "ChiCTR2000031234"},
            {"value": "NCT0123456"},
            {"value": "NCT012345678"},
        ],
        "title": "Study A",
        "label": [{"value": "STA-1"}],
        "status": "active",
        "relatedArtifact": [
            {
                "type": "derived-from",
                "resourceReference": {"reference": "Citation/001-abc", "display": "A letter"},
                "publicationDate": "2024-03",
            },
            {"type": "derived-from", "resourceReference": {"reference": "Citation/002-def"}},
            {
                "type": "predecessor",
                "label": "follow up of",
                "display": "Follow-up of the pilot.",
                "resourceReference": {"reference": "ResearchStudy/pilot-study"},
            },
            {
                "type": "similar-to",
                "label": "same programme",
                "resourceReference": {"reference": "ResearchStudy/study-b"},
            },
        ],
        "phase": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/research-study-phase", "code": "phase-2"}]
        },
        "studyDesign": [{"text": "randomised trial"}],
        "focus": [{"concept": {"text": "venetoclax"}}, {"concept": {"text": "nelarabine"}}],
        "condition": [{"coding": [NCIT_B_ALL], "text": "B-ALL"}, {"coding": [NCIT_T_ALL], "text": "T-ALL"}],
        "keyword": [{"text": "BCL-2 inhibitor"}],
        "descriptionSummary": "What was done, in our words.",
        "period": {"start": "2019", "end": "2021"},
        "note": [
            {"text": "A curator's note."},
            {"text": "Enrolment as printed: 40 enrolled."},
            {"text": "Inferred by curators, not printed: design: The text says patients were randomised."},
            {"text": "Inferred by curators, not printed: cell source: The donors are named in the methods."},
            CONFLICT_NOTE,
        ],
        "recruitment": {"actualNumber": 40, "actualGroup": {"reference": "Group/group-study-a"}},
        "comparisonGroup": [
            {
                "linkId": "study-a.arm-1",
                "name": "Arm one",
                "description": "Drug X",
                "observedGroup": {"reference": "Group/group-study-a.arm-1"},
            },
            {"linkId": "study-a.arm-2", "name": "Arm two", "observedGroup": {"reference": "Group/group-study-a.arm-2"}},
        ],
        "outcomeMeasure": [
            {"name": "CR", "reference": {"reference": "EvidenceVariable/measure-cr"}},
            {"name": "CR at 1 year", "reference": {"reference": "EvidenceVariable/measure-cr-at-1y"}},
            {"name": "OS at 2 years", "reference": {"reference": "EvidenceVariable/measure-os-at-2y"}},
        ],
        "result": [{"reference": "Citation/study-a.letter"}],
        "extension": [CONFLICT_EXTENSION],
    }


def test_a_study_with_only_what_is_required_is_its_research_study_exactly() -> None:
    study = StudyDetail(
        id="study_m",
        title="Study M",
        summary="Little is known.",
        design=Design.not_stated,
        setting=Setting.not_stated,
        period_end=2020,
        enrolled_printed="",
        source_id="001_abc",
        locator="Abstract",
    )
    assert research_study(_context(), study) == {
        "resourceType": "ResearchStudy",
        "id": "study-m",
        "title": "Study M",
        "status": "active",
        "studyDesign": [{"text": "not stated"}],
        "descriptionSummary": "Little is known.",
        "period": {"end": "2020"},
        "recruitment": {"actualGroup": {"reference": "Group/group-study-m"}},
    }


def test_a_study_begun_in_a_year_not_ended_has_a_period_start_only() -> None:
    study = _study().model_copy(update={"period_end": None, "phase": Phase.not_applicable})
    resource = research_study(_context(), study)
    assert resource["period"] == {"start": "2019"}
    assert resource["phase"] == {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/research-study-phase", "code": "n-a"}]
    }


# --- a figure's Evidence --------------------------------------------------------------------

SINGLE_STUDY = f"{EBM}/single-study-evidence|1.0.0-ballot"
NON_COMPARATIVE = f"{EBM}/non-comparative-evidence|1.0.0-ballot"
FROM_THE_LETTER = {
    "type": "derived-from",
    "label": "Table 2",
    "display": "A letter",
    "resourceReference": {"reference": "Citation/001-abc"},
    "publicationDate": "2024-03",
}
FROM_THE_STUDY = {
    "type": "derived-from",
    "display": "Study A",
    "resourceReference": {"reference": "ResearchStudy/study-a"},
}
FROM_THE_REPORT = {"type": "derived-from", "resourceReference": {"reference": "Citation/study-a.letter"}}


def _figure_extension(figure: OutcomePublic | AdverseEventPublic) -> Json:
    return {
        "url": f"{BASE}/StructureDefinition/source-figure",
        "extension": [
            {"url": "printed", "valueString": figure.printed},
            {"url": "source", "valueReference": {"reference": "Citation/001-abc"}},
            {"url": "locator", "valueString": figure.locator},
            {"url": "qualifier", "valueCode": "exact"},
            {"url": "derived", "valueBoolean": False},
            {"url": "denominatorBasis", "valueCode": "not_stated"},
            {"url": "unlabeled", "valueBoolean": False},
            {"url": "permalink", "valueUrl": figure.permalink},
        ],
    }


def test_a_subgroups_figure_at_a_time_point_in_an_arm_without_a_description_is_its_evidence_exactly() -> None:
    outcome = _outcome(
        id="study_a.os_2y_etp",
        arm_id="study_a.arm_2",
        subgroup="etp",
        report_id="study_a.letter",
        measure=Measure.os,
        time_point="2y",
        value=60.0,
        printed="60% at 2 years",
        conflict_ids=[CONFLICT.id, "a-conflict-not-served"],
    )
    ctx = _context()
    ctx.evidence_ids[("outcome", outcome.id)] = "study-a.os-2y-etp"
    who = "Study A, arm 'Arm two', subgroup ETP"
    assert outcome_evidence(ctx, outcome, _study(), interval=None) == {
        "resourceType": "Evidence",
        "id": "study-a.os-2y-etp",
        "meta": {"profile": [NON_COMPARATIVE, SINGLE_STUDY]},
        "extension": [_figure_extension(outcome), CONFLICT_EXTENSION],
        "title": f"OS at 2 years: {who}",
        "status": "active",
        "relatedArtifact": [FROM_THE_LETTER, FROM_THE_STUDY, FROM_THE_REPORT],
        "description": f"OS reported for {who}.",
        "note": [{"text": "As printed: '60% at 2 years' in A letter (001_abc), at Table 2."}, CONFLICT_NOTE],
        "variableDefinition": [
            variable("population", who, ref("Group", "group-study-a.arm-2-in-etp", who)),
            variable("exposure", "Arm two"),
            variable("measuredVariable", "OS at 2 years", ref("EvidenceVariable", "measure-os-at-2y")),
        ],
        "synthesisType": NOT_APPLICABLE,
        "studyDesign": [{"text": "randomised trial"}],
        "statistic": [
            {
                "description": "OS as printed: 60% at 2 years",
                "statisticType": {"coding": PROPORTION},
                "quantity": quantity(60.0, "%", "%"),
            }
        ],
    }


def test_a_whole_studys_time_to_event_figure_at_no_time_point_claims_one_profile() -> None:
    outcome = _outcome(id="study_a.efs", measure=Measure.efs, value=14.0, unit=ValueUnit.months, printed="14 months")
    ctx = _context()
    ctx.evidence_ids[("outcome", outcome.id)] = "study-a.efs"
    interval = (0.1, 0.2)
    assert outcome_evidence(ctx, outcome, _study(), interval=interval) == {
        "resourceType": "Evidence",
        "id": "study-a.efs",
        "meta": {"profile": [SINGLE_STUDY]},
        "extension": [_figure_extension(outcome)],
        "title": "EFS: Study A",
        "status": "active",
        "relatedArtifact": [FROM_THE_LETTER, FROM_THE_STUDY],
        "description": "EFS reported for Study A.",
        "note": [{"text": "As printed: '14 months' in A letter (001_abc), at Table 2."}],
        "variableDefinition": [
            variable("population", "Study A", ref("Group", "group-study-a", "Study A")),
            variable("measuredVariable", "EFS", ref("EvidenceVariable", "measure-efs")),
        ],
        "synthesisType": NOT_APPLICABLE,
        "studyDesign": [{"text": "randomised trial"}],
        "statistic": [outcome_statistic(outcome, interval)],
    }
    assert outcome_evidence(ctx, outcome, _study(), interval=interval)["statistic"][0]["attributeEstimate"][0][
        "range"
    ] == {
        "low": quantity(0.1, "proportion", "1"),
        "high": quantity(0.2, "proportion", "1"),
    }


def test_a_figure_of_an_arm_the_study_does_not_list_has_no_exposure() -> None:
    outcome = _outcome(id="study_a.cr_9", arm_id="study_a.arm_9", value=50.0)
    ctx = _context()
    ctx.evidence_ids[("outcome", outcome.id)] = "study-a.cr-9"
    who = "Study A, arm 'study_a.arm_9'"
    assert outcome_evidence(ctx, outcome, _study(), interval=None)["variableDefinition"] == [
        variable("population", who, ref("Group", "group-study-a.arm-9", who)),
        variable("measuredVariable", "CR", ref("EvidenceVariable", "measure-cr")),
    ]


def test_an_arms_adverse_event_in_a_subgroup_is_its_evidence_exactly() -> None:
    event = _event(
        id="study_a.crs_etp",
        arm_id="study_a.arm_1",
        subgroup="etp",
        report_id="study_a.letter",
        locator="Table 2",
        grade_min=3,
        patients=2,
        at_risk=10,
        conflict_ids=[CONFLICT.id],
    )
    ctx = _context()
    ctx.evidence_ids[("adverse_event", event.id)] = "study-a.crs-etp"
    who = "Study A, arm 'Arm one', subgroup ETP"
    assert adverse_event_evidence(ctx, event, _study()) == {
        "resourceType": "Evidence",
        "id": "study-a.crs-etp",
        "meta": {"profile": [NON_COMPARATIVE, SINGLE_STUDY]},
        "extension": [_figure_extension(event), CONFLICT_EXTENSION],
        "title": f"CRS (grade \u22653): {who}",
        "status": "active",
        "relatedArtifact": [FROM_THE_LETTER, FROM_THE_STUDY, FROM_THE_REPORT],
        "description": f"Patients with CRS in {who}; numberOfEvents counts patients.",
        "note": [{"text": "As printed: '2 of 10' in A letter (001_abc), at Table 2."}, CONFLICT_NOTE],
        "variableDefinition": [
            variable("population", who, ref("Group", "group-study-a.arm-1-in-etp", who)),
            variable(
                "measuredVariable",
                "CRS, grade \u22653",
                ref("EvidenceVariable", "adverse-event-cytokine-release-syndrome"),
            ),
        ],
        "synthesisType": NOT_APPLICABLE,
        "studyDesign": [{"text": "randomised trial"}],
        "statistic": [
            {
                "description": "CRS, grade \u22653; as printed: 2 of 10",
                "statisticType": {"coding": COUNT},
                "quantity": quantity(2.0, "patients", "{patients}"),
                "numberOfEvents": 2,
                "sampleSize": {"numberOfParticipants": 10},
            }
        ],
    }


def test_a_figures_note_names_a_document_of_unknown_title_by_its_id() -> None:
    ctx = _context()
    outcome = _outcome(id="study_a.cr_9", source_id="002_def", printed="9/10")
    event = _event(id="study_a.crs_9", source_id="002_def", printed="1 of 10")
    ctx.evidence_ids |= {("outcome", outcome.id): "study-a.cr-9", ("adverse_event", event.id): "study-a.crs-9"}
    assert outcome_evidence(ctx, outcome, _study(), interval=None)["note"] == [
        {"text": "As printed: '9/10' in 002_def (002_def), at Table 2."}
    ]
    assert adverse_event_evidence(ctx, event, _study())["note"] == [
        {"text": "As printed: '1 of 10' in 002_def (002_def), at Text."}
    ]
