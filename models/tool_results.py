"""What the MCP tools answer (structured content): each result names the dataset version it was read from."""

from pydantic import BaseModel, Field

from models.outcome import OutcomePublic
from models.source import SourcePublic
from models.study_views import StudyDetail, StudyPublic


class StudySearchResult(BaseModel):
    dataset_version: str = Field(description="Version of the dataset searched.")
    total: int = Field(description="How many studies match.")
    studies: list[StudyPublic] = Field(description="The first matches (at most the limit asked, 25 at most).")


class StudyResult(BaseModel):
    dataset_version: str = Field(description="Version of the dataset read.")
    study: StudyDetail = Field(description="The study with its arms, figures (each with its provenance) and sources.")


class FiguresResult(BaseModel):
    dataset_version: str = Field(description="Version of the dataset read.")
    total: int = Field(description="How many figures match.")
    figures: list[OutcomePublic] = Field(
        description="The first matching outcome figures, each with its printed words, locator, span and permalink."
    )


class CitationResult(BaseModel):
    dataset_version: str = Field(description="Version of the dataset the citation is for.")
    id: str = Field(description="The figure or study cited.")
    kind: str = Field(description="'figure' or 'study'.")
    citation: str = Field(description="A citation to quote: the document, the place in it, the permalink, the data.")
    printed: str | None = Field(default=None, description="For a figure: its words exactly as printed.")
    locator: str | None = Field(default=None, description="For a figure: where in the document it is printed.")
    span_start: int | None = Field(
        default=None, description="For a figure: offset of the printed words in the document's text."
    )
    span_end: int | None = Field(default=None, description="For a figure: offset just after the printed words.")
    permalink: str | None = Field(default=None, description="For a figure: its stable URL.")
    sources: list[SourcePublic] = Field(description="The source documents to cite.")
    how_to_cite_dataset: str = Field(description="How to cite the dataset version (as /v1/meta says).")
