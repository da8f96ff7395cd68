"""The read shapes every resource shares: rows to response models, one record by id, one page."""

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, SQLModel, select
from sqlmodel.sql.expression import SelectOfScalar

from api.deps import PageParams
from api.errors import NotFound
from models.page import Page

R = TypeVar("R", bound=SQLModel)
P = TypeVar("P", bound=BaseModel)
PageT = TypeVar("PageT", bound=Page)  # type: ignore[type-arg]


def to_public(public: type[P], row: SQLModel, **extra: Any) -> P:
    """Validate a table row into its response model (JSON columns come back as plain strings)."""
    return public.model_validate({**dict(row), **extra})


def page(
    session: Session, statement: SelectOfScalar[R], order_by: Sequence[Any], limit: int, offset: int
) -> tuple[list[R], int]:
    """One page of a statement's rows in a stable order, and the total count."""
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = session.exec(statement.order_by(*order_by).limit(limit).offset(offset)).all()
    return list(rows), total


def get_or_404(session: Session, table: type[R], record_id: str, label: str) -> R:
    row = session.get(table, record_id)
    if row is None:
        raise NotFound(f"No {label} with id {record_id!r}.")
    return row


def list_page(session: Session, table: type[R], public: type[P], page_model: type[PageT], params: PageParams) -> PageT:
    rows, total = page(session, select(table), [table.id], params.limit, params.offset)  # type: ignore[attr-defined]
    return page_model(
        items=[to_public(public, row) for row in rows], total=total, limit=params.limit, offset=params.offset
    )
