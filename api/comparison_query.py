"""The Comparison a query string asks for: shared by GET /v1/comparison and GET /v1/comparison.svg."""

from typing import Annotated

from fastapi import Depends, Query, Request

from api.comparison import build_comparison
from api.deps import SessionDep
from api.filters import NO_SUBGROUP, OutcomeFilters, StudyFiltersDep, SubgroupQuery
from models.comparison import Comparison
from models.enums import Measure
from models.outcome import TimePoint


def comparison_from_query(
    request: Request,
    session: SessionDep,
    study: StudyFiltersDep,
    measure: Annotated[Measure, Query(description="The measure to compare, e.g. cr.")],
    time_point: Annotated[TimePoint | None, Query(description="Only figures at this time point, e.g. 2y.")] = None,
    subgroup: SubgroupQuery = None,
    study_id: Annotated[list[str] | None, Query(description="Only these studies. Repeat for alternatives.")] = None,
) -> Comparison:
    filters = OutcomeFilters(study=study, subgroup=subgroup or [NO_SUBGROUP], study_id=study_id)
    return build_comparison(
        session, measure, time_point, filters.conditions(session).all, request.app.state.meta.dataset_version
    )


ComparisonDep = Annotated[Comparison, Depends(comparison_from_query)]
