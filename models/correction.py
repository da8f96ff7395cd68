"""Corrections already made: what a later reader of a document changed in the records, before and after, and why.

Read from seeds/coverage/<document id>.yaml (its second_reading and third_reading changes) when
the dataset is built, so each release serves the corrections it was built with.
"""

from sqlmodel import Field, SQLModel


class CorrectionBase(SQLModel):
    source_id: str = Field(index=True, description="The document whose re-reading made the correction.")
    reading: str = Field(description="Which re-reading: second_reading or third_reading.")
    record: str = Field(description="The records changed, as the reader named them (file, record id, or a group).")
    field: str = Field(description="The fields changed ('(removed)' when a record was deleted).")
    before: str | None = Field(default=None, description="The value before, abridged where long.")
    after: str | None = Field(default=None, description="The value after, abridged where long.")
    why: str = Field(description="Why it was changed.")


class Correction(CorrectionBase, table=True):
    id: str = Field(primary_key=True, description="<document id>.<reading>.<n>, n counting from 1 in the file.")
    position: int = Field(description="Order of the correction in its document's file.")


class CorrectionLink(SQLModel, table=True):
    """Each record a correction names, resolved to its id when the dataset is built (a derived index)."""

    __tablename__ = "correction_link"

    correction_id: str = Field(foreign_key="correction.id", primary_key=True)
    record_id: str = Field(primary_key=True, index=True)
    study_id: str | None = Field(
        default=None, index=True, description="The study the record is, or is part of (none for sources)."
    )


class CorrectionPublic(CorrectionBase):
    """One correction, with the ids of the records it names (empty where it names a group, not records)."""

    id: str = Field(description="<document id>.<reading>.<n>.")
    record_ids: list[str] = Field(description="Ids of the records named, as served today.")


class Corrected(SQLModel):
    """A record's detail carries the corrections made to it."""

    corrections: list[CorrectionPublic] = Field(
        default_factory=list,
        description="Corrections later readings of its document made to this record: before, after and why.",
    )
