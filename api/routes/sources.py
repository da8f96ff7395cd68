"""Source documents: list and get."""

from fastapi import APIRouter

from api.crud import get_or_404, list_page, to_public
from api.deps import IdPath, PageDep, SessionDep
from api.errors import NOT_FOUND_RESPONSES, PROBLEM_RESPONSES
from models import Source
from models.page import SourcePage
from models.source import SourcePublic

router = APIRouter(prefix="/v1/sources", tags=["sources"])


@router.get(
    "",
    operation_id="listSources",
    summary="List source documents",
    response_model=SourcePage,
    responses=PROBLEM_RESPONSES,
)
def list_sources(session: SessionDep, params: PageDep) -> SourcePage:
    """The source documents every figure is traced to. Ordered by id."""
    return list_page(session, Source, SourcePublic, SourcePage, params)


@router.get(
    "/{source_id}",
    operation_id="getSource",
    summary="Get one source document",
    response_model=SourcePublic,
    responses=NOT_FOUND_RESPONSES,
)
def get_source(source_id: IdPath, session: SessionDep) -> SourcePublic:
    """One source document by id."""
    return to_public(SourcePublic, get_or_404(session, Source, source_id, "source document"))
