"""Representations of list results: JSON pages, CSV and newline-delimited JSON.

CSV columns are the response model's fields in declaration order (empty cells for nulls), so
they are stable and documented by the model itself. A list of enumeration values is joined by
'; '; any other list (free text, ids, objects such as an inferred field and its reason) is one
JSON array, as an object is one JSON object, since its items could hold '; ' themselves. Text
cells that a spreadsheet would read as a formula get a leading apostrophe.

Each representation has its own path in the OpenAPI document (/v1/outcomes is JSON,
/v1/outcomes.csv CSV, /v1/outcomes.ndjson NDJSON) so generated clients see one media type per
operation; `format=` and the Accept header still choose on the plain path, for curl users, and
give the same bodies. They are left out of the document because a generated client cannot parse
what they select.
"""

import csv
import io
import json
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from enum import Enum, StrEnum
from functools import lru_cache
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from fastapi import Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, BeforeValidator
from pydantic_core import PydanticCustomError

CSV_MEDIA_TYPE = "text/csv"
NDJSON_MEDIA_TYPE = "application/x-ndjson"


class Format(StrEnum):
    json = "json"
    csv = "csv"
    ndjson = "ndjson"


def format_query(*offered: Format, description: str) -> Any:
    """The `format` query parameter of an operation offering these representations: use it as
    Annotated[Format | None, format_query(...)], absent (None) meaning the Accept header decides.

    Every operation's `format` is made here, so they take and refuse values alike: anything
    not offered is refused in the words Pydantic uses for an enumeration ("Input should be
    'json' or 'csv'"). It is left out of the document: the operations whose paths end in
    .csv, .ndjson or .zip are the ones a generated client can parse.
    """
    values = [f.value for f in offered]
    expected = " or ".join(filter(None, [", ".join(map(repr, values[:-1])), repr(values[-1])]))

    def check(value: Any) -> Any:
        if value not in values:
            raise PydanticCustomError("enum", "Input should be {expected}", {"expected": expected})
        return value

    query: Any = Query(description=description, include_in_schema=False)
    query.metadata.append(BeforeValidator(check))  # Pydantic applies a field's metadata as its validators
    return query


FormatQuery = Annotated[
    Format | None,
    format_query(
        Format.json,
        Format.csv,
        Format.ndjson,
        description="Representation: json (paginated, the default), csv or ndjson (the whole result set unless "
        "limit/offset are given). The Accept header (text/csv, application/x-ndjson) works too.",
    ),
]
"""Lists: JSON pages, or the whole result set as CSV or NDJSON."""

ComparisonFormatQuery = Annotated[
    Format | None,
    format_query(Format.json, Format.csv, description="json (default) or csv; the Accept header (text/csv) works too."),
]
"""GET /v1/comparison: JSON or CSV."""

DatasetFormatQuery = Annotated[
    Format | None,
    format_query(Format.json, Format.csv, description="json (default) or csv (a ZIP of tables)."),
]
"""GET /v1/dataset: JSON or a ZIP of CSV tables."""

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
    return accepted_format(accept_header(request.scope["headers"]))


