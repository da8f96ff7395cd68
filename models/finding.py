"""Qualitative findings, written in our own words."""

from sqlmodel import Field

from models.enums import FindingCategory
from models.figure import Provenance


class FindingBase(Provenance):
    """A statement a source makes without a number ('no product was contaminated')."""

    category: FindingCategory = Field(description="What the finding is about.")
    statement: str = Field(min_length=1, description="The finding, paraphrased in our own words.")


class Finding(FindingBase, table=True):
    id: str = Field(primary_key=True, description="Global id: '<study id>.<local id>'.")
    study_id: str = Field(foreign_key="study.id", index=True)


class FindingPublic(FindingBase):
    id: str = Field(description="Global id: '<study id>.<local id>'.")
    study_id: str = Field(description="Study the finding is about.")
