"""The read shapes every resource shares: rows to response models, one record by id, one list."""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import ColumnElement
from sqlmodel import Session, SQLModel, select
from sqlmodel.sql.expression import SelectOfScalar

from api import counts
from api.deps import PAGE_SIZE_DEFAULT, PageParams
from api.errors import NotFound
from api.filters import Conditions
from api.formats import Format, csv_response, ndjson_response
from models.page import Page, PageLinks

R = TypeVar("R", bound=SQLModel)
P = TypeVar("P", bound=BaseModel)
PageT = TypeVar("PageT", bound=Page)  # type: ignore[type-arg]


def to_public(public: type[P], row: SQLModel, **extra: Any) -> P:
    """Validate a table row into its response model (JSON columns come back as plain strings)."""
    return public.model_validate({**dict(row), **extra})


def read_rows(
    session: Session, table: type[R], conditions: Conditions, order_by: Sequence[Any], limit: int | None, offset: int
) -> list[R]:
    """The matching rows in a stable order, from offset on: one page, or all of them if limit is None."""
    # A page is read with the form that stops early; every row, with the form that reads all at once.
    ordered = where(select(table), conditions.all if limit is None else conditions.first).order_by(*order_by)
    ordered = ordered.offset(offset)
    return list(session.exec(ordered if limit is None else ordered.limit(limit)).all())


def page(
    session: Session, table: type[R], conditions: Conditions, order_by: Sequence[Any], limit: int, offset: int
) -> tuple[list[R], int]:
    """One page of the matching rows in a stable order, and how many match in all."""
    return read_rows(session, table, conditions, order_by, limit, offset), counts.total(session, table, conditions)


def get_or_404(session: Session, table: type[R], record_id: str, label: str) -> R:
    row = session.get(table, record_id)
    if row is None:
        raise NotFound(f"No {label} with id {record_id!r}.")
    return row


def page_links(request: Request, total: int, limit: int, offset: int) -> PageLinks:
    def at(new_offset: int) -> str:
        return str(request.url.include_query_params(limit=limit, offset=new_offset))

    return PageLinks(
        self=at(offset),
        first=at(0),
        prev=at(max(0, offset - limit)) if offset > 0 else None,
        next=at(offset + limit) if offset + limit < total else None,
    )


def respond_list(
    request: Request,
    session: Session,
    table: type[R],
    conditions: Conditions,
    order: Sequence[Any],
    params: PageParams,
    fmt: Format,
    public: type[P],
    page_model: type[PageT],
    to_items: Callable[[list[R]], list[P]],
    filename: str,
) -> PageT | Response:
    """A JSON page, or (for CSV and NDJSON) the whole result set unless limit/offset were given."""
    version: str = request.app.state.meta.dataset_version
    if fmt is Format.json:
        limit = params.limit or PAGE_SIZE_DEFAULT
        rows, total = page(session, table, conditions, order, limit, params.offset)
        return page_model(
            items=to_items(rows),
            total=total,
            limit=limit,
            offset=params.offset,
            links=page_links(request, total, limit, params.offset),
        )
    items = to_items(read_rows(session, table, conditions, order, params.limit, params.offset))
    if fmt is Format.csv:
        return csv_response(public, items, filename, version)
    return ndjson_response(items, version)


def rows_to(public: type[P]) -> Callable[[list[Any]], list[P]]:
    return lambda rows: [to_public(public, row) for row in rows]


def where(statement: SelectOfScalar[R], conditions: Sequence[ColumnElement[bool]]) -> SelectOfScalar[R]:
    return statement.where(*conditions) if conditions else statement
