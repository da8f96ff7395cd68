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
