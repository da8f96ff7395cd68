"""Fields every sourced figure carries: where it came from and how it was printed."""

from typing import Annotated

from pydantic import StrictBool, StringConstraints
from sqlmodel import JSON, Field, SQLModel
from sqlmodel._compat import SQLModelConfig

from models.enums import DenominatorBasis, SourceKind, ValueQualifier
from models.terminology import CODES_DESCRIPTION

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
"""Local identifiers in fixtures: lower-case slug, stable across releases."""

Slug = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=80)]
"""A fixture identifier."""


class Inference(SQLModel):
    """A field the document does not state, filled in by curators, and why."""

    # Written by hand in every fixture entry: a misspelt or stray key is refused, not dropped.
    model_config = SQLModelConfig(extra="forbid")

    field: str = Field(min_length=1, description="Name of the inferred field on this record, e.g. 'design'.")
    reason: str = Field(min_length=1, description="Why the value was inferred and from what, in our own words.")


class Provenance(SQLModel):
    """Where in which source document a record was read."""

    source_id: str = Field(
        foreign_key="source.id",
        index=True,
        description="Id of the source document (its file name without extension).",
        schema_extra={"examples": ["002_34437a4f0dbbef9f"]},
    )
    locator: str = Field(
        min_length=1,
        description="Where in the document: table and row, figure, section heading or slide title.",
        schema_extra={"examples": ["Table 1, column 'Abstract 54', row 'Survival outcome'"]},
    )
    inferred: list[Inference] = Field(
        default_factory=list,
        sa_type=JSON,
        description=(
            "Fields of this record that the document does not state and curators inferred, each with the reason; "
            "empty when every field is as printed (or null because it is not printed)."
        ),
    )


class FigureBase(Provenance):
    """A number taken from a document, with everything needed to check it there."""

    printed: str = Field(
        min_length=1,
        description="The figure exactly as printed in the source, e.g. '90.3%', '56/62', '5 patients'.",
        schema_extra={"examples": ["88.6%"]},
    )
    qualifier: ValueQualifier = Field(
        default=ValueQualifier.exact,
        description="How the printed value bounds the true one (exact, approximate, less than, ...).",
    )
    derived: StrictBool = Field(
        default=False,
        description="True when a value was computed by curators (e.g. a percentage from counts) rather than printed.",
    )
    derivation: str | None = Field(
        default=None, description="How a derived value was computed; required when derived is true."
    )
    denominator_basis: DenominatorBasis = Field(
        default=DenominatorBasis.not_stated,
        description=(
            "Which patients the denominator counts, as the document states it: enrolled, treated (or infused), "
            "evaluable, or not_stated. Figures pool only with figures of the same basis."
        ),
    )
    unlabeled: StrictBool = Field(
        default=False,
        description="True when the source prints the figure without saying exactly what it measures; see caveat.",
    )
    caveat: str | None = Field(default=None, description="Why the figure should be read with care.")
    conflict_ids: list[str] = Field(
        default_factory=list,
        sa_type=JSON,
        description="Ids of recorded conflicts this figure takes part in (see /v1/conflicts).",
    )
    notes: str | None = Field(default=None, description="Curator's notes, in our own words.")


class FigureContext(SQLModel):
    """What a reader weighs a figure by, filled in at load from the study, its arms, reports and sources.

    Never curated by hand: the loader copies each value from the one record that holds it.
    """

    arm_label: str | None = Field(
        default=None, description="Label of the arm the figure is for (from the study's arms); null for the study."
    )
    source_kind: SourceKind | None = Field(
        default=None,
        index=True,
        description=(
            "Kind of document carrying the figure (review, letter, interview, slide_deck, journal_article, "
            "conference_abstract), from the seed registry; the loader always fills it in."
        ),
    )
    cited_publication: str | None = Field(
        default=None,
        description=(
            "The primary publication the document cites for this figure: the citation of the figure's report "
            "(e.g. a conference abstract a review summarises); null when the figure names no report or the "
            "report prints no citation."
        ),
    )
    cited_venue: str | None = Field(
        default=None, description="Meeting or journal of that primary publication, as given in its report."
    )
    codes: dict[str, list[str]] = Field(default_factory=dict, sa_type=JSON, description=CODES_DESCRIPTION)


class PrintedOccurrence(SQLModel):
    """Which of several identical printed strings in one place a figure is (stored, so an export gives it back)."""

    occurrence: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Which occurrence of `printed` inside the place the locator names (1 = the first in the text); "
            "needed only where that place prints the same words more than once."
        ),
    )


class SourceSpan(SQLModel):
    """Where a figure's printed words sit in its document's text, so a reader can check them there.

    Filled at load time from seeds/spans.yaml (written by `tall-evidence resolve`) for documents
    whose SHA-256 is still the registry's; not part of the fixture format.
    """

    span_start: int | None = Field(
        default=None,
        description="Offset of the first character of `printed` in the document's text (see the source's sha256).",
    )
    span_end: int | None = Field(
        default=None, description="Offset just after the last character of `printed` (end exclusive)."
    )
    context: str | None = Field(
        default=None,
        description="The sentence, table cell or slide bullet holding the printed words, at most 300 characters.",
    )
