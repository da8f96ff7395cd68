"""Releases served side by side, and what changed between two of them."""

from typing import Any, Literal, get_args

from pydantic import BaseModel, Field


class ReleaseInfo(BaseModel):
    """One dataset build this service answers from."""

    version: str = Field(description="The dataset version; name it in ?version= to be answered from this release.")
    built_at: str = Field(description="When it was built (ISO 8601, UTC).", json_schema_extra={"format": "date-time"})
    counts: dict[str, int] = Field(description="Number of records per resource in this release.")
    current: bool = Field(description="Whether this is the release answered when no version is asked for.")


class ReleaseList(BaseModel):
    releases: list[ReleaseInfo] = Field(description="Every release served, oldest first; the last is current.")


RecordType = Literal[
    "study",
    "arm",
    "intervention",
    "outcome",
    "adverse_event",
    "characteristic",
    "epidemiology",
    "finding",
    "conflict",
    "source",
]


RECORD_TYPES: tuple[str, ...] = get_args(RecordType)
"""The records /v1/changes compares, in the order it lists them."""


class FieldChange(BaseModel):
    field: str = Field(description="The field as the record's detail names it.")
    before: Any = Field(description="Its value in the older release.")
    after: Any = Field(description="Its value in the newer release.")


class RecordChange(BaseModel):
    """One record added, removed or changed between two releases."""

    id: str = Field(description="The record's id (the same in both releases).")
    type: RecordType = Field(
        description="study, arm, intervention, finding, conflict, source, or the kind of figure: outcome, "
        "adverse_event, characteristic or epidemiology."
    )
    change: Literal["added", "removed", "changed"] = Field(
        description="added (only in the newer release), removed (only in the older) or changed (in both, differing)."
    )
    fields: list[FieldChange] = Field(
        description="For a changed record, each field that differs (a one-field edit is one entry); empty for "
        "an added or removed record."
    )


class ChangeList(BaseModel):
    """What changed from one release to another."""

    from_version: str | None = Field(description="The older release (null when only one release is served).")
    to_version: str = Field(description="The newer release.")
    changes: list[RecordChange] = Field(description="By type (in the order of RECORD_TYPES), then id.")
