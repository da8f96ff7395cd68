"""Recorded disagreements within or between documents; never resolved by choosing."""

from sqlmodel import Field, SQLModel

from models.enums import ConflictKind


class ConflictBase(SQLModel):
    kind: ConflictKind = Field(
        description="Whether the disagreement is within one document, between documents, or arithmetic."
    )
    description: str = Field(min_length=1, description="What disagrees with what, in our own words.")


class Conflict(ConflictBase, table=True):
    id: str = Field(primary_key=True, description="Stable conflict id (a slug).")


class ConflictLink(SQLModel, table=True):
    """A derived index from each conflict to the figures naming it, built at load time.

    Figures list their conflicts in a JSON column, which no index reaches; without this
    table, finding a conflict's members meant reading every figure of every kind.
    """

    __tablename__ = "conflict_link"

    conflict_id: str = Field(foreign_key="conflict.id", primary_key=True)
    kind: str = Field(primary_key=True, description="outcome, adverse_event, characteristic or epidemiology.")
    figure_id: str = Field(primary_key=True)
    position: int = Field(description="Order in which the fixtures list the figure, so members keep that order.")


class ConflictMember(SQLModel):
    """One figure taking part in a conflict."""

    kind: str = Field(description="Resource kind: outcome, adverse_event, characteristic or epidemiology.")
    id: str = Field(description="Id of the figure.")
    source_id: str = Field(description="Document the figure comes from.")
    locator: str = Field(description="Where in that document.")
    printed: str = Field(description="The figure exactly as printed.")


class ConflictPublic(ConflictBase):
    id: str = Field(description="Stable conflict id (a slug).")
    members: list[ConflictMember] = Field(default_factory=list, description="The figures that disagree.")
