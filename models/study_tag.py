"""A derived index of every categorical value a study can be filtered and faceted on.

Built at load time from the study fixtures (never written by curators), so filters and
facets are one indexed query on every database, whatever the field's shape in the study
(scalar, list, or held by its interventions and CAR products).
"""

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

NO_ROLE = ""
"""The role of a tag that is not about an intervention (disease, phase, ...)."""
STUDY_LEVEL = "study"
"""The role of a therapy class the study itself lists (therapy_classes) rather than one intervention's."""


class StudyTag(SQLModel, table=True):
    __tablename__ = "study_tag"
    # Every filter asks "which studies have this facet and value (in these roles)": answered from the index alone.
    __table_args__ = (Index("ix_study_tag_facet_value_study", "facet", "value", "role", "study_id"),)

    study_id: str = Field(foreign_key="study.id", primary_key=True)
    facet: str = Field(primary_key=True)
    value: str = Field(primary_key=True)
    role: str = Field(
        default=NO_ROLE,
        primary_key=True,
        description="For agent and therapy_class: the intervention's role (InterventionRole), or STUDY_LEVEL; "
        "otherwise NO_ROLE.",
    )
