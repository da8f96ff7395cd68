"""Comparison of one measure across studies: forest-plot rows (JSON, CSV) and the plot itself (SVG).

Both operations take the same query, parsed once by comparison_from_query.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.deps import MetaDep, SessionDep
from api.errors import NOT_FOUND_RESPONSES
from api.queries.comparison import ComparisonQuery, comparison_model, comparison_query, plan
from api.queries.filters import (
    StudyFiltersDep,
    SubgroupQuery,
    TimePointQuery,
)
from api.queries.fragments import comparison_body
from api.queries.terminology import measure_of
from api.render.forest_plot import render_forest_plot
from api.render.formats import (
    ComparisonFormatQuery,
    Format,
    bytes_success,
    csv_response,
    joined_columns,
    negotiate,
)
from api.render.splice import json_response
from api.routes.listing import file_operations
from models.comparison import Comparison, ComparisonRow
from models.identifiers import RecordId
from models.terminology import MeasureOrCode

SVG_MEDIA_TYPE = "image/svg+xml"

router = APIRouter(prefix="/v1", tags=["comparison"])


# One name per column: the pooled row's label and the excluded rows' reason share the study rows' columns
# where the meaning is the same, so pandas and csv.DictReader read every column.
CSV_COLUMNS = ["row_type", *ComparisonRow.model_fields, "reason", "i_squared", "tau_squared", "method"]


DESCRIPTION = (
    "Per arm, the figure for the measure with n, events, proportion and a Wilson 95% interval (survival figures "
    "as printed, without intervals), each with its provenance, denominator basis and response definition; a "
    "descriptive random-effects pooled estimate with I² and a leave-one-out sensitivity. Only comparable rows "
    "pool: same measure, the same stated time point (a figure with none never pools) and the same denominator "
    "basis, one row per independent population (arms of a study, never an arm with its whole study), and rows "
    "with counts derived by curators only with include_derived=true. Every row not pooled says why, and so does "
    "pooled_note when nothing is pooled; matching figures that could not be used are listed with the reason. "
    "Whole-population figures only unless `subgroup` is given. Takes every study filter. /v1/comparison.csv "
    "(or format=csv, or Accept: text/csv, on this path) gives one CSV row per study row, pooled estimate and "
    "excluded figure, with columns: " + ", ".join(CSV_COLUMNS) + "."
)


def comparison_from_query(
    session: SessionDep,
    meta: MetaDep,
    study: StudyFiltersDep,
    *,
    measure: Annotated[
        MeasureOrCode, Query(description="The measure to compare, e.g. cr, or one of its codes (NCIT:C4870).")
    ],
    time_point: Annotated[TimePointQuery | None, Query(description="Only figures at this time point, e.g. 2y.")] = None,
    subgroup: SubgroupQuery = None,
    study_id: Annotated[
        list[RecordId] | None, Query(description="Only these studies. Repeat for alternatives.")
    ] = None,
    include_derived: Annotated[
        bool,
        Query(description="Let rows whose counts curators derived from a printed percentage enter the pool."),
    ] = False,
) -> ComparisonQuery:
    return comparison_query(
        session,
        measure_of(session, measure),
        study=study,
        subgroup=subgroup,
        study_id=study_id,
        time_point=time_point,
        include_derived=include_derived,
        version=meta.dataset_version,
    )


ComparisonDep = Annotated[ComparisonQuery, Depends(comparison_from_query)]


def comparison_rows(comparison: Comparison) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [{"row_type": "study", **r.model_dump()} for r in comparison.rows]
    if comparison.pooled is not None:
        rows.append({"row_type": "pooled", "n": None, **comparison.pooled.model_dump()})
    rows += [{"row_type": "excluded", **e.model_dump()} for e in comparison.excluded]
    return rows


@file_operations(
    router,
    "/comparison",
    operation_id="compareOutcomes",
    what="Comparison rows",
    csv_columns=CSV_COLUMNS,
    problems=NOT_FOUND_RESPONSES,
)
@router.get(
    "/comparison",
    operation_id="compareOutcomes",
    summary="Compare one measure across the matching studies (forest-plot rows)",
    response_model=Comparison,
    description=DESCRIPTION,
    responses=NOT_FOUND_RESPONSES,
)
def compare_outcomes(
    request: Request,
    session: SessionDep,
    comparison: ComparisonDep,
    *,
    format: ComparisonFormatQuery = None,
) -> Comparison | Response:
    if negotiate(request, format) is Format.csv:
        model = comparison_model(plan(session, comparison))
        return csv_response(
            CSV_COLUMNS, comparison_rows(model), version=model.dataset_version, joined=joined_columns(ComparisonRow)
        )
    # Stored, or spliced from the rows' stored JSON: the bytes the response model would write.
    return json_response(comparison_body(session, comparison))


@router.get(
    "/comparison.svg",
    operation_id="getComparisonPlot",
    summary="Forest plot of one measure across the matching studies (SVG)",
    response_class=Response,
    responses={**NOT_FOUND_RESPONSES, **bytes_success(SVG_MEDIA_TYPE, "The forest plot, a standalone SVG document.")},
)
def comparison_plot(session: SessionDep, comparison: ComparisonDep) -> Response:
    """The rows of GET /v1/comparison with the same query, drawn as a standalone SVG for an <img>: each
    proportion with its Wilson 95% interval, survival figures as printed points without intervals, and the
    pooled diamond labelled descriptive; axis 0-100%, study and source labels, no external references."""
    return Response(render_forest_plot(comparison_model(plan(session, comparison))), media_type=SVG_MEDIA_TYPE)
