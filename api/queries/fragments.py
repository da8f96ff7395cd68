"""Records' JSON computed once at load time, and read back by id or by page (models.fragment).

The fragments are made here, by the very functions that would answer a request
(study_summaries, study_details, to_public) and serialised as FastAPI serialises a response
model, so a route splicing them answers with the bytes it would have computed.
"""

import functools
import hashlib
import inspect
import json
import sys
import zlib
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter
from sqlalchemy import and_, text
from sqlmodel import Session, SQLModel, col, select

from api.queries import comparison, corrections, pages, roles, studies
from api.queries.filters import Conditions
from api.queries.pages import to_public
from api.queries.studies import study_details
from models import AdverseEvent, Outcome, Study
from models.adverse_event import AdverseEventPublic
from models.comparison import Comparison, ComparisonRow, ExcludedRow
from models.enums import Measure
from models.fragment import COMPRESSED, Fragment, FragmentKind
from models.outcome import OutcomePublic
from models.study_views import StudyDetail, StudyPublic

T = TypeVar("T")

# Studies computed together: a fixed number of queries each, with id lists short enough for any database.
STUDIES_PER_BATCH = 500
FIGURES_PER_BATCH = 5000

FIGURE_FRAGMENTS: tuple[tuple[FragmentKind, type[SQLModel], type[BaseModel]], ...] = (
    (FragmentKind.outcome, Outcome, OutcomePublic),
    (FragmentKind.adverse_event, AdverseEvent, AdverseEventPublic),
)


def json_of(model: type[BaseModel], value: BaseModel) -> bytes:
    """value's JSON as FastAPI writes a response model (pydantic-core's dump_json, by alias)."""
    return _adapter(model).dump_json(value, by_alias=True)


@functools.cache
def _adapter(model: type[BaseModel]) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


# What a fragment's bytes depend on besides the data: the code that computes them and the models
# that write them. A file built by other code is refused at start-up, as for another schema
# (api.loading.build.schema_version), so no answer is spliced from JSON this code would not write.
_COMPUTED_BY = (sys.modules[__name__], studies, pages, corrections, roles, comparison)


@functools.cache  # the same for the life of the process
def fragment_code_digest() -> str:
    """A digest of the fragment models' JSON schemas and of the source of the modules computing them."""
    digest = hashlib.blake2b(digest_size=8)
    for model in (StudyPublic, StudyDetail, OutcomePublic, AdverseEventPublic, Comparison, ComparisonRow, ExcludedRow):
        digest.update(json.dumps(model.model_json_schema(), sort_keys=True).encode())
    for module in _COMPUTED_BY:
        digest.update(Path(inspect.getfile(module)).read_bytes())
    return digest.hexdigest()


def pack(kind: FragmentKind, body: bytes) -> bytes:
    """A fragment as stored: details compressed (they are a study's every record, a third of a file
    otherwise; read one at a time, so a decompression each), list items as they are."""
    return zlib.compress(body, 6) if kind in COMPRESSED else body


def unpack(kind: FragmentKind, stored: bytes) -> bytes:
    return zlib.decompress(stored) if kind in COMPRESSED else bytes(stored)


def fragment_rows(session: Session) -> Iterator[dict[str, object]]:
    """Every fragment of the dataset the session reads, as rows for the fragment table."""
    study_ids = session.exec(select(Study.id).order_by(Study.id)).all()
    for chunk in _batches(study_ids, STUDIES_PER_BATCH):
        studies = session.exec(select(Study).where(col(Study.id).in_(chunk)).order_by(Study.id)).all()
        for detail in study_details(session, studies):
            # A detail is its summary with more fields: written as StudyPublic, it is the summary's JSON.
            yield {"kind": FragmentKind.study.value, "id": detail.id, "body": json_of(StudyPublic, detail)}
            body = pack(FragmentKind.study_detail, json_of(StudyDetail, detail))
            yield {"kind": FragmentKind.study_detail.value, "id": detail.id, "body": body}
    for kind, table, public in FIGURE_FRAGMENTS:
        # By id lists, not one cursor held open: the caller writes between batches on the same connection.
        figure_ids = session.exec(select(table.id).order_by(table.id)).all()  # type: ignore[attr-defined]
        for ids in _batches(figure_ids, FIGURES_PER_BATCH):
            rows = session.exec(select(table).where(col(table.id).in_(ids)).order_by(table.id)).all()  # type: ignore[attr-defined]
            for row in rows:
                yield {"kind": kind.value, "id": row.id, "body": json_of(public, to_public(public, row))}  # type: ignore[attr-defined]


