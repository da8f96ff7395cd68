"""Studies: list and detail."""

from fastapi import APIRouter
from sqlmodel import select

from api.crud import get_or_404, page
from api.deps import IdPath, PageDep, SessionDep
from api.errors import NOT_FOUND_RESPONSES, PROBLEM_RESPONSES
from api.evidence import study_detail, study_summaries
from models import Study
from models.page import StudyPage
from models.study_views import StudyDetail

router = APIRouter(prefix="/v1/studies", tags=["studies"])


@router.get(
    "",
    operation_id="listStudies",
    summary="List studies",
    response_model=StudyPage,
    responses=PROBLEM_RESPONSES,
)
def list_studies(session: SessionDep, params: PageDep) -> StudyPage:
    """Every curated study (trial, cohort, case or preclinical work), ordered by id."""
    rows, total = page(session, select(Study), [Study.id], params.limit, params.offset)
    return StudyPage(items=study_summaries(session, rows), total=total, limit=params.limit, offset=params.offset)


@router.get(
    "/{study_id}",
    operation_id="getStudy",
    summary="Get one study with everything curated for it",
    response_model=StudyDetail,
    responses=NOT_FOUND_RESPONSES,
)
def get_study(study_id: IdPath, session: SessionDep) -> StudyDetail:
    """A study with its reports, arms and interventions, CAR products, outcomes, adverse events,
    descriptive figures, findings, related studies, source documents and recorded conflicts."""
    return study_detail(session, get_or_404(session, Study, study_id, "study"))
