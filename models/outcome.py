"""Outcomes: one measured efficacy figure each."""

import re
from typing import Annotated

from pydantic import StrictFloat, StrictInt, StringConstraints, computed_field
from sqlalchemy import Index
from sqlmodel import Field

from models.correction import Corrected
from models.enums import Measure, Subgroup, ValueUnit
from models.figure import FigureBase, FigureContext, PrintedOccurrence, SourceSpan

# ASCII digits only: \d would also match other scripts' digits (full-width ones, for instance).
# One way to write each (session 11's probe: 'd028', '02y', '2.0y' were taken and matched nothing):
# no leading zero, no trailing zero after a decimal point, cycles from 1.
TIME_POINT_PATTERN = r"^(d(0|[1-9][0-9]*)|(0|[1-9][0-9]*)(\.[0-9]*[1-9])?[my]|cycle[1-9][0-9]*|best)$"
TimePoint = Annotated[str, StringConstraints(pattern=TIME_POINT_PATTERN)]
_TIME_POINT = re.compile(r"^(\d+(?:\.\d+)?)([my])$")


def time_point_months(code: str | None) -> float | None:
    """Months for a calendar time-point code ('3y' -> 36, '18m' -> 18); None for the others."""
    match = _TIME_POINT.match(code or "")
    if match is None:
        return None
    number = float(match.group(1))
    return number * 12 if match.group(2) == "y" else number


class OutcomeBase(FigureBase):
    """One outcome figure: a measure, for an arm or the whole study, at a time point."""

    measure: Measure = Field(description="What was measured.")
    subgroup: Subgroup | None = Field(
        default=None, index=True, description="Non-randomised subgroup the figure is for; null for everyone."
    )
    time_point: TimePoint | None = Field(
        default=None,
        description=(
            "When it was measured: 'd28' (day), '18m' (months), '3y' (years), 'cycle1' (after a cycle), "
            "'best' (best response); null when not stated."
        ),
        schema_extra={"examples": ["3y"]},
    )
    response_definition: str | None = Field(
        default=None,
        description=(
            "How the document defines the response measured, as printed (e.g. 'CR/CRi'); null when not printed."
        ),
    )
    value: StrictFloat | None = Field(default=None, description="The value, in the unit given (null if only counts).")
    value_low: StrictFloat | None = Field(default=None, description="Lower end when a range is printed.")
    value_high: StrictFloat | None = Field(default=None, description="Upper end when a range is printed.")
    unit: ValueUnit = Field(default=ValueUnit.percent, description="Unit of value.")
    numerator: StrictInt | None = Field(
        default=None, ge=0, description="Patients with the outcome, if printed or exactly derivable."
    )
    denominator: StrictInt | None = Field(
        default=None, ge=0, description="Patients evaluated, if printed or exactly derivable."
    )
    p_value: StrictFloat | None = Field(default=None, ge=0, le=1, description="p-value of the printed comparison.")
    p_value_printed: str | None = Field(default=None, description="The p-value exactly as printed, e.g. 'p = 0.21'.")
    comparison: str | None = Field(default=None, description="What the p-value compares, in our own words.")


class Outcome(PrintedOccurrence, SourceSpan, FigureContext, OutcomeBase, table=True):
    # Most queries name a measure. (measure, id) yields a page in id order without sorting every
    # match; (measure, study_id) counts the matches of a study filter from the index alone.
    __table_args__ = (
        Index("ix_outcome_measure_id", "measure", "id"),
        Index("ix_outcome_measure_study", "measure", "study_id"),
    )

    id: str = Field(primary_key=True, description="Global id: '<study id>.<local id>'.")
    study_id: str = Field(foreign_key="study.id", index=True)
    arm_id: str | None = Field(default=None, foreign_key="arm.id", index=True)
    report_id: str | None = Field(default=None, foreign_key="report.id")
    permalink: str = Field(description="Absolute URL of the figure, built from the public_url setting at load.")


class OutcomePublic(SourceSpan, FigureContext, OutcomeBase):
    id: str = Field(description="Global id: '<study id>.<local id>'.")
    study_id: str = Field(description="Study the figure belongs to.")
    arm_id: str | None = Field(default=None, description="Arm the figure is for; null for the whole study.")
    report_id: str | None = Field(default=None, description="Report of the study the figure comes from.")
    permalink: str = Field(
        description="Stable absolute URL of this figure (GET it for the figure and its provenance); "
        "cite it with the dataset version."
    )

    @computed_field(description="The time point in months, when it is a calendar time.")  # type: ignore[prop-decorator]
    @property
    def time_point_months(self) -> float | None:
        return time_point_months(self.time_point)


class OutcomeDetail(Corrected, OutcomePublic):
    """One record by id, with the corrections made to it."""
