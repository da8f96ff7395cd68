"""Paginated list envelopes, one named class per resource so generated clients get good names."""

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

from models.adverse_event import AdverseEventPublic
from models.conflict import ConflictPublic
from models.correction import CorrectionPublic
from models.epidemiology import EpidemiologyFigurePublic
from models.outcome import OutcomePublic
from models.source import SourcePublic
from models.study_views import StudyPublic

T = TypeVar("T")


class PageLinks(BaseModel):
    """Links to walk the result set; null where there is no such page."""

    self: str = Field(description="This page.")
    first: str = Field(description="The first page.")
    prev: str | None = Field(default=None, description="The previous page, if any.")
    next: str | None = Field(default=None, description="The next page, if any.")


class Page(BaseModel, Generic[T]):
    items: list[T] = Field(description="This page of results, in a stable order.")
    total: int = Field(description="Number of results across all pages.")
    limit: int = Field(description="Page size used.")
    offset: int = Field(description="Index of the first result of this page.")
    links: PageLinks = Field(description="Links to this, the first and the neighbouring pages.")


class StudyPage(Page[StudyPublic]):
    """A page of studies."""


class OutcomePage(Page[OutcomePublic]):
    """A page of outcomes."""


class AdverseEventPage(Page[AdverseEventPublic]):
    """A page of adverse events."""


class SourcePage(Page[SourcePublic]):
    """A page of source documents."""


class ConflictPage(Page[ConflictPublic]):
    """A page of recorded conflicts."""


class EpidemiologyPage(Page[EpidemiologyFigurePublic]):
    """A page of epidemiology figures."""


class CorrectionPage(Page[CorrectionPublic]):
    """A page of corrections."""
