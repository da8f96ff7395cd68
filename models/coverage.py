"""Curation coverage: per document, what was taken and every figure deliberately left out."""

from pydantic import BaseModel, ConfigDict, Field


class LeftOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    printed: str = Field(min_length=1, description="The figure or passage exactly as printed.")
    locator: str = Field(min_length=1, description="Where in the document.")
    reason: str = Field(min_length=1, description="Why it was not curated.")


class Change(BaseModel):
    """One correction made by a second reader, with the value before and after."""

    model_config = ConfigDict(extra="forbid")

    record: str = Field(min_length=1, description="Id of the record changed, e.g. 'zhang-cd7-car-t-ajh-2023.efs-2y'.")
    field: str = Field(min_length=1, description="Field changed ('(removed)' when the record was deleted).")
    before: str | None = Field(default=None, description="Value before, abridged where long.")
    after: str | None = Field(default=None, description="Value after, abridged where long.")
    why: str = Field(min_length=1, description="Why it was changed, in our own words.")


class StructureUnit(BaseModel):
    """One place a locator can name, with the lines of the document text it spans."""

    model_config = ConfigDict(extra="forbid")

    locator: str = Field(
        min_length=1, description="The place as locators name it, e.g. \"Slide 22 'Auto CD7 CAR-T in T-ALL'\"."
    )
    first_line: int = Field(ge=1, description="First line (1-based) of the document text in this place.")
    last_line: int = Field(ge=1, description="Last non-blank line of this place.")


class SecondReading(BaseModel):
    """An independent re-reading of every record citing the document, against its text."""

    model_config = ConfigDict(extra="forbid")

    numbering: str = Field(min_length=1, description="How places (slides, paragraphs) were counted.")
    structure: list[StructureUnit] = Field(
        default_factory=list, description="Every place the numbering yields, so a resolver can be checked against it."
    )
    checked_records: int = Field(ge=0, description="Records citing the document that were re-read.")
    changes: list[Change] = Field(default_factory=list, description="Every correction made.")


class CoverageFile(BaseModel):
    """seeds/coverage/<document id>.yaml, written by the curator of that document."""

    model_config = ConfigDict(extra="forbid")

    source_id: str = Field(description="The document this file covers.")
    left_out: list[LeftOut] = Field(default_factory=list, description="Every figure deliberately left out.")
    second_reading: SecondReading | None = Field(
        default=None, description="The independent second reading of the document's records, when done."
    )
