"""Recorded conflicts: disagreements kept visible, never resolved by choosing."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import PAGE_SIZE_DEFAULT, IdPath, MetaDep, PageDep, SessionDep
from api.errors import NOT_FOUND_RESPONSES, PROBLEM_RESPONSES, NotFound
from api.queries.studies import CONFLICT_CSV_COLUMNS, conflict_member_rows, conflicts_with_members
from api.render.formats import (
    OTHER_FORMATS,
    Format,
    FormatQuery,
    csv_response,
    ndjson_response,
    negotiate,
)
from api.render.lists import page_links
from api.routes.listing import file_operations
from models.conflict import ConflictPublic
from models.page import ConflictPage

router = APIRouter(prefix="/v1/conflicts", tags=["conflicts"])


@file_operations(
    router,
    "",
    operation_id="listConflicts",
    what="Recorded conflicts",
    csv_columns=CONFLICT_CSV_COLUMNS,
    ndjson_model="ConflictPublic",
)
@router.get(
    "",
    operation_id="listConflicts",
    summary="List recorded conflicts",
    response_model=ConflictPage,
    responses=PROBLEM_RESPONSES,
    description="Every recorded disagreement within or between documents, with the figures that disagree, ordered "
    "by id. " + OTHER_FORMATS + " As CSV, one row per disagreeing figure.",
)
def list_conflicts(
    request: Request, session: SessionDep, meta: MetaDep, *, params: PageDep, format: FormatQuery = None
) -> ConflictPage | Response:
    conflicts = conflicts_with_members(session)
    fmt = negotiate(request, format)
    limit = params.limit or (PAGE_SIZE_DEFAULT if fmt is Format.json else len(conflicts))
    items = conflicts[params.offset : params.offset + limit]
    version = meta.dataset_version
    if fmt is Format.csv:
        return csv_response(CONFLICT_CSV_COLUMNS, conflict_member_rows(items), version=version)
    if fmt is Format.ndjson:
        return ndjson_response(items, version)
    return ConflictPage(
        items=items,
        total=len(conflicts),
        limit=limit,
        offset=params.offset,
        links=page_links(request, total=len(conflicts), limit=limit, offset=params.offset),
    )


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
