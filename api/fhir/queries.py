"""What the FHIR face is mapped from: every study in full, every source, the comparisons.

Read through the same queries the /v1 routes use, so FHIR never says something /v1 does not.
"""

from collections import Counter
from dataclasses import dataclass

from sqlmodel import Session, select

from api.queries.comparison import comparison_model, plan_comparison
from api.queries.filters import NO_SUBGROUP, OutcomeFilters, SubgroupFilter, counts_by_time
from api.queries.pages import to_public
from api.queries.studies import study_details
from models import Source, Study
from models.comparison import Comparison
from models.enums import Measure
from models.source import SourcePublic
from models.study_views import StudyDetail


@dataclass(frozen=True)
class FhirInputs:
    studies: list[StudyDetail]
    sources: list[SourcePublic]
    comparisons: list[Comparison]
    """One comparison per pool: each measure at each time (24m and 2y are one) where GET /v1/comparison pools by
    default."""
    intervals: dict[str, tuple[float, float]]
    """The Wilson interval GET /v1/comparison gives each figure (any subgroup), by outcome id."""


def _comparisons(
    session: Session, measures: list[Measure], version: str
) -> tuple[list[Comparison], dict[str, tuple[float, float]]]:
    """Pools per measure at each time (whole population, as /v1/comparison does by default),
    and the Wilson interval of every figure of any subgroup.

    Not the measure's comparison at no time point: it pools the largest comparable set, which is
    at one time point and is that time point's own pool, so it would be one synthesis served twice
    (FA14)."""
    whole_population = OutcomeFilters(subgroup=[SubgroupFilter(NO_SUBGROUP)]).conditions(session).all
    pooled: list[Comparison] = []
    intervals: dict[str, tuple[float, float]] = {}
    for measure in measures:
        every_figure = comparison_model(
            plan_comparison(session, measure, time_point=None, outcome_conditions=[], version=version)
        )
        for row in every_figure.rows:
            if row.interval_method == "wilson" and row.ci_low is not None and row.ci_high is not None:
                intervals[row.outcome_id] = (row.ci_low, row.ci_high)
        # Once per time, not per code: a time-point filter matches every code of its time, so 24m and 2y
        # planned apart made one pool twice, two Evidence under one id, and no FHIR read answered (GA5).
        written = Counter(r.time_point for r in every_figure.rows if r.time_point)
        for time_point in sorted(counts_by_time(written)):
            comparison = comparison_model(
                plan_comparison(
                    session, measure, time_point=time_point, outcome_conditions=whole_population, version=version
                )
            )
            if comparison.pooled is not None:
                pooled.append(comparison)
    return pooled, intervals


def fhir_inputs(session: Session, version: str) -> FhirInputs:
    studies = study_details(session, session.exec(select(Study).order_by(Study.id)).all(), every_study=True)
    sources = [to_public(SourcePublic, s) for s in session.exec(select(Source).order_by(Source.id))]
    measures = sorted({o.measure for s in studies for o in s.outcomes})
    comparisons, intervals = _comparisons(session, measures, version)
    return FhirInputs(studies=studies, sources=sources, comparisons=comparisons, intervals=intervals)
