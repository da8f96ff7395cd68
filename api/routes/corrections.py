"""Corrections already made: what later readings of the documents changed, before and after, and why."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.deps import PAGE_SIZE_DEFAULT, PageDep, SessionDep
from api.errors import PROBLEM_RESPONSES
from api.queries.corrections import corrections
from api.render.lists import page_links
from models.page import CorrectionPage

router = APIRouter(prefix="/v1/corrections", tags=["corrections"])


def id_filter(description: str) -> Any:
    return Query(max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description=description)


RecordQuery = Annotated[
    str | None,
    id_filter("Only corrections naming this record (a study, figure, finding, arm, intervention or source id)."),
]
StudyQuery = Annotated[str | None, id_filter("Only corrections naming this study or any of its records.")]
SourceQuery = Annotated[str | None, id_filter("Only corrections made while re-reading this source document.")]


@router.get(
    "",
    operation_id="listCorrections",
    summary="List the corrections made by later readings of the documents",
    response_model=CorrectionPage,
    responses=PROBLEM_RESPONSES,
    description="Every change a second or third reading of a source document made to the curated records, with "
    "the value before and after and why, in the order of the documents' coverage files. Each names the ids of "
    "the records it changed (empty where it names a group in words). The records' own details carry theirs.",
)
def list_corrections(
    request: Request,
    session: SessionDep,
    *,
    params: PageDep,
    record_id: RecordQuery = None,
    study_id: StudyQuery = None,
    source_id: SourceQuery = None,
) -> CorrectionPage:
    found = corrections(session, record_id=record_id, study_id=study_id, source_id=source_id)
    limit = params.limit or PAGE_SIZE_DEFAULT
    return CorrectionPage(
        items=found[params.offset : params.offset + limit],
        total=len(found),
        limit=limit,
        offset=params.offset,
        links=page_links(request, total=len(found), limit=limit, offset=params.offset),
    )
