"""What the list routes share: read a page (JSON) or the whole result set (CSV, NDJSON), then render it."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session, SQLModel

from api.deps import PAGE_SIZE_DEFAULT, PageParams
from api.errors import PROBLEM_RESPONSES
from api.queries import counts
from api.queries.filters import Conditions
from api.queries.fragments import page_fragments
from api.queries.pages import page, read_rows, to_public
from api.render.formats import (
    Format,
    columns_of,
    csv_response,
    csv_success,
    joined_columns,
    model_rows,
    ndjson_response,
    ndjson_success,
)
from api.render.lists import page_links
from api.render.splice import json_response, page_body
from models.fragment import FragmentKind
from models.page import Page

R = TypeVar("R", bound=SQLModel)
P = TypeVar("P", bound=BaseModel)
PageT = TypeVar("PageT", bound=Page[Any])
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def file_operations(
    router: APIRouter,
    path: str,
    *,
    operation_id: str,
    what: str,
    csv_columns: Sequence[str],
    ndjson_model: str | None = None,
    problems: dict[int | str, dict[str, object]] = PROBLEM_RESPONSES,
) -> Callable[[Endpoint], Endpoint]:
    """Register a JSON operation's endpoint again at path.csv (and path.ndjson when ndjson_model is given).

    One media type per operation is what client generators handle; the endpoint tells the three
    apart by the matched path (api.render.formats.negotiate), so the bodies are the same as
    format= and Accept give on the plain path.
    """

    def register(endpoint: Endpoint) -> Endpoint:
        router.get(
            path + ".csv",
            operation_id=operation_id + "Csv",
            summary=f"{what} as CSV",
            response_class=Response,
            response_model=None,
            responses={**problems, **csv_success(csv_columns, f"{what} as CSV.")},
            description=f"The same query and rows as {router.prefix}{path}, as CSV (the whole result set unless "
            "limit/offset are given). Columns, in order: " + ", ".join(f"`{c}`" for c in csv_columns) + ".",
        )(endpoint)
        if ndjson_model is not None:
            router.get(
                path + ".ndjson",
                operation_id=operation_id + "Ndjson",
                summary=f"{what} as NDJSON",
                response_class=Response,
                response_model=None,
                responses={**problems, **ndjson_success(ndjson_model)},
                description=f"The same query as {router.prefix}{path}, one {ndjson_model} JSON object per line "
                "(the whole result set unless limit/offset are given).",
            )(endpoint)
        return endpoint

    return register


@dataclass(frozen=True, kw_only=True)
class ListSpec(Generic[R, P, PageT]):
    """One resource's list: the table it reads, the model of each item and of a page, the CSV file name."""

    table: type[R]
    public: type[P]
    page_model: type[PageT]
    filename: str
    fragment: FragmentKind | None = None
    """The stored JSON of its items, when the build precomputes it (models.fragment)."""

    def items(self, rows: list[R]) -> list[P]:
        return [to_public(self.public, row) for row in rows]


@dataclass(frozen=True, kw_only=True)
class ListQuery:
    """What one request asks of a list: which rows, in what order, which slice, in which format."""

    conditions: Conditions
    order: Sequence[Any]
    params: PageParams
    fmt: Format


def respond_list(
    spec: ListSpec[R, P, PageT], query: ListQuery, *, request: Request, session: Session, version: str
) -> PageT | Response:
    """A JSON page, or (for CSV and NDJSON) the whole result set unless limit/offset were given."""
    params = query.params
    if query.fmt is Format.json and spec.fragment is not None:
        limit = params.limit or PAGE_SIZE_DEFAULT
        stored = page_fragments(
            session,
            spec.table,
            spec.fragment,
            conditions=query.conditions,
            order_by=query.order,
            limit=limit,
            offset=params.offset,
        )
        total = counts.total(session, spec.table, query.conditions)
        links = page_links(request, total=total, limit=limit, offset=params.offset, codes=query.conditions.codes)
        envelope = spec.page_model(items=[], total=total, limit=limit, offset=params.offset, links=links)
        return json_response(page_body(envelope, stored))
    if query.fmt is Format.json:
        limit = params.limit or PAGE_SIZE_DEFAULT
        rows, total = page(
            session, spec.table, query.conditions, order_by=query.order, limit=limit, offset=params.offset
        )
        return spec.page_model(
            items=spec.items(rows),
            total=total,
            limit=limit,
            offset=params.offset,
            links=page_links(request, total=total, limit=limit, offset=params.offset, codes=query.conditions.codes),
        )
    rows = read_rows(
        session, spec.table, query.conditions, order_by=query.order, limit=params.limit, offset=params.offset
    )
    items = spec.items(rows)
    if query.fmt is Format.csv:
        columns, joined = columns_of(spec.public), joined_columns(spec.public)
        return csv_response(columns, model_rows(items), version=version, joined=joined, filename=spec.filename)
    return ndjson_response(items, version)
