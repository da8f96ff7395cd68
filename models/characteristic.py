"""Baseline and descriptive figures of a study population (not outcomes)."""

from pydantic import StrictFloat
from sqlmodel import Field

from models.figure import FigureBase, FigureContext, PrintedOccurrence, SourceSpan


class CharacteristicBase(FigureBase):
    """A descriptive figure: median prior lines, follow-up, blast percentage, subgroup size..."""

    label: str = Field(min_length=1, description="What the figure describes, e.g. 'Median prior lines of therapy'.")
    value: StrictFloat | None = Field(default=None, description="The value, when it is one number.")
    value_low: StrictFloat | None = Field(default=None, description="Lower end of a printed range.")
    value_high: StrictFloat | None = Field(default=None, description="Upper end of a printed range.")
    unit: str | None = Field(default=None, description="Unit of value, e.g. 'patients', 'years', 'percent'.")


class Characteristic(PrintedOccurrence, SourceSpan, FigureContext, CharacteristicBase, table=True):
    id: str = Field(primary_key=True, description="Global id: '<study id>.<local id>'.")
    study_id: str = Field(foreign_key="study.id", index=True)
    arm_id: str | None = Field(default=None, foreign_key="arm.id")
    report_id: str | None = Field(default=None, foreign_key="report.id")


class CharacteristicPublic(SourceSpan, FigureContext, CharacteristicBase):
    id: str = Field(description="Global id: '<study id>.<local id>'.")
    arm_id: str | None = Field(default=None, description="Arm the figure is for; null for the whole study.")
    report_id: str | None = Field(default=None, description="Report of the study the figure comes from.")
