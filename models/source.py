"""Source documents: the texts every figure is traced back to."""

from typing import Annotated

from pydantic import StrictInt, StringConstraints
from sqlmodel import JSON, Field, SQLModel

from models.correction import Corrected
from models.enums import SourceKind

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class SourceBase(SQLModel):
    """Bibliographic description of one source document."""

    title: str = Field(min_length=1, description="Title of the document.")
    kind: SourceKind = Field(description="Kind of document.")
    venue: str | None = Field(default=None, description="Journal, website or meeting it appeared in.")
    year: StrictInt | None = Field(default=None, ge=1900, le=2100, description="Year of publication.")
    published: str | None = Field(default=None, description="Publication date as given (ISO 8601 where known).")
    authors: list[str] = Field(
        default_factory=list, sa_type=JSON, description="Authors or speakers, as named in the document."
    )
    identifiers: dict[str, str] = Field(
        default_factory=dict,
        sa_type=JSON,
        description="External identifiers of the document (doi, trial registry id, citation).",
    )
    sha256: Sha256 = Field(
        description="SHA-256 of the document's text file, so a reader can check they hold the same text.",
    )
    summary: str = Field(min_length=1, description="What the document covers, in our own words.")


class Source(SourceBase, table=True):
    id: str = Field(primary_key=True, description="Document id: the seed's file name without '.txt'.")


class SourcePublic(SourceBase):
    id: str = Field(description="Document id: the seed's file name without '.txt'.")


class SourceDetail(Corrected, SourcePublic):
    """One record by id, with the corrections made to it."""