def comparison_fragment_rows(session: Session) -> Iterator[dict[str, object]]:
    """Every outcome's ComparisonFragment row, from the outcome fragments already written in this
    session's transaction: the comparison reads the projection as every face does."""
    titles = {
        sid: (title, acronym) for sid, title, acronym in session.exec(select(Study.id, Study.title, Study.acronym))
    }
    statement = bodies_of(Outcome, FragmentKind.outcome).order_by(col(Outcome.id))
    for body in session.exec(statement):
        fact = json.loads(body)
        title, acronym = titles[fact["study_id"]]
        yield comparison.comparison_fragment(fact, title=title, acronym=acronym)


def stored_comparison_rows(session: Session, *, version: str) -> Iterator[dict[str, object]]:
    """The default comparison of each measure (every study, whole populations, any time point,
    counts as printed): the question most asked, and at scale the largest answer, stored whole."""
    conditions = comparison.default_filters().conditions(session).all
    for measure in session.exec(select(Outcome.measure).distinct().order_by(Outcome.measure)):
        plan = comparison.plan_comparison(
            session, Measure(measure), time_point=None, outcome_conditions=conditions, version=version
        )
        yield {
            "kind": FragmentKind.comparison.value,
            "id": Measure(measure).value,
            "body": comparison.comparison_json(plan),
        }


def comparison_body(session: Session, query: comparison.ComparisonQuery) -> bytes:
    """The comparison's JSON: stored when nothing but the measure was asked, computed otherwise."""
    if query.default and (stored := fragment(session, FragmentKind.comparison, query.measure.value)) is not None:
        return stored
    return comparison.comparison_json(comparison.plan(session, query))


# A plain statement: this is the one read on the path of every detail, and a text() clause
# skips building and caching an ORM statement per request.
_ONE = text("SELECT body FROM fragment WHERE kind = :kind AND id = :id")


def fragment(session: Session, kind: FragmentKind, record_id: str) -> bytes | None:
    """One record's JSON, or None when there is no such record."""
    found = session.connection().execute(_ONE, {"kind": kind.value, "id": record_id}).scalar()
    return None if found is None else unpack(kind, found)


def fragments_by_id(session: Session, kind: FragmentKind, record_ids: Sequence[str]) -> dict[str, bytes]:
    """The JSON of each of record_ids that exists, by id."""
    statement = select(Fragment.id, Fragment.body).where(Fragment.kind == kind.value, col(Fragment.id).in_(record_ids))
    return {record_id: unpack(kind, body) for record_id, body in session.exec(statement)}


def bodies_of(table: Any, kind: FragmentKind) -> Any:
    """SELECT the stored JSON of table's rows (a statement to filter and order like one on table)."""
    joined = and_(col(Fragment.kind) == kind.value, col(Fragment.id) == table.id)
    return select(Fragment.body).select_from(table).join(Fragment, joined)


def page_fragments(
    session: Session,
    table: Any,
    kind: FragmentKind,
    *,
    conditions: Conditions,
    order_by: Sequence[Any],
    limit: int,
    offset: int,
) -> list[bytes]:
    """One page of the matching records' JSON, in the order read_rows reads their rows."""
    statement = bodies_of(table, kind)
    if conditions.first:
        statement = statement.where(*conditions.first)
    return [unpack(kind, body) for body in session.exec(statement.order_by(*order_by).offset(offset).limit(limit))]
