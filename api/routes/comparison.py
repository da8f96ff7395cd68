"""Comparison of one measure across studies, for forest plots."""

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.comparison_query import ComparisonDep
from api.errors import PROBLEM_RESPONSES
from api.formats import CSV_MEDIA_TYPE, Format, csv_text, negotiate
from models.comparison import Comparison, ComparisonRow

router = APIRouter(prefix="/v1", tags=["comparison"])


class ComparisonFormat(StrEnum):
    json = "json"
    csv = "csv"


CSV_COLUMNS = ["row_type", *ComparisonRow.model_fields, "reason", "i_squared", "tau_squared", "method", "label"]


DESCRIPTION = (
    "Per arm, the figure for the measure with n, events, proportion and a Wilson 95% interval (survival figures "
    "as printed, without intervals), each with its provenance; a descriptive random-effects pooled estimate with "
    "I² when at least two rows have counts; and every matching figure that could not be used, with the reason. "
    "Whole-population figures only unless `subgroup` is given. Takes every study filter. As CSV (format=csv or "
    "Accept: text/csv) one row per study row, pooled estimate and excluded figure, with columns: "
    + ", ".join(CSV_COLUMNS)
    + "."
)


def comparison_csv(comparison: Comparison) -> str:
    rows: list[dict[str, Any]] = [{"row_type": "study", **r.model_dump()} for r in comparison.rows]
    if comparison.pooled is not None:
        rows.append({"row_type": "pooled", "n": None, **comparison.pooled.model_dump()})
    rows += [{"row_type": "excluded", **e.model_dump()} for e in comparison.excluded]
    return csv_text(CSV_COLUMNS, rows)


@router.get(
    "/comparison",
    operation_id="compareOutcomes",
    summary="Compare one measure across the matching studies (forest-plot rows)",
    response_model=Comparison,
    description=DESCRIPTION,
    responses={
        **PROBLEM_RESPONSES,
        200: {"content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}, "example": ",".join(CSV_COLUMNS) + "\r\n"}}},
    },
)
def compare_outcomes(
    request: Request,
    comparison: ComparisonDep,
    format: Annotated[
        ComparisonFormat | None,
        Query(description="json (default) or csv; the Accept header (text/csv) works too."),
    ] = None,
) -> Comparison | Response:
    if negotiate(request, Format(format) if format else None) is Format.csv:
        return Response(
            comparison_csv(comparison),
            media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
            headers={"X-Dataset-Version": comparison.dataset_version},
        )
    return comparison
