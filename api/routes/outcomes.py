"""Outcomes: list and get."""

from fastapi import APIRouter

from api.crud import get_or_404, list_page, to_public
from api.deps import IdPath, PageDep, SessionDep
from api.errors import NOT_FOUND_RESPONSES, PROBLEM_RESPONSES
from models import Outcome
from models.outcome import OutcomePublic
from models.page import OutcomePage

router = APIRouter(prefix="/v1/outcomes", tags=["outcomes"])


@router.get(
    "", operation_id="listOutcomes", summary="List outcomes", response_model=OutcomePage, responses=PROBLEM_RESPONSES
)
def list_outcomes(session: SessionDep, params: PageDep) -> OutcomePage:
    """Outcome figures (response, MRD, survival), each with its source, locator and printed value. Ordered by id."""
    return list_page(session, Outcome, OutcomePublic, OutcomePage, params)


@router.get(
    "/{outcome_id}",
    operation_id="getOutcome",
    summary="Get one outcome",
    response_model=OutcomePublic,
    responses=NOT_FOUND_RESPONSES,
)
def get_outcome(outcome_id: IdPath, session: SessionDep) -> OutcomePublic:
    """One outcome by id."""
    return to_public(OutcomePublic, get_or_404(session, Outcome, outcome_id, "outcome"))
