"""A pooled comparison's Evidence counts the pooled rows only, never every row with an interval.

The curated data pools nothing, so the pool here is synthetic: two arms of one study pooled, beside
rows that carry a Wilson interval but are shown unpooled (the arms' whole study, and another
study's figure on another denominator basis).
"""

from api.fhir.resources import pooled_evidence
from api.fhir.search_index import build_index
from api.queries.comparison import pool_random_effects
from models.comparison import Comparison
from models.enums import DenominatorBasis, Measure
from models.study_views import StudyDetail
from tests.fhir_checks import problems, references, validate
from tests.render.test_fhir import BASE, URLS, _context, _outcome, _row, _source, _study

TIME_POINT = "2y"
POOL = "comparison-cr-at-2y"
ARM_ONE = _outcome("cr-arm-1", numerator=8, denominator=10, value=80.0, printed="8/10", time_point=TIME_POINT)
ARM_TWO = _outcome("cr-arm-2", numerator=3, denominator=12, value=25.0, printed="3/12", time_point=TIME_POINT)
WHOLE_STUDY = _outcome(
    "cr-all", arm_id=None, numerator=11, denominator=22, value=50.0, printed="11/22", time_point=TIME_POINT
)
OTHER_STUDY = _outcome(
    "cr",
    time_point=TIME_POINT,
    id="study-b.cr",
    study_id="study-b",
    arm_id=None,
    report_id=None,
    source_id="002_def",
    numerator=5,
    denominator=40,
    value=12.5,
    printed="5/40",
    denominator_basis=DenominatorBasis.enrolled,
)


def _studies() -> tuple[StudyDetail, StudyDetail]:
    study_a = _study([ARM_ONE, ARM_TWO, WHOLE_STUDY])
    study_b = study_a.model_copy(
        update={
            "id": "study-b",
            "title": "Study B",
            "source_id": "002_def",
            "source_ids": ["002_def"],
            "arms": [],
            "reports": [],
            "adverse_events": [],
            "outcomes": [OTHER_STUDY],
        }
    )
    return study_a, study_b


def _comparison() -> Comparison:
    rows = [_row(o) for o in (ARM_ONE, ARM_TWO, WHOLE_STUDY, OTHER_STUDY)]
    rows[2] = rows[2].model_copy(
        update={"pooled": False, "not_pooled_reason": "whole-study figure; its patients are in the arm rows"}
    )
    rows[3] = rows[3].model_copy(
        update={"pooled": False, "study_id": "study-b", "not_pooled_reason": "another denominator basis"}
    )
    assert all(r.interval_method == "wilson" for r in rows)  # every row has an interval; two are pooled
    pooled = pool_random_effects([(8, 10), (3, 12)]).model_copy(
        update={"outcome_ids": [ARM_ONE.id, ARM_TWO.id], "time_point": TIME_POINT}
    )
    return Comparison(measure=Measure.cr, rows=rows, pooled=pooled, excluded=[], dataset_version="v")


def test_pooled_evidence_counts_only_the_pooled_rows() -> None:
    study_a, _ = _studies()
    ctx = _context(study_a)
    ctx.evidence_ids[("outcome", OTHER_STUDY.id)] = OTHER_STUDY.id
    evidence = pooled_evidence(ctx, _comparison())
    validate(evidence)
    assert problems(evidence, BASE) == []
    statistic = evidence["statistic"][0]
    assert statistic["numberOfEvents"] == 8 + 3
    assert statistic["sampleSize"]["numberOfParticipants"] == 10 + 12
    assert statistic["sampleSize"]["numberOfStudies"] == 1
    assert {a["resourceReference"]["reference"] for a in evidence["relatedArtifact"]} == {
        f"Evidence/{ARM_ONE.id}",
        f"Evidence/{ARM_TWO.id}",
    }
    unpooled = [n["text"] for n in evidence["note"] if n["text"].startswith("Shown but not pooled")]
    assert len(unpooled) == 2 and "another denominator basis" in unpooled[1]


def test_search_finds_the_pool_by_its_pooled_rows_studies_and_sources_only() -> None:
    study_a, study_b = _studies()
    sources = [_source(), _source("002_def")]
    index = build_index(
        URLS,
        studies=[study_a, study_b],
        sources=sources,
        comparisons=[_comparison()],
        intervals={},
        built_at="2024-01-01",
    )
    pool = index.resources["Evidence"][POOL]
    assert f"Evidence/{OTHER_STUDY.id}" not in references(pool)
    assert POOL in {r["id"] for r in index.search("Evidence", [("study", ["study-a"])])}
    assert POOL not in {r["id"] for r in index.search("Evidence", [("study", ["study-b"])])}
    assert POOL not in {r["id"] for r in index.search("Evidence", [("source", ["002_def"])])}
