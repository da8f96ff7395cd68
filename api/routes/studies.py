"""Studies: filtered, searched and sorted lists, facets, batch fetch and detail."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import PAGE_SIZE_DEFAULT, IdPath, MetaDep, PageDep, SessionDep
from api.errors import NOT_FOUND_RESPONSES, PROBLEM_RESPONSES, NotFound
from api.queries import counts
from api.queries.facets import study_facets
from api.queries.filters import StudyFiltersDep
from api.queries.fragments import fragment, fragments_by_id, page_fragments
from api.queries.pages import read_rows
from api.queries.sorting import StudySort, StudySortQuery, order_by
from api.queries.studies import ranked_studies, ranked_study_ids, study_summaries
from api.render.formats import (
    OTHER_FORMATS,
    Format,
    FormatQuery,
    columns_of,
    csv_response,
    joined_columns,
    model_rows,
    ndjson_response,
    negotiate,
)
from api.render.lists import page_links
from api.render.splice import json_array, json_response, page_body
from api.routes.listing import file_operations
from models import Study
from models.facets import FacetCounts
from models.fragment import FragmentKind
from models.identifiers import RecordId
from models.page import StudyPage
from models.problem import ProblemField
from models.study_views import StudyDetail, StudyPublic

router = APIRouter(prefix="/v1/studies", tags=["studies"])

BATCH_MAX = 100


@file_operations(
    router,
    "",
    operation_id="listStudies",
    what="Studies",
    csv_columns=columns_of(StudyPublic),
    ndjson_model="StudyPublic",
)
@router.get(
    "",
    operation_id="listStudies",
    summary="List, filter and search studies",
    response_model=StudyPage,
    responses=PROBLEM_RESPONSES,
    description="Every curated study (trial, cohort, case or preclinical work) matching the filters, ordered by "
    "id unless sorted, or by relevance when searching with q. " + OTHER_FORMATS,
)
def list_studies(
    request: Request,
    session: SessionDep,
    meta: MetaDep,
    *,
    params: PageDep,
    filters: StudyFiltersDep,
    sort: StudySortQuery = None,
    format: FormatQuery = None,
) -> Response:
    conditions, ranks = filters.conditions(session)
    fmt = negotiate(request, format)
    order = order_by(Study, sort)
    version = meta.dataset_version
    ranked = ranks is not None and sort in (None, StudySort.relevance)
    if fmt is Format.json:  # a page, spliced from the studies' stored JSON
        limit = params.limit or PAGE_SIZE_DEFAULT
        if ranked:  # ranked search results are few; ordered here by rank, then id
            ids = ranked_study_ids(session, conditions.all, ranks or {})
            total = len(ids)
            shown = ids[params.offset : params.offset + limit]
            found = fragments_by_id(session, FragmentKind.study, shown)
            items = [found[i] for i in shown]
        else:
            items = page_fragments(
                session,
                Study,
                FragmentKind.study,
                conditions=conditions,
                order_by=order,
                limit=limit,
                offset=params.offset,
            )
            total = counts.total(session, Study, conditions)
        links = page_links(request, total=total, limit=limit, offset=params.offset, codes=conditions.codes)
        envelope = StudyPage(items=[], total=total, limit=limit, offset=params.offset, links=links)
        return json_response(page_body(envelope, items))
    # Exports are every match unless limit is given, and carry no total.
    if ranked:
        rows = ranked_studies(session, conditions.all, ranks or {})
        rows = rows[params.offset : None if params.limit is None else params.offset + params.limit]
    else:
        rows = read_rows(session, Study, conditions, order_by=order, limit=params.limit, offset=params.offset)
    summaries = study_summaries(session, rows)
    if fmt is Format.csv:
        columns, joined = columns_of(StudyPublic), joined_columns(StudyPublic)
        return csv_response(columns, model_rows(summaries), version=version, joined=joined, filename="studies")
    return ndjson_response(summaries, version)


@router.get(
    "/facets",
    operation_id="getStudyFacets",
    summary="Count studies per value of each categorical field",
    response_model=FacetCounts,
    responses=PROBLEM_RESPONSES,
)
def get_study_facets(session: SessionDep, filters: StudyFiltersDep) -> FacetCounts:
    """For the studies matching the filters, how many carry each disease, setting, design, phase, therapy class,
    agent, target antigen, cell source, fratricide strategy, registry id, year and source document."""
    conditions, _ = filters.conditions(session)
    return study_facets(session, conditions.all, filters.role)


@router.get(
    "/batch",
    operation_id="getStudiesBatch",
    summary="Get several studies by id in one request",
    response_model=list[StudyDetail],
    responses=NOT_FOUND_RESPONSES,
)
def get_studies_batch(
    session: SessionDep,
    id: Annotated[
        list[RecordId],
        Query(
            min_length=1, max_length=BATCH_MAX, description=f"Study ids (repeat the parameter; at most {BATCH_MAX})."
        ),
    ],
) -> Response:
    """The full detail of each requested study, in the order asked. Any unknown id is a 404 naming it."""
    asked = list(dict.fromkeys(id))
    found = fragments_by_id(session, FragmentKind.study_detail, asked)
    missing = [i for i in asked if i not in found]
    if missing:
        raise NotFound(
            f"No study with id {', '.join(repr(m) for m in missing)}.",
            [ProblemField(location="query.id", message=f"unknown study {m!r}") for m in missing],
        )
    return json_response(json_array([found[i] for i in asked]))


@router.get(
    "/{study_id}",
    operation_id="getStudy",
    summary="Get one study with everything curated for it",
    response_model=StudyDetail,
    responses=NOT_FOUND_RESPONSES,
)
def get_study(study_id: IdPath, session: SessionDep) -> Response:
    """A study with its reports, arms and interventions, CAR products, outcomes, adverse events,
    descriptive figures, findings, related studies, source documents and recorded conflicts."""
    body = fragment(session, FragmentKind.study_detail, study_id)
    if body is None:
        raise NotFound(f"No study with id {study_id!r}.")
    return json_response(body)
