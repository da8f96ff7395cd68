"""Outcomes: filtered and sorted lists, facets, and one figure by id."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import IdPath, MetaDep, PageDep, SessionDep
from api.errors import NOT_FOUND_RESPONSES, PROBLEM_RESPONSES
from api.queries.corrections import corrections
from api.queries.facets import column_facets
from api.queries.filters import OutcomeFiltersDep
from api.queries.pages import get_or_404, to_public
from api.queries.sorting import OutcomeSortQuery, order_by
from api.render.formats import OTHER_FORMATS, FormatQuery, columns_of, negotiate
from api.routes.listing import ListQuery, ListSpec, file_operations, respond_list
from models import Outcome
from models.facets import FacetCounts
from models.fragment import FragmentKind
from models.outcome import OutcomeDetail, OutcomePublic
from models.page import OutcomePage

router = APIRouter(prefix="/v1/outcomes", tags=["outcomes"])
LIST = ListSpec(
    table=Outcome, public=OutcomePublic, page_model=OutcomePage, filename="outcomes", fragment=FragmentKind.outcome
)

FACET_COLUMNS = ("measure", "time_point", "subgroup", "unit", "source_id", "study_id")


@file_operations(
    router,
    "",
    operation_id="listOutcomes",
    what="Outcome figures",
    csv_columns=columns_of(OutcomePublic),
    ndjson_model="OutcomePublic",
)
@router.get(
    "",
    operation_id="listOutcomes",
    summary="List and filter outcome figures",
    response_model=OutcomePage,
    responses=PROBLEM_RESPONSES,
    description="Outcome figures (response, MRD, survival), each with its source, locator and printed value, "
    "filtered by measure, time point, subgroup, arm or any study filter. " + OTHER_FORMATS,
)
def list_outcomes(
    request: Request,
    session: SessionDep,
    meta: MetaDep,
    *,
    params: PageDep,
    filters: OutcomeFiltersDep,
    sort: OutcomeSortQuery = None,
    format: FormatQuery = None,
) -> OutcomePage | Response:
    query = ListQuery(
        conditions=filters.conditions(session),
        order=order_by(Outcome, sort),
        params=params,
        fmt=negotiate(request, format),
    )
    return respond_list(LIST, query, request=request, session=session, version=meta.dataset_version)


@router.get(
    "/facets",
    operation_id="getOutcomeFacets",
    summary="Count outcome figures per measure, time point, subgroup, unit, source and study",
    response_model=FacetCounts,
    responses=PROBLEM_RESPONSES,
)
def get_outcome_facets(session: SessionDep, filters: OutcomeFiltersDep) -> FacetCounts:
    """For the outcome figures matching the filters, how many carry each value of each categorical field."""
    return column_facets(session, Outcome, FACET_COLUMNS, conditions=filters.conditions(session).all)


@router.get(
    "/{outcome_id}",
    operation_id="getOutcome",
    summary="Get one outcome figure",
    response_model=OutcomeDetail,
    responses=NOT_FOUND_RESPONSES,
)
def get_outcome(outcome_id: IdPath, session: SessionDep) -> OutcomeDetail:
    """One outcome figure by id, with its provenance."""
    row = get_or_404(session, Outcome, outcome_id, label="outcome")
    return to_public(OutcomeDetail, row, corrections=corrections(session, record_id=row.id))
