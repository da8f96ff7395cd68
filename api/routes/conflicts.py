"""Recorded conflicts: disagreements kept visible, never resolved by choosing."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import PAGE_SIZE_DEFAULT, IdPath, MetaDep, PageDep, SessionDep
from api.errors import NOT_FOUND_RESPONSES, PROBLEM_RESPONSES, NotFound
from api.queries.studies import CONFLICT_CSV_COLUMNS, conflict_member_rows, conflicts_with_members
from api.render.formats import CSV_MEDIA_TYPE, Format, FormatQuery, csv_response, ndjson_response, negotiate
from api.render.lists import page_links
from models.conflict import ConflictPublic
from models.page import ConflictPage

router = APIRouter(prefix="/v1/conflicts", tags=["conflicts"])


@router.get(
    "",
    operation_id="listConflicts",
    summary="List recorded conflicts",
    response_model=ConflictPage,
    responses={
        **PROBLEM_RESPONSES,
        200: {"content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}, "application/x-ndjson": {}}},
    },
    description="Every recorded disagreement within or between documents, with the figures that disagree, ordered "
    "by id. As CSV, one row per disagreeing figure with columns " + ", ".join(CONFLICT_CSV_COLUMNS) + ".",
)
def list_conflicts(
    request: Request, session: SessionDep, meta: MetaDep, params: PageDep, format: FormatQuery = None
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
