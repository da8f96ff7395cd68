"""Studies: one trial, cohort, case or preclinical work, with its reports and links."""

from pydantic import StrictBool, StrictFloat, StrictInt
from sqlmodel import JSON, Field, SQLModel

from models.enums import AgeGroup, Design, Disease, Phase, Setting, StudyRelation, TherapyClass
from models.figure import Provenance
from models.terminology import CODES_DESCRIPTION


class StudyBase(Provenance):
    """Design and population of a study, as the sources describe it."""

    title: str = Field(min_length=1, description="Descriptive title, in our own words.")
    acronym: str | None = Field(default=None, description="Trial name, product name or protocol code the sources use.")
    summary: str = Field(min_length=1, description="What was done and found, in our own words.")
    design: Design = Field(description="Study design.")
    phase: Phase = Field(default=Phase.not_stated, description="Trial phase as stated.")
    randomised: StrictBool | None = Field(default=None, description="Whether arms were randomised; null if not stated.")
    registry_ids: list[str] = Field(
        default_factory=list, sa_type=JSON, description="Trial registry ids (e.g. NCT numbers)."
    )
    period_start: StrictInt | None = Field(
        default=None, ge=1900, le=2100, description="First year of the study period."
    )
    period_end: StrictInt | None = Field(default=None, ge=1900, le=2100, description="Last year of the study period.")
    setting: Setting = Field(description="Disease setting of the population treated.")
    diseases: list[Disease] = Field(default_factory=list, sa_type=JSON, description="Diseases included.")
    age_groups: list[AgeGroup] = Field(default_factory=list, sa_type=JSON, description="Age groups included.")
    age_min: StrictFloat | None = Field(default=None, ge=0, le=120, description="Youngest age in years, if printed.")
    age_max: StrictFloat | None = Field(default=None, ge=0, le=120, description="Oldest age in years, if printed.")
    age_median: StrictFloat | None = Field(default=None, ge=0, le=120, description="Median age in years, if printed.")
    n_enrolled: StrictInt | None = Field(default=None, ge=0, description="Patients enrolled or treated, as printed.")
    enrolled_printed: str | None = Field(
        default=None, description="The enrolment figure exactly as printed, e.g. '281 (208 T-ALL; 73 T-LBL)'."
    )
    therapy_classes: list[TherapyClass] = Field(
        default_factory=list, sa_type=JSON, description="Classes of therapy studied."
    )
    notes: str | None = Field(default=None, description="Curator's notes, in our own words.")


class Study(StudyBase, table=True):
    id: str = Field(primary_key=True, description="Stable study id (a slug).")
    codes: dict[str, list[str]] = Field(default_factory=dict, sa_type=JSON, description=CODES_DESCRIPTION)


class ReportBase(Provenance):
    """One report of a study in one document (an abstract, a paper, a talk)."""

    citation: str | None = Field(
        default=None, description="The primary publication the document cites for this report."
    )
    venue: str | None = Field(default=None, description="Meeting or journal of the primary report.")
    year: StrictInt | None = Field(default=None, ge=1900, le=2100, description="Year of the primary report.")
    abstract_number: str | None = Field(default=None, description="Meeting abstract number, if cited.")
    n_patients: StrictInt | None = Field(default=None, ge=0, description="Patients this report covers, if printed.")
    follow_up: str | None = Field(default=None, description="Follow-up as printed, e.g. '28-month median'.")


class Report(ReportBase, table=True):
    id: str = Field(primary_key=True, description="Global report id: '<study id>.<local id>'.")
    study_id: str = Field(foreign_key="study.id", index=True)


class ReportPublic(ReportBase):
    id: str = Field(description="Global report id: '<study id>.<local id>'.")
    study_id: str = Field(description="Study this report belongs to.")


class StudyLinkBase(SQLModel):
    relation: StudyRelation = Field(
        description="How the related study relates to this one: same_study, same_programme, possibly_same_programme "
        "(curators see a likely link that neither document states; the note says what it rests on) or follow_up_of."
    )
    note: str | None = Field(default=None, description="Why the studies are linked, in our own words.")


class StudyLink(StudyLinkBase, table=True):
    __tablename__ = "study_link"

    study_id: str = Field(foreign_key="study.id", primary_key=True)
    related_study_id: str = Field(foreign_key="study.id", primary_key=True)


class StudyLinkPublic(StudyLinkBase):
    related_study_id: str = Field(description="Id of the related study.")
