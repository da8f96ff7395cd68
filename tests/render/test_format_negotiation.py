"""Choosing JSON, CSV or NDJSON from the Accept header (RFC 9110 12.5.1), and what each representation carries."""

import csv
import io
import json
from enum import StrEnum
from types import NoneType
from typing import get_args, get_origin

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, computed_field

from api.render.formats import (
    Format,
    _media_ranges,
    _specificity,
    accept_header,
    accepted_format,
    columns_of,
    csv_columns_description,
    csv_response,
    csv_success,
    csv_text,
    format_query,
    joined_columns,
    ndjson_response,
    ndjson_success,
    prefers_html,
    representation_key,
)
from models.adverse_event import AdverseEventPublic
from models.characteristic import CharacteristicPublic
from models.comparison import ComparisonRow
from models.epidemiology import EpidemiologyFigurePublic
from models.finding import FindingPublic
from models.outcome import OutcomePublic
from models.source import SourcePublic
from models.study_views import StudyPublic


@pytest.fixture(autouse=True)
def _uncached() -> None:
    # accepted_format remembers answers; each test must see the choice computed, not remembered.
    accepted_format.cache_clear()


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("", Format.json),
        ("*/*", Format.json),
        ("text/csv", Format.csv),
        ("TEXT/CSV", Format.csv),
        ("application/x-ndjson", Format.ndjson),
        ("text/*", Format.csv),
        ("application/*", Format.json),  # JSON and NDJSON tie: JSON is preferred
        ("text/csv;q=0.5, application/json", Format.json),
        ("application/json;q=0.5, text/csv", Format.csv),
        ("application/json;q=0.4, text/csv;q=0.5", Format.csv),
        ("text/csv, application/json", Format.csv),  # a tie on q: the range listed first
        ("application/json, text/csv", Format.json),
        ("text/csv;q=0", Format.json),  # refused: nothing acceptable, so the default
        ("text/csv;q=0.0", Format.json),
        ("text/csv;q=1.0", Format.csv),
        ("text/csv;q=1.0001", Format.json),  # malformed q: the range is skipped
        ("text/csv;q=2", Format.json),
        ("text/csv;q=", Format.json),
        ("text/csv;Q=0.9", Format.csv),
        ("text/csv;charset=utf-8", Format.csv),
        ("text/csv;level=1;q=0.3, application/x-ndjson;q=0.2", Format.csv),
        # An exact match outranks type/* and */* for the same format, whatever their order.
        # (NDJSON, named by nothing more specific, takes */*'s 0.9.)
        ("*/*;q=0.9, text/csv;q=0.1, application/json;q=0.5", Format.ndjson),
        ("*/*;q=0.9, text/csv;q=0.1, application/*;q=0.5", Format.json),
        ("text/csv;q=0.1, text/*;q=0.9, application/json;q=0.2", Format.json),
        ("text/*;q=0.9, text/csv;q=0.1, application/x-ndjson;q=0.5", Format.ndjson),
        ("*/*;q=0.1, application/x-ndjson;q=0.5", Format.ndjson),
        ("*/csv", Format.json),  # not a media range
        ("text", Format.json),
        ("/csv", Format.json),
        ("text/", Format.json),
        (" text/csv ; q=0.8 ", Format.csv),
        ("text/html, application/x-ndjson;q=0.9", Format.ndjson),
        ("image/png", Format.json),
        # Equal q, equal specificity: the range listed first wins.
        ("application/x-ndjson, text/csv", Format.ndjson),
        ("application/x-ndjson;q=0.5, application/*;q=0.5", Format.ndjson),
    ],
)
def test_accept_header_chooses_the_representation(accept: str, chosen: Format) -> None:
    assert accepted_format(accept) is chosen


def test_media_ranges_are_parsed_lower_cased_with_their_q() -> None:
    assert _media_ranges("Text/CSV;q=0.5, */*, bad, a/b;x=1;q=1") == [
        ("text", "csv", 0.5),
        ("*", "*", 1.0),
        ("a", "b", 1.0),
    ]
    assert _media_ranges("text/csv;q=-1") == []
    # Not media ranges: no subtype, no type, a subtype under the * type.
    assert _media_ranges("text/, /csv, */csv") == []
    assert _media_ranges("text/csv;q==0.5") == []  # a malformed q drops the range
    assert _media_ranges("text/csv;q=0") == [("text", "csv", 0.0)]  # refused, but a range
    assert _media_ranges("a/b/c") == [("a", "b/c", 1.0)]


