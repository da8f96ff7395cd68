"""Source documents: list and get."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import IdPath, MetaDep, PageDep, SessionDep
from api.errors import NOT_FOUND_RESPONSES, PROBLEM_RESPONSES
from api.queries.corrections import corrections
from api.queries.filters import Conditions
from api.queries.pages import get_or_404, to_public
from api.render.formats import FormatQuery, columns_of, negotiate
from api.routes.listing import ListQuery, ListSpec, file_operations, respond_list
from models import Source
from models.page import SourcePage
from models.source import SourceDetail, SourcePublic

router = APIRouter(prefix="/v1/sources", tags=["sources"])
LIST = ListSpec(table=Source, public=SourcePublic, page_model=SourcePage, filename="sources")


@file_operations(
    router,
    "",
    operation_id="listSources",
    what="Source documents",
    csv_columns=columns_of(SourcePublic),
    ndjson_model="SourcePublic",
)
@router.get(
    "",
    operation_id="listSources",
    summary="List source documents",
    response_model=SourcePage,
    responses=PROBLEM_RESPONSES,
)
def list_sources(
    request: Request, session: SessionDep, meta: MetaDep, *, params: PageDep, format: FormatQuery = None
) -> SourcePage | Response:
    """The source documents every figure is traced to. Ordered by id. The same path with .csv or .ndjson
    appended gives every document in that format."""
    query = ListQuery(conditions=Conditions(), order=[Source.id], params=params, fmt=negotiate(request, format))
    return respond_list(LIST, query, request=request, session=session, version=meta.dataset_version)


@router.get(
    "/{source_id}",
    operation_id="getSource",
    summary="Get one source document",
    response_model=SourceDetail,
    responses=NOT_FOUND_RESPONSES,
)
def get_source(source_id: IdPath, session: SessionDep) -> SourceDetail:
    """One source document by id."""
    row = get_or_404(session, Source, source_id, label="source document")
    return to_public(SourceDetail, row, corrections=corrections(session, record_id=row.id))
