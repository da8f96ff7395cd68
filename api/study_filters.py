"""The studies the evidence table shows: the /v1/studies filters, through main's filter code.

The table takes exactly the query parameters of GET /v1/studies (api.filters), so a lab can
move a query between the JSON list and the embedded table unchanged.
"""

from sqlmodel import Session, select

from api.crud import where
from api.evidence import study_summaries
from api.filters import StudyFilters
from models import Study
from models.study_views import StudyPublic


def select_studies(session: Session, filters: StudyFilters) -> list[StudyPublic]:
    """The matching studies: by relevance when searching with q, else by id (as /v1/studies)."""
    conditions, ranks = filters.conditions(session)
    rows = session.exec(where(select(Study), conditions.all).order_by(Study.id)).all()
    if ranks is not None:
        rows = sorted(rows, key=lambda s: (ranks[s.id], s.id))
    return study_summaries(session, rows)


def describe_filters(filters: StudyFilters) -> dict[str, list[str]]:
    """The filters that were given, with their values, for the table's heading."""
    return {
        name: [str(v) for v in (value if isinstance(value, list) else [value])]
        for name, value in vars(filters).items()
        if value is not None
    }