def test_specificity_of_a_range_for_a_type() -> None:
    assert _specificity("text", "csv", "text", subtype="csv") == 2
    assert _specificity("text", "*", "text", subtype="csv") == 1
    assert _specificity("*", "*", "text", subtype="csv") == 0
    assert _specificity("image", "*", "text", subtype="csv") == -1
    assert _specificity("text", "html", "text", subtype="csv") == -1


def test_repeated_accept_lines_are_one_list() -> None:
    headers = [(b"accept", b"text/csv;q=0.1"), (b"host", b"x"), (b"accept", b"application/x-ndjson")]
    assert accept_header(headers) == "text/csv;q=0.1, application/x-ndjson"
    assert accept_header([]) == ""


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        ("text/html", True),
        ("text/html;q=0.1, */*", True),
        ("TEXT/HTML", True),
        ("text/html;q=0", False),
        ("*/*", False),
        ("text/*", False),
        ("application/json", False),
        ("", False),
    ],
)
def test_browsers_are_told_apart_by_naming_html(accept: str, html: bool) -> None:
    assert prefers_html(accept) is html


def test_representation_key_combines_format_and_html() -> None:
    assert representation_key("") == "json"
    assert representation_key("text/csv") == "csv"
    assert representation_key("text/html, application/x-ndjson;q=0.5") == "ndjson+html"
    assert representation_key("text/html") == "json+html"


class _Colour(StrEnum):
    red = "red-value"


class _Row(BaseModel):
    name: str
    tags: list[str]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def shout(self) -> str:
        return self.name.upper()


def test_columns_are_the_fields_then_the_computed_fields() -> None:
    assert columns_of(_Row) == ["name", "tags", "shout"]
    assert csv_columns_description(_Row) == "CSV columns, in order: `name`, `tags`, `shout`."


def test_cells_render_nulls_lists_mappings_booleans_and_enums() -> None:
    row = {
        "none": None,
        "list": ["=a", "b; c", _Colour.red, None, {"y": "é", "x": 1}],
        "empty": [],
        "joined": [_Colour.red, None, _Colour.red],
        "none_joined": [],
        "map": {"b": "é", "a": 1},
        "yes": True,
        "no": False,
        "enum": _Colour.red,
        "number": 3,
    }
    text = csv_text(list(row), [row], joined={"joined", "none_joined", "map"})
    assert text.endswith("\r\n") and text.count("\r\n") == 2
    header, values = list(csv.reader(io.StringIO(text, newline="")))
    assert header == list(row)
    # A list not joined is one JSON array, so an item holding '; ' stays one item.
    assert values == [
        "",
        '["=a", "b; c", "red-value", null, {"x": 1, "y": "é"}]',
        "[]",
        "red-value; ; red-value",
        "",
        '{"a": 1, "b": "é"}',
        "true",
        "false",
        "red-value",
        "3",
    ]
    assert json.loads(values[1])[1] == "b; c"
    assert csv_text(["a"], []) == "a\r\n"


class _Item(BaseModel):
    x: int


class _Lists(BaseModel):
    colours: list[_Colour]
    maybe_colours: list[_Colour] | None = None
    words: list[str]
    items: list[_Item]
    colour: _Colour
    either: list[_Colour] | list[str] | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def shades(self) -> list[_Colour]:
        return self.colours


def test_only_lists_of_enumeration_values_are_joined() -> None:
    assert joined_columns(_Lists) == {"colours", "maybe_colours", "shades"}


def test_csv_response_headers() -> None:
    named = csv_response(["a"], [{"a": 1}], version="v1", filename="things")
    assert named.headers["content-disposition"] == 'attachment; filename="things-v1.csv"'
    assert named.headers["x-dataset-version"] == "v1"
    assert named.headers["content-type"] == "text/csv; charset=utf-8"
    assert named.body == b"a\r\n1\r\n"
    lists = csv_response(["a", "b"], [{"a": [_Colour.red, _Colour.red], "b": ["x"]}], version="v", joined={"a"})
    assert lists.body == b'a,b\r\nred-value; red-value,"[""x""]"\r\n'
    plain = csv_response(["a"], [], version="v2")
    assert "content-disposition" not in plain.headers
    assert plain.headers["x-dataset-version"] == "v2"


