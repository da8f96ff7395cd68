"""What the list routes share: read a page (JSON) or the whole result set (CSV, NDJSON), then render it."""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session, SQLModel

from api.deps import PAGE_SIZE_DEFAULT, PageParams
from api.queries.filters import Conditions
from api.queries.pages import page, read_rows
from api.render.formats import Format, csv_response, ndjson_response
from api.render.lists import page_links
from models.page import Page

R = TypeVar("R", bound=SQLModel)
P = TypeVar("P", bound=BaseModel)
PageT = TypeVar("PageT", bound=Page)  # type: ignore[type-arg]


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
