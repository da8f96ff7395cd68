"""Precomputed JSON of each record as the API answers it, stored with the build.

The dataset cannot change while it is served, so the JSON of every study (as listed and in
full), outcome and adverse event is computed once, at load time, by the same query and
response-model code that would compute it per request (api.queries.fragments), and a
response becomes these bytes spliced into its envelope. A fragment is the record's JSON
exactly: parsing it with its response model and dumping it again gives the same bytes
(tests/test_fragments.py).
"""

from enum import StrEnum

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel


class FragmentKind(StrEnum):
    """Which response model a fragment is the JSON of."""

    study = "study"  # StudyPublic, an item of /v1/studies
    study_detail = "study_detail"  # StudyDetail, /v1/studies/{id}
    outcome = "outcome"  # OutcomePublic, an item of /v1/outcomes
    adverse_event = "adverse_event"  # AdverseEventPublic, an item of /v1/adverse-events
    comparison = "comparison"  # Comparison, /v1/comparison?measure={id} with nothing else asked


COMPRESSED = frozenset({FragmentKind.study_detail})
"""Kinds stored zlib-compressed (api.queries.fragments.pack): large, and read one at a time."""


class Fragment(SQLModel, table=True):
    """One record's JSON as served: (kind, id) is the key, so a page reads its fragments by index."""

    __tablename__ = "fragment"
    # A rowid table: its rows are kilobytes, which a WITHOUT ROWID table (rows kept in the key's
    # B-tree) stores in mostly empty overflow pages, nearly three times the bytes.

    kind: str = Field(primary_key=True)
    id: str = Field(primary_key=True)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ComparisonFragment(SQLModel, table=True):
    """An outcome's part of every comparison it can appear in, computed once at load time
    (api.queries.comparison.comparison_fragment): either its excluded-row JSON, or its row's JSON
    without the three fields that depend on the other rows (label made unique, pooled and the
    reason it is not), with the facts that decide those. Keyed by the outcome's id."""

    __tablename__ = "comparison_fragment"

    outcome_id: str = Field(primary_key=True)
    usable: bool  # false: body is the ExcludedRow's JSON
    study_id: str
    arm_id: str | None = None
    label: str = ""  # the row's label before it is made unique; empty for an excluded figure
    subgroup: str | None = None
    time_point: str | None = None
    interval_method: str | None = None
    derived: bool
    denominator_basis: str
    n: int | None = None
    events: int | None = None
    # A usable row's JSON from after its label to before "pooled"; an excluded row's whole JSON.
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
