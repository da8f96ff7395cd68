"""Epidemiology figures: list and get."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import IdPath, MetaDep, PageDep, SessionDep
from api.errors import NOT_FOUND_RESPONSES, PROBLEM_RESPONSES
from api.queries.filters import Conditions
from api.queries.pages import get_or_404, to_public
from api.render.formats import FormatQuery, columns_of, negotiate
from api.routes.listing import ListQuery, ListSpec, file_operations, respond_list
from models import EpidemiologyFigure
from models.epidemiology import EpidemiologyFigurePublic
from models.page import EpidemiologyPage

router = APIRouter(prefix="/v1/epidemiology", tags=["epidemiology"])
LIST = ListSpec(
    table=EpidemiologyFigure, public=EpidemiologyFigurePublic, page_model=EpidemiologyPage, filename="epidemiology"
)


@file_operations(
    router,
    "",
    operation_id="listEpidemiologyFigures",
    what="Epidemiology figures",
    csv_columns=columns_of(EpidemiologyFigurePublic),
    ndjson_model="EpidemiologyFigurePublic",
)
@router.get(
    "",
    operation_id="listEpidemiologyFigures",
    summary="List epidemiology figures",
    response_model=EpidemiologyPage,
    responses=PROBLEM_RESPONSES,
)
def list_epidemiology(
    request: Request, session: SessionDep, meta: MetaDep, *, params: PageDep, format: FormatQuery = None
) -> EpidemiologyPage | Response:
    """Population-level figures (share of ALL cases, relapse rates) quoted by the documents. Ordered by id."""
    query = ListQuery(
        conditions=Conditions(), order=[EpidemiologyFigure.id], params=params, fmt=negotiate(request, format)
    )
    return respond_list(LIST, query, request=request, session=session, version=meta.dataset_version)


@router.get(
    "/{figure_id}",
    operation_id="getEpidemiologyFigure",
    summary="Get one epidemiology figure",
    response_model=EpidemiologyFigurePublic,
    responses=NOT_FOUND_RESPONSES,
)
def get_epidemiology(figure_id: IdPath, session: SessionDep) -> EpidemiologyFigurePublic:
    """One epidemiology figure by id."""
    return to_public(
        EpidemiologyFigurePublic, get_or_404(session, EpidemiologyFigure, figure_id, label="epidemiology figure")
    )
