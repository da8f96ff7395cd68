"""A derived index of every categorical value a study can be filtered and faceted on.

Built at load time from the study fixtures (never written by curators), so filters and
facets are one indexed query on every database, whatever the field's shape in the study
(scalar, list, or held by its interventions and CAR products).
"""

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class StudyTag(SQLModel, table=True):
    __tablename__ = "study_tag"
    # Every filter asks "which studies have this facet and value": answered from the index alone.
    __table_args__ = (Index("ix_study_tag_facet_value_study", "facet", "value", "study_id"),)

    study_id: str = Field(foreign_key="study.id", primary_key=True)
    facet: str = Field(primary_key=True)
    value: str = Field(primary_key=True)
