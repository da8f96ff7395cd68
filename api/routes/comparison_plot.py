"""The comparison as a forest plot: GET /v1/comparison.svg takes the query of GET /v1/comparison."""

from fastapi import APIRouter
from fastapi.responses import Response

from api.comparison_query import ComparisonDep
from api.errors import PROBLEM_RESPONSES
from api.views.forest_plot import render_forest_plot

SVG_MEDIA_TYPE = "image/svg+xml"

router = APIRouter(prefix="/v1", tags=["comparison"])


@router.get(
    "/comparison.svg",
    operation_id="getComparisonPlot",
    summary="Forest plot of one measure across the matching studies (SVG)",
    response_class=Response,
    responses={**PROBLEM_RESPONSES, 200: {"content": {SVG_MEDIA_TYPE: {"schema": {"type": "string"}}}}},
)
def comparison_plot(comparison: ComparisonDep) -> Response:
    """The rows of GET /v1/comparison with the same query, drawn as a standalone SVG for an <img>: each
    proportion with its Wilson 95% interval, survival figures as printed points without intervals, and the
    pooled diamond labelled descriptive; axis 0-100%, study and source labels, no external references."""
    return Response(render_forest_plot(comparison), media_type=SVG_MEDIA_TYPE)
