"""Recorded conflicts: disagreements kept visible, never resolved by choosing."""

from fastapi import APIRouter

from api.deps import IdPath, PageDep, SessionDep
from api.errors import NOT_FOUND_RESPONSES, PROBLEM_RESPONSES, NotFound
from api.evidence import conflicts_with_members
from models.conflict import ConflictPublic
from models.page import ConflictPage

router = APIRouter(prefix="/v1/conflicts", tags=["conflicts"])


@router.get(
    "",
    operation_id="listConflicts",
    summary="List recorded conflicts",
    response_model=ConflictPage,
    responses=PROBLEM_RESPONSES,
)
def list_conflicts(session: SessionDep, params: PageDep) -> ConflictPage:
    """Every recorded disagreement within or between documents, with the figures that disagree. Ordered by id."""
    conflicts = conflicts_with_members(session)
    items = conflicts[params.offset : params.offset + params.limit]
    return ConflictPage(items=items, total=len(conflicts), limit=params.limit, offset=params.offset)


@router.get(
    "/{conflict_id}",
    operation_id="getConflict",
    summary="Get one recorded conflict",
    response_model=ConflictPublic,
    responses=NOT_FOUND_RESPONSES,
)
def get_conflict(conflict_id: IdPath, session: SessionDep) -> ConflictPublic:
    """One conflict with each disagreeing figure, its document, locator and printed value."""
    found = conflicts_with_members(session, [conflict_id])
    if not found:
        raise NotFound(f"No conflict with id {conflict_id!r}.")
    return found[0]