def test_ndjson_response_is_one_object_a_line() -> None:
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/x")
    def x() -> object:
        return ndjson_response(iter([_Row(name="a", tags=[]), _Row(name="b", tags=["t"])]), "v3")

    response = TestClient(app).get("/x")
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["x-dataset-version"] == "v3"
    assert response.content.endswith(b"\n")
    assert [json.loads(line) for line in response.text.splitlines()] == [
        {"name": "a", "tags": [], "shout": "A"},
        {"name": "b", "tags": ["t"], "shout": "B"},
    ]


def test_openapi_responses_of_the_file_operations() -> None:
    assert csv_success(["a", "b"], "Rows.") == {
        200: {
            "description": "Rows.",
            "content": {"text/csv": {"schema": {"type": "string"}, "example": "a,b\r\n"}},
        }
    }
    # NDJSON is declared as bytes (format: binary, as OpenAPI 3.0 generators expect, and its media type the
    # 3.1 way), and again under application/octet-stream, the one form every generator returns whole.
    binary = {"schema": {"type": "string", "format": "binary", "contentMediaType": "application/x-ndjson"}}
    assert ndjson_success("Thing") == {
        200: {
            "description": "The whole result set (or the limit/offset slice), one Thing JSON object per line (UTF-8).",
            "content": {"application/x-ndjson": binary, "application/octet-stream": binary},
        }
    }


@pytest.mark.parametrize(
    ("path", "accept", "params", "media"),
    [
        ("/v1/studies", "text/csv", {}, "text/csv"),
        ("/v1/studies", "application/x-ndjson", {}, "application/x-ndjson"),
        ("/v1/studies", "text/csv", {"format": "json"}, "application/json"),  # format= over Accept
        ("/v1/studies", "", {"format": "ndjson"}, "application/x-ndjson"),
        ("/v1/studies.csv", "application/x-ndjson", {"format": "json"}, "text/csv"),  # the path over both
        ("/v1/studies.ndjson", "text/csv", {}, "application/x-ndjson"),
        ("/v1/dataset.zip", "", {}, "application/zip"),
    ],
)
def test_the_path_then_format_then_accept_choose(
    client: TestClient, path: str, accept: str, params: dict[str, str], media: str
) -> None:
    response = client.get(path, params=params, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)


@pytest.mark.parametrize(
    ("offered", "wording"),
    [
        ((Format.json, Format.csv, Format.ndjson), "Input should be 'json', 'csv' or 'ndjson'"),
        ((Format.csv, Format.ndjson), "Input should be 'csv' or 'ndjson'"),
        ((Format.ndjson,), "Input should be 'ndjson'"),
    ],
)
def test_format_query_refuses_in_words_listing_what_is_offered(offered: tuple[Format, ...], wording: str) -> None:
    from typing import Annotated

    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/x")
    def x(format: Annotated[Format | None, format_query(*offered, description="d")] = None) -> str:
        return str(format)

    client = TestClient(app)
    assert client.get("/x", params={"format": offered[-1].value}).json() == offered[-1].value
    refused = client.get("/x", params={"format": "xml"})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["msg"] == wording
    assert refused.json()["detail"][0]["type"] == "enum"


@pytest.mark.parametrize(
    "model",
    [
        SourcePublic,
        StudyPublic,
        OutcomePublic,
        AdverseEventPublic,
        CharacteristicPublic,
        FindingPublic,
        EpidemiologyFigurePublic,
        ComparisonRow,
    ],
)
def test_no_value_of_a_joined_column_holds_the_separator(model: type[BaseModel]) -> None:
    for name in joined_columns(model):
        field = model.model_fields.get(name)
        annotation = field.annotation if field else model.model_computed_fields[name].return_type
        (item,) = (
            [a for a in get_args(annotation) if a is not NoneType]
            if get_origin(annotation) is not list
            else [annotation]
        )
        (enumeration,) = get_args(item)
        assert not [e.value for e in enumeration if "; " in e.value], (model.__name__, name)
