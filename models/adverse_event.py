"""Adverse events: one toxicity figure each."""

from pydantic import StrictFloat, StrictInt
from sqlmodel import Field

from models.correction import Corrected
from models.enums import AdverseEventTerm, GradingSystem, Subgroup
from models.figure import FigureBase, FigureContext, PrintedOccurrence, SourceSpan


class AdverseEventBase(FigureBase):
    """One toxicity figure: a term, a grade range, and how many patients had it."""

    term: AdverseEventTerm = Field(index=True, description="Adverse-event term.")
    grade_min: StrictInt | None = Field(
        default=None, ge=1, le=5, index=True, description="Lowest grade counted; null when grade is not stated."
    )
    grade_max: StrictInt | None = Field(
        default=None, ge=1, le=5, description="Highest grade counted; null when open-ended ('grade 3 or higher')."
    )
    grading_system: GradingSystem = Field(
        default=GradingSystem.not_stated, description="Grading system, or 'not_stated'."
    )
    patients: StrictInt | None = Field(default=None, ge=0, description="Patients affected (0 for an explicit absence).")
    at_risk: StrictInt | None = Field(
        default=None, ge=0, description="Patients at risk, if printed or exactly derivable."
    )
    percentage: StrictFloat | None = Field(default=None, description="Percentage of patients affected, as printed.")
    subgroup: Subgroup | None = Field(default=None, description="Subgroup the figure is for; null for everyone.")


class AdverseEvent(PrintedOccurrence, SourceSpan, FigureContext, AdverseEventBase, table=True):
    __tablename__ = "adverse_event"

    id: str = Field(primary_key=True, description="Global id: '<study id>.<local id>'.")
    study_id: str = Field(foreign_key="study.id", index=True)
    arm_id: str | None = Field(default=None, foreign_key="arm.id", index=True)
    report_id: str | None = Field(default=None, foreign_key="report.id")
    permalink: str = Field(description="Absolute URL of the figure, built from the public_url setting at load.")


class AdverseEventPublic(SourceSpan, FigureContext, AdverseEventBase):
    id: str = Field(description="Global id: '<study id>.<local id>'.")
    study_id: str = Field(description="Study the figure belongs to.")
    arm_id: str | None = Field(default=None, description="Arm the figure is for; null for the whole study.")
    report_id: str | None = Field(default=None, description="Report of the study the figure comes from.")
    permalink: str = Field(
        description="Stable absolute URL of this figure (GET it for the figure and its provenance); "
        "cite it with the dataset version."
    )


class AdverseEventDetail(Corrected, AdverseEventPublic):
    """One record by id, with the corrections made to it."""
