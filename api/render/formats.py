"""Representations of list results: JSON pages, CSV and newline-delimited JSON.

CSV columns are the response model's fields in declaration order (lists joined by '; ',
empty cells for nulls), so they are stable and documented by the model itself.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel

CSV_MEDIA_TYPE = "text/csv"
NDJSON_MEDIA_TYPE = "application/x-ndjson"


class Format(StrEnum):
    json = "json"
    csv = "csv"
    ndjson = "ndjson"


FormatQuery = Annotated[
    Format | None,
    Query(
        description="Representation: json (paginated, the default), csv or ndjson (the whole result set unless "
        "limit/offset are given). The Accept header (text/csv, application/x-ndjson) works too."
    ),
]


def negotiate(request: Request, requested: Format | None) -> Format:
    if requested is not None:
        return requested
    return accepted_format(request.headers.get("accept", ""))


def accepted_format(accept: str) -> Format:
    """The representation an Accept header asks for (the response cache keys on it too)."""
    if CSV_MEDIA_TYPE in accept:
        return Format.csv
    if NDJSON_MEDIA_TYPE in accept:
        return Format.ndjson
    return Format.json


def columns_of(model: type[BaseModel]) -> list[str]:
    return [*model.model_fields, *model.model_computed_fields]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(_cell(v)) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, StrEnum):
        return value.value
    return value


def csv_text(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def csv_response(model: type[BaseModel], items: Iterable[BaseModel], filename: str, version: str) -> Response:
    rows = (item.model_dump(mode="python") for item in items)
    return Response(
        csv_text(columns_of(model), rows),
        media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}-{version}.csv"',
            "X-Dataset-Version": version,
        },
    )


def ndjson_response(items: Iterable[BaseModel], version: str) -> StreamingResponse:
    def lines() -> Iterator[bytes]:
        for item in items:
            yield item.model_dump_json().encode() + b"\n"

    return StreamingResponse(lines(), media_type=NDJSON_MEDIA_TYPE, headers={"X-Dataset-Version": version})


def list_responses(model: type[BaseModel], page_model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI description of a list operation's three representations."""
    columns = ", ".join(columns_of(model))
    return {
        200: {
            "model": page_model,
            "description": "A page of results (JSON), or the whole result set as CSV or NDJSON.",
            "content": {
                CSV_MEDIA_TYPE: {
                    "schema": {"type": "string"},
                    "example": columns + "\r\n",
                },
                NDJSON_MEDIA_TYPE: {"schema": {"type": "string", "description": f"One {model.__name__} per line."}},
            },
        }
    }


def csv_columns_description(model: type[BaseModel]) -> str:
    return "CSV columns, in order: " + ", ".join(f"`{c}`" for c in columns_of(model)) + "."