def accept_header(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """Every Accept line of a request as one list (RFC 9110 5.3), empty lines included.

    The response cache keys on this same reading, so the two can never disagree.
    """
    return ", ".join(value.decode("latin-1") for name, value in headers if name == b"accept")


# What each format answers to, in the server's order of preference on a tie.
OFFERED = (
    (Format.json, "application", "json"),
    (Format.csv, "text", "csv"),
    (Format.ndjson, "application", "x-ndjson"),
)
QVALUE = re.compile(r"(0(\.[0-9]{0,3})?|1(\.0{0,3})?)")


def _media_ranges(accept: str) -> list[tuple[str, str, float]]:
    """(type, subtype, q) of each well-formed media range, lower-cased; malformed ones are skipped."""
    ranges = []
    for item in accept.split(","):
        media, *parameters = item.split(";")
        kind, slash, subtype = media.strip().lower().partition("/")
        if not slash or not kind or not subtype or (kind == "*" and subtype != "*"):
            continue
        q = 1.0
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                q = float(value.strip()) if QVALUE.fullmatch(value.strip()) else -1.0
        if q >= 0:
            ranges.append((kind, subtype, q))
    return ranges


def _specificity(range_type: str, range_subtype: str, kind: str, *, subtype: str) -> int:
    """2 for an exact match, 1 for type/*, 0 for */*, -1 when the range does not match."""
    if (range_type, range_subtype) == (kind, subtype):
        return 2
    if (range_type, range_subtype) == (kind, "*"):
        return 1
    return 0 if range_type == "*" else -1


@lru_cache(maxsize=256)
def accepted_format(accept: str) -> Format:
    """The representation an Accept header asks for (RFC 9110 12.5.1): JSON unless CSV or NDJSON is preferred.

    Each format takes the q of the most specific range that matches it (an exact type over
    type/*, over */*); the highest q wins, then the more specific match, then the range listed
    first, then JSON, CSV, NDJSON. Nothing acceptable (or no Accept) answers JSON, the default.
    """
    ranges = _media_ranges(accept)
    best: tuple[float, int, int, int] | None = None
    chosen = Format.json
    for preference, (fmt, kind, subtype) in enumerate(OFFERED):
        matches = [
            (specificity, q, -position)
            for position, (k, s, q) in enumerate(ranges)
            if (specificity := _specificity(k, s, kind, subtype=subtype)) >= 0
        ]
        if not matches:
            continue
        specificity, q, neg_position = max(matches)
        rank = (q, specificity, neg_position, -preference)
        if q > 0 and (best is None or rank > best):
            best, chosen = rank, fmt
    return chosen


def prefers_html(accept: str) -> bool:
    """A browser's Accept header (text/html named); API clients send */* or application/json, or nothing."""
    return any((kind, subtype) == ("text", "html") and q > 0 for kind, subtype, q in _media_ranges(accept))


@lru_cache(maxsize=256)
def representation_key(accept: str) -> str:
    """What an Accept header can change in a response: the list format, and HTML or not at the front door."""
    return accepted_format(accept).value + ("+html" if prefers_html(accept) else "")


def columns_of(model: type[BaseModel]) -> list[str]:
    return [*model.model_fields, *model.model_computed_fields]


LIST_SEPARATOR = "; "


def _enumeration_list(annotation: Any) -> bool:
    """list[E] or list[E] | None, E an enumeration."""
    if get_origin(annotation) in (Union, UnionType):
        present = [a for a in get_args(annotation) if a is not NoneType]
        annotation = present[0] if len(present) == 1 else None
    item = get_args(annotation)[0] if get_origin(annotation) is list else None
    return isinstance(item, type) and issubclass(item, Enum)


def joined_columns(model: type[BaseModel]) -> frozenset[str]:
    """The list columns of model's CSV joined by LIST_SEPARATOR: lists of enumeration values, none of
    which holds it. Every other list is written as one JSON array (see _cell)."""
    types = {name: f.annotation for name, f in model.model_fields.items()}
    types |= {name: f.return_type for name, f in model.model_computed_fields.items()}
    return frozenset(name for name, annotation in types.items() if _enumeration_list(annotation))


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any, *, joined: bool) -> Any:
    if isinstance(value, list) and joined:
        return LIST_SEPARATOR.join(str(_scalar(v)) for v in value)
    if isinstance(value, list | dict):
        # One JSON value per cell: any other list's items (an inferred field's reason, an
        # author) may hold the separator themselves.
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return _scalar(value)


def _scalar(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        # A spreadsheet would run it as a formula (OWASP "CSV injection"): a leading
        # apostrophe makes it text. The JSON representations carry the text unchanged.
        return "'" + value
    return value


def csv_text(columns: Sequence[str], rows: Iterable[dict[str, Any]], *, joined: Collection[str] = ()) -> str:
    """CSV with a header row; a column named twice is refused, since pandas and csv.DictReader drop one.

    Lists in the `joined` columns (joined_columns of the model) are joined by LIST_SEPARATOR, any
    other list is one JSON array.
    """
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise ValueError(f"CSV columns named more than once: {', '.join(repeated)}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c), joined=c in joined) for c in columns])
    return out.getvalue()


def model_rows(items: Iterable[BaseModel]) -> Iterator[dict[str, Any]]:
    """Response models as CSV rows (see columns_of for their columns)."""
    return (item.model_dump(mode="python") for item in items)


def csv_response(
    columns: Sequence[str],
    rows: Iterable[dict[str, Any]],
    *,
    version: str,
    joined: Collection[str] = (),
    filename: str | None = None,
) -> Response:
    """Every CSV answer: UTF-8, the dataset version, and for whole lists a download file name."""
    headers = {"X-Dataset-Version": version}
    if filename is not None:
        headers = {"Content-Disposition": f'attachment; filename="{filename}-{version}.csv"', **headers}
    body = csv_text(columns, rows, joined=joined)
    return Response(body, media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8", headers=headers)


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


OCTET_STREAM = "application/octet-stream"


def bytes_success(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI 200 response of a body that is neither JSON nor text/* (ZIP, SVG, NDJSON), typed for every generator.

    `format: binary` is what OpenAPI 3.0 generators read as "hand back the bytes" (openapi-generator's
    Python client otherwise decodes a ZIP as text, or refuses SVG and NDJSON as unsupported);
    `contentMediaType` is the OpenAPI 3.1 way of saying what the string holds. The same bytes are
    listed again under application/octet-stream, the one media type beyond JSON and text/* that
    openapi-python-client's default configuration reads: without it, its clients treat the 200 as
    undeclared. The server labels the body with the first, real media type.
    """
    return {
        200: {
            "description": description,
            "content": {
                media_type: {"schema": {"type": "string", "format": "binary", "contentMediaType": media_type}},
                OCTET_STREAM: {"schema": {"type": "string", "format": "binary", "contentMediaType": media_type}},
            },
        }
    }


def ndjson_success(model_name: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI 200 response of an NDJSON operation."""
    return bytes_success(
        NDJSON_MEDIA_TYPE,
        f"The whole result set (or the limit/offset slice), one {model_name} JSON object per line (UTF-8).",
    )


def csv_columns_description(model: type[BaseModel]) -> str:
    return "CSV columns, in order: " + ", ".join(f"`{c}`" for c in columns_of(model)) + "."
