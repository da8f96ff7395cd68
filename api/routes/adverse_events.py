"""Adverse events: filtered and sorted lists, facets, and one figure by id."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import IdPath, MetaDep, PageDep, SessionDep
from api.errors import NOT_FOUND_RESPONSES, PROBLEM_RESPONSES
from api.queries.corrections import corrections
from api.queries.facets import column_facets
from api.queries.filters import AdverseEventFiltersDep
from api.queries.pages import get_or_404, to_public
from api.queries.sorting import AdverseEventSortQuery, order_by
from api.render.formats import OTHER_FORMATS, FormatQuery, columns_of, negotiate
from api.routes.listing import ListQuery, ListSpec, file_operations, respond_list
from models import AdverseEvent
from models.adverse_event import AdverseEventDetail, AdverseEventPublic
from models.facets import FacetCounts
from models.fragment import FragmentKind
from models.page import AdverseEventPage

router = APIRouter(prefix="/v1/adverse-events", tags=["adverse-events"])
LIST = ListSpec(
    table=AdverseEvent,
    public=AdverseEventPublic,
    page_model=AdverseEventPage,
    filename="adverse-events",
    fragment=FragmentKind.adverse_event,
)

FACET_COLUMNS = ("term", "grade_min", "grade_max", "grading_system", "subgroup", "source_id", "study_id")


@file_operations(
    router,
    "",
    operation_id="listAdverseEvents",
    what="Adverse-event figures",
    csv_columns=columns_of(AdverseEventPublic),
    ndjson_model="AdverseEventPublic",
)
@router.get(
    "",
    operation_id="listAdverseEvents",
    summary="List and filter adverse-event figures",
    response_model=AdverseEventPage,
    responses=PROBLEM_RESPONSES,
    description="Adverse-event figures (term, grade range, grading system, patients), each with its source, "
    "filtered by term, minimum grade, grading system, arm or any study filter. " + OTHER_FORMATS,
)
def list_adverse_events(
    request: Request,
    session: SessionDep,
    meta: MetaDep,
    *,
    params: PageDep,
    filters: AdverseEventFiltersDep,
    sort: AdverseEventSortQuery = None,
    format: FormatQuery = None,
) -> AdverseEventPage | Response:
    query = ListQuery(
        conditions=filters.conditions(session),
        order=order_by(AdverseEvent, sort),
        params=params,
        fmt=negotiate(request, format),
    )
    return respond_list(LIST, query, request=request, session=session, version=meta.dataset_version)


@router.get(
    "/facets",
    operation_id="getAdverseEventFacets",
    summary="Count adverse-event figures per term, grade, grading system, subgroup, source and study",
    response_model=FacetCounts,
    responses=PROBLEM_RESPONSES,
)
def get_adverse_event_facets(session: SessionDep, filters: AdverseEventFiltersDep) -> FacetCounts:
    """For the adverse-event figures matching the filters, how many carry each value of each categorical field."""
    return column_facets(session, AdverseEvent, FACET_COLUMNS, conditions=filters.conditions(session).all)


@router.get(
    "/{adverse_event_id}",
    operation_id="getAdverseEvent",
    summary="Get one adverse-event figure",
    response_model=AdverseEventDetail,
    responses=NOT_FOUND_RESPONSES,
)
def get_adverse_event(adverse_event_id: IdPath, session: SessionDep) -> AdverseEventDetail:
    """One adverse-event figure by id, with its provenance."""
    row = get_or_404(session, AdverseEvent, adverse_event_id, label="adverse event")
    return to_public(AdverseEventDetail, row, corrections=corrections(session, record_id=row.id))
