"""Adverse events: list and get."""

from fastapi import APIRouter

from api.crud import get_or_404, list_page, to_public
from api.deps import IdPath, PageDep, SessionDep
from api.errors import NOT_FOUND_RESPONSES, PROBLEM_RESPONSES
from models import AdverseEvent
from models.adverse_event import AdverseEventPublic
from models.page import AdverseEventPage

router = APIRouter(prefix="/v1/adverse-events", tags=["adverse-events"])


@router.get(
    "",
    operation_id="listAdverseEvents",
    summary="List adverse events",
    response_model=AdverseEventPage,
    responses=PROBLEM_RESPONSES,
)
def list_adverse_events(session: SessionDep, params: PageDep) -> AdverseEventPage:
    """Adverse-event figures (term, grade range, grading system, patients), each with its source. Ordered by id."""
    return list_page(session, AdverseEvent, AdverseEventPublic, AdverseEventPage, params)


@router.get(
    "/{adverse_event_id}",
    operation_id="getAdverseEvent",
    summary="Get one adverse event",
    response_model=AdverseEventPublic,
    responses=NOT_FOUND_RESPONSES,
)
def get_adverse_event(adverse_event_id: IdPath, session: SessionDep) -> AdverseEventPublic:
    """One adverse event by id."""
    return to_public(AdverseEventPublic, get_or_404(session, AdverseEvent, adverse_event_id, "adverse event"))
