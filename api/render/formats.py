"""Representations of list results: JSON pages, CSV and newline-delimited JSON.

CSV columns are the response model's fields in declaration order (lists joined by '; ',
empty cells for nulls), so they are stable and documented by the model itself.

Each representation has its own path in the OpenAPI document (/v1/outcomes is JSON,
/v1/outcomes.csv CSV, /v1/outcomes.ndjson NDJSON) so generated clients see one media type per
operation; `format=` and the Accept header still choose on the plain path, for curl users, and
give the same bodies. They are left out of the document because a generated client cannot parse
what they select.
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
        "limit/offset are given). The Accept header (text/csv, application/x-ndjson) works too.",
        include_in_schema=False,
    ),
]

OTHER_FORMATS = (
    "A JSON page; the same path with .csv or .ndjson appended gives the whole result set in that format "
    "(format=csv|ndjson or an Accept header of text/csv or application/x-ndjson on this path give the same)."
)

# Path suffixes of the per-representation operations, and what they serve.
SUFFIX_FORMATS = {".csv": "csv", ".ndjson": "ndjson", ".zip": "csv"}


def path_format(request: Request) -> str | None:
    """The representation the matched route's path names by its suffix (.csv, .ndjson, .zip), if any."""
    path = getattr(request.scope.get("route"), "path", "")
    for suffix, name in SUFFIX_FORMATS.items():
        if path.endswith(suffix):
            return name
    return None


def negotiate(request: Request, requested: Format | None) -> Format:
    """The suffix of the path, else format=, else the Accept header, else JSON."""
    by_path = path_format(request)
    if by_path is not None:
        return Format(by_path)
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


def prefers_html(accept: str) -> bool:
    """A browser's Accept header (text/html named); API clients send */* or application/json, or nothing."""
    return "text/html" in accept


def representation_key(accept: str) -> str:
    """What an Accept header can change in a response: the list format, and HTML or not at the front door."""
    return accepted_format(accept).value + ("+html" if prefers_html(accept) else "")


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


def csv_success(columns: Sequence[str], description: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI 200 response of a CSV operation: text, with its header row as the example."""
    return {
        200: {
            "description": description,
            "content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}, "example": ",".join(columns) + "\r\n"}},
        }
    }


def ndjson_success(model_name: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI 200 response of an NDJSON operation."""
    return {
        200: {
            "description": f"The whole result set (or the limit/offset slice), one {model_name} JSON object per line.",
            "content": {
                NDJSON_MEDIA_TYPE: {"schema": {"type": "string", "description": f"One {model_name} per line."}}
            },
        }
    }


def csv_columns_description(model: type[BaseModel]) -> str:
    return "CSV columns, in order: " + ", ".join(f"`{c}`" for c in columns_of(model)) + "."
