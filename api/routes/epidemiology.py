"""Epidemiology figures: list and get."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import IdPath, PageDep, SessionDep
from api.errors import NOT_FOUND_RESPONSES, PROBLEM_RESPONSES
from api.queries.filters import Conditions
from api.queries.pages import get_or_404, rows_to, to_public
from api.render.formats import FormatQuery, list_responses, negotiate
from api.routes.listing import respond_list
from models import EpidemiologyFigure
from models.epidemiology import EpidemiologyFigurePublic
from models.page import EpidemiologyPage

router = APIRouter(prefix="/v1/epidemiology", tags=["epidemiology"])


@router.get(
    "",
    operation_id="listEpidemiologyFigures",
    summary="List epidemiology figures",
    response_model=EpidemiologyPage,
    responses={**PROBLEM_RESPONSES, **list_responses(EpidemiologyFigurePublic, EpidemiologyPage)},
)
def list_epidemiology(
    request: Request, session: SessionDep, params: PageDep, format: FormatQuery = None
) -> EpidemiologyPage | Response:
    """Population-level figures (share of ALL cases, relapse rates) quoted by the documents. Ordered by id."""
    return respond_list(
        request,
        session,
        EpidemiologyFigure,
        Conditions(),
        [EpidemiologyFigure.id],
        params,
        negotiate(request, format),
        EpidemiologyFigurePublic,
        EpidemiologyPage,
        rows_to(EpidemiologyFigurePublic),
        "epidemiology",
    )


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
        EpidemiologyFigurePublic, get_or_404(session, EpidemiologyFigure, figure_id, "epidemiology figure")
    )
