"""Which studies match the evidence table's filters.

Interim: /v1/studies is gaining filters on main. Until then the embedded table filters
here, on the study summaries, so switching to main's filter code means replacing the body
of select_studies and nothing else. The dataset is small (tens of studies); filtering the
summaries in Python is cheaper than being clever.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query
from sqlmodel import Session, select

from api.evidence import study_summaries
from models import Study
from models.enums import Agent, Antigen, CellSource, Disease, Setting, TherapyClass
from models.study_views import StudyPublic


@dataclass(frozen=True)
class StudyFilters:
    """Every filter is optional; given ones must all hold."""

    target_antigen: Antigen | None = None
    agent: Agent | None = None
    disease: Disease | None = None
    setting: Setting | None = None
    cell_source: CellSource | None = None
    therapy_class: TherapyClass | None = None

    def matches(self, study: StudyPublic) -> bool:
        return all(
            (
                self.target_antigen is None or self.target_antigen in study.target_antigens,
                self.agent is None or self.agent in study.agents,
                self.disease is None or self.disease in study.diseases,
                self.setting is None or self.setting == study.setting,
                self.cell_source is None or self.cell_source in study.cell_sources,
                self.therapy_class is None or self.therapy_class in study.therapy_classes,
            )
        )

    def given(self) -> dict[str, str]:
        """The filters that were set, as query parameters."""
        return {name: str(value) for name, value in vars(self).items() if value is not None}


def study_filters(
    target_antigen: Annotated[Antigen | None, Query(description="Antigen targeted by a CAR product.")] = None,
    agent: Annotated[Agent | None, Query(description="Agent given in any arm.")] = None,
    disease: Annotated[Disease | None, Query(description="Disease included.")] = None,
    setting: Annotated[Setting | None, Query(description="Disease setting.")] = None,
    cell_source: Annotated[CellSource | None, Query(description="Cell source of a CAR product.")] = None,
    therapy_class: Annotated[TherapyClass | None, Query(description="Class of therapy studied.")] = None,
) -> StudyFilters:
    return StudyFilters(target_antigen, agent, disease, setting, cell_source, therapy_class)


StudyFiltersDep = Annotated[StudyFilters, Depends(study_filters)]


def select_studies(session: Session, filters: StudyFilters) -> list[StudyPublic]:
    """The studies matching filters, ordered by id."""
    studies = session.exec(select(Study).order_by(Study.id)).all()
    return [s for s in study_summaries(session, studies) if filters.matches(s)]
