"""Embeddable HTML views for lab websites: a study card and an evidence table.

Errors here are HTML pages carrying the problem-details fields (see api.errors), because
a person reads them inside an iframe.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import PAGE_SIZE_DEFAULT, IdPath, PageDep, SessionDep
from api.errors import html_problem_responses
from api.queries.filters import CODED_STUDY_FILTERS, StudyFiltersDep, describe_filters
from api.queries.pages import get_or_404
from api.queries.studies import outcomes_by_study, sources_by_id, study_detail, study_page
from api.queries.terminology import with_terms
from api.render.citations import Citations
from api.render.figure_order import MEASURE_ORDER, TERM_ORDER, ordered_adverse_events, ordered_outcomes
from api.render.html import render_page
from api.render.labels import LABELS
from api.render.lists import page_links
from models import Study
from models.adverse_event import AdverseEventPublic
from models.conflict import ConflictMember
from models.display import DisplayVocabulary
from models.outcome import OutcomePublic

router = APIRouter(prefix="/embed", tags=["embed"])


@router.get(
    "/studies/{study_id}",
    operation_id="getStudyCard",
    summary="A study as an embeddable HTML card",
    response_class=HTMLResponse,
    responses=html_problem_responses(404, 422),
)
def study_card(study_id: IdPath, request: Request, session: SessionDep) -> HTMLResponse:
    """Title, design, phase, population, size, outcomes and adverse events with their printed
    figures and sources, and any recorded conflicts. For an iframe; no external assets."""
    study = study_detail(session, get_or_404(session, Study, study_id, label="study"))
    outcomes = ordered_outcomes(study.outcomes)
    adverse_events = ordered_adverse_events(study.adverse_events)
    members = [m for conflict in study.conflicts for m in conflict.members]
    # Numbered in the order the page cites them (the browser component does the same).
    cited: list[OutcomePublic | AdverseEventPublic | ConflictMember] = [*outcomes, *adverse_events, *members]
    cited_ids = [*(f.source_id for f in cited), *study.source_ids]
    citations = Citations(sources_by_id(session, cited_ids), cited_ids)
    return render_page(
        request,
        "study_card.html",
        study=study,
        outcomes=outcomes,
        adverse_events=adverse_events,
        citations=citations,
    )


@router.get(
    "/table",
    operation_id="getEvidenceTable",
    summary="Studies matching filters as an embeddable HTML table",
    response_class=HTMLResponse,
    responses=html_problem_responses(422),
)
def evidence_table(request: Request, session: SessionDep, *, params: PageDep, filters: StudyFiltersDep) -> HTMLResponse:
    """One row per study matching the filters of GET /v1/studies (design, population, therapy), with its
    outcome figures as printed and their sources; a page of them (limit and offset as /v1/studies), with
    links to the others. For an iframe; no external assets."""
    limit = params.limit or PAGE_SIZE_DEFAULT
    studies, total = study_page(session, filters, limit=limit, offset=params.offset)
    outcomes = outcomes_by_study(session, [s.id for s in studies])
    ordered = {s.id: ordered_outcomes(outcomes.get(s.id, [])) for s in studies}
    cited_ids = [o.source_id for s in studies for o in ordered[s.id]]
    citations = Citations(sources_by_id(session, cited_ids), cited_ids)
    return render_page(
        request,
        "evidence_table.html",
        studies=studies,
        outcomes=ordered,
        citations=citations,
        filters=describe_filters(with_terms(session, filters, CODED_STUDY_FILTERS)[0]),
        # Which studies of how many, and the pages around this one (as /v1/studies links them).
        shown=(params.offset + 1, min(params.offset + limit, total), total),
        links=page_links(request, total=total, limit=limit, offset=params.offset),
    )


@router.get(
    "/labels.json",
    operation_id="getDisplayLabels",
    summary="Display words and order of the embedded views",
    response_model=DisplayVocabulary,
)
def display_labels() -> DisplayVocabulary:
    """How the embedded views word codes ('cr_cri' -> 'CR/CRi') and order figures; /static/tall-evidence.js
    uses it to render the same from the JSON API. Codes not listed read with spaces for underscores."""
    return DisplayVocabulary(labels=LABELS, measure_order=MEASURE_ORDER, term_order=TERM_ORDER)
