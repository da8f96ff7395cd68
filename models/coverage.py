"""Curation coverage: per document, what was taken and every figure deliberately left out."""

from pydantic import BaseModel, ConfigDict, Field


class LeftOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    printed: str = Field(min_length=1, description="The figure or passage exactly as printed.")
    locator: str = Field(min_length=1, description="Where in the document.")
    reason: str = Field(min_length=1, description="Why it was not curated.")


class SectionOutline(BaseModel):
    """One section as the locators count it; every anchor is the verbatim start of a line."""

    model_config = ConfigDict(extra="forbid")

    heading: str | None = Field(
        description=(
            "The heading as locators quote it (its opening words, verbatim); null for text before any heading, "
            "which locators address as 'Paragraph N'."
        )
    )
    paragraphs: list[str] = Field(
        min_length=1, description="Opening words of each paragraph in order; paragraph N is item N (from 1)."
    )


class Legend(BaseModel):
    model_config = ConfigDict(extra="forbid")

    figure: int = Field(ge=1, description="Figure number, as in 'Figure N legend'.")
    opens_with: str = Field(min_length=1, description="Opening words of the legend, verbatim.")


class Outline(BaseModel):
    """The paragraph numbering a second reader used, so a locator resolver can be checked against it."""

    model_config = ConfigDict(extra="forbid")

    rules: str = Field(min_length=1, description="How paragraphs were counted, in words.")
    sections: list[SectionOutline] = Field(min_length=1)
    legends: list[Legend] = Field(default_factory=list)
    not_paragraphs: list[str] = Field(
        default_factory=list,
        description="Opening words of blocks that are not counted (page chrome, figure labels, datelines).",
    )


class StructureUnit(BaseModel):
    """One place a locator can name, with the lines of the document text it spans."""

    model_config = ConfigDict(extra="forbid")

    locator: str = Field(
        min_length=1, description="The place as locators name it, e.g. \"Slide 22 'Auto CD7 CAR-T in T-ALL'\"."
    )
    first_line: int = Field(ge=1, description="First line (1-based) of the document text in this place.")
    last_line: int = Field(ge=1, description="Last non-blank line of this place.")


class Change(BaseModel):
    """One correction made by a second reader, with the value before and after."""

    model_config = ConfigDict(extra="forbid")

    record: str = Field(min_length=1, description="File and record id, e.g. 'ctd402-rp2d.outcomes.cr-bone-marrow'.")
    field: str = Field(min_length=1, description="Field changed ('(removed)' when the record was deleted).")
    before: str | None = Field(default=None, description="Value before, abridged where long.")
    after: str | None = Field(default=None, description="Value after, abridged where long.")
    why: str = Field(min_length=1, description="Why it was changed, in our own words.")


class SecondReading(BaseModel):
    """An independent re-reading of every record citing the document, against its text."""

    model_config = ConfigDict(extra="forbid")

    checked_records: int = Field(ge=0, description="Records re-read (studies, reports, arms' interventions, ...).")
    checked: list[str] = Field(default_factory=list, description="What was checked, in words.")
    numbering: str | None = Field(default=None, description="How places (slides, paragraphs) were counted.")
    outline: Outline | None = Field(default=None, description="Paragraph numbering of a prose document.")
    structure: list[StructureUnit] = Field(
        default_factory=list, description="Every place a slide numbering yields, with its lines."
    )
    changes: list[Change] = Field(default_factory=list)


class CoverageFile(BaseModel):
    """seeds/coverage/<document id>.yaml, written by the curator of that document."""

    model_config = ConfigDict(extra="forbid")

    source_id: str = Field(description="The document this file covers.")
    left_out: list[LeftOut] = Field(default_factory=list, description="Every figure deliberately left out.")
    second_reading: SecondReading | None = Field(default=None, description="The second reader's record, if done.")
    third_reading: SecondReading | None = Field(
        default=None,
        description="A later fresh re-reading and what it changed, kept apart from the second reader's record.",
    )
