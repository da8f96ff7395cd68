"""The reads every resource shares: rows to response models, one record by id, one page of a list."""

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement
from sqlmodel import Session, SQLModel, select
from sqlmodel.sql.expression import SelectOfScalar

from api.errors import NotFound
from api.queries import counts
from api.queries.filters import Conditions

R = TypeVar("R", bound=SQLModel)
P = TypeVar("P", bound=BaseModel)


def to_public(public: type[P], row: SQLModel, **extra: Any) -> P:
    """Validate a table row into its response model (JSON columns come back as plain strings)."""
    return public.model_validate({**dict(row), **extra})


def read_rows(
    session: Session, table: type[R], conditions: Conditions, *, order_by: Sequence[Any], limit: int | None, offset: int
) -> list[R]:
    """The matching rows in a stable order, from offset on: one page, or all of them if limit is None."""
    # A page is read with the form that stops early; every row, with the form that reads all at once.
    ordered = where(select(table), conditions.all if limit is None else conditions.first).order_by(*order_by)
    ordered = ordered.offset(offset)
    return list(session.exec(ordered if limit is None else ordered.limit(limit)).all())


def page(
    session: Session, table: type[R], conditions: Conditions, *, order_by: Sequence[Any], limit: int, offset: int
) -> tuple[list[R], int]:
    """One page of the matching rows in a stable order, and how many match in all."""
    rows = read_rows(session, table, conditions, order_by=order_by, limit=limit, offset=offset)
    return rows, counts.total(session, table, conditions)


def get_or_404(session: Session, table: type[R], record_id: str, *, label: str) -> R:
    row = session.get(table, record_id)
    if row is None:
        raise NotFound(f"No {label} with id {record_id!r}.")
    return row


def where(statement: SelectOfScalar[R], conditions: Sequence[ColumnElement[bool]]) -> SelectOfScalar[R]:
    return statement.where(*conditions) if conditions else statement
