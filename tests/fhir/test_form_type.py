"""Which bodies POST [type]/_search reads as its form (FHIR: application/x-www-form-urlencoded), checked
in process on the request as the route sees it. tests/http/test_fhir_search_edges.py sends the same
over a real socket to a server process, which mutation testing cannot reach."""

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from starlette.requests import Request

from api.fhir.routes import _check_form_type, _form_pairs
from api.fhir.search_parameters import SearchRefused
from api.request_body import BodyRefused

T = TypeVar("T")
WANTED = "POST _search takes a form body: Content-Type application/x-www-form-urlencoded, in UTF-8"


def _request(headers: dict[str, str]) -> Request:
    raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/fhir/Evidence/_search", "headers": raw})


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/x-www-form-urlencoded"},
        {"Content-Type": "Application/X-WWW-Form-Urlencoded"},
        {"Content-Type": " application/x-www-form-urlencoded ; charset=utf-8"},
        {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
        {"Content-Type": 'application/x-www-form-urlencoded; charset="us-ascii"'},
        {"Content-Type": "application/x-www-form-urlencoded; CHARSET = utf-8 "},
        {"Content-Type": "application/x-www-form-urlencoded; boundary=x; other"},
        {},  # no body: every parameter in the URL
        {"Content-Length": "0"},
    ],
)
def test_a_utf8_form_or_no_body_is_read(headers: dict[str, str]) -> None:
    _check_form_type(_request(headers))


@pytest.mark.parametrize(
    ("headers", "said"),
    [
        ({"Content-Length": "12"}, f"{WANTED}; this request has a body and no Content-Type."),
        ({"Transfer-Encoding": "chunked"}, f"{WANTED}; this request has a body and no Content-Type."),
        ({"Content-Type": "application/json"}, f"{WANTED}, not application/json."),
        ({"Content-Type": ""}, f"{WANTED}, not an empty one."),
        ({"Content-Type": "; charset=utf-8"}, f"{WANTED}, not an empty one."),
        ({"Content-Type": "multipart/form-data; boundary=x"}, f"{WANTED}, not multipart/form-data."),
        (
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-16"},
            f"{WANTED} (charset utf-8 or us-ascii), not charset utf-16.",
        ),
        (
            {"Content-Type": 'application/x-www-form-urlencoded; Charset="Latin-1"'},
            f"{WANTED} (charset utf-8 or us-ascii), not charset latin-1.",
        ),
        (
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8; charset=utf-7"},
            f"{WANTED} (charset utf-8 or us-ascii), not charset utf-7.",
        ),
        # The value is all after the first '=', and only quotes and white space are taken off it.
        (
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8=x"},
            f"{WANTED} (charset utf-8 or us-ascii), not charset utf-8=x.",
        ),
        (
            {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8X"},
            f"{WANTED} (charset utf-8 or us-ascii), not charset utf-8x.",
        ),
    ],
)
def test_any_other_body_is_refused_with_415_saying_what_is_wanted(headers: dict[str, str], said: str) -> None:
    with pytest.raises(SearchRefused) as refused:
        _check_form_type(_request(headers))
    assert (refused.value.status, refused.value.code, refused.value.diagnostics) == (415, "not-supported", said)


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """The coroutine run to its end on a thread of its own: the thread running the tests may hold a
    running event loop left by another test of the same worker (asyncio.run refuses to nest)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _posted(body: bytes, *, chunk: int = 700) -> Request:
    """A form POST whose body arrives in chunks, as a server hands it on."""
    parts = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(parts) - 1} for i, p in enumerate(parts)]

    async def receive() -> dict[str, object]:
        return messages.pop(0)

    headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    scope = {"type": "http", "method": "POST", "path": "/fhir/Evidence/_search", "headers": headers}
    return Request(scope, receive)  # type: ignore[arg-type]


def test_a_form_body_is_read_as_utf8_pairs_keeping_blank_values() -> None:
    pairs = _run(_form_pairs(_posted(b"measure=cr&_count=&q=caf%C3%A9+au+lait&measure=os"), seconds=5))
    assert pairs == [("measure", "cr"), ("_count", ""), ("q", "café au lait"), ("measure", "os")]


@pytest.mark.parametrize("body", [b"q=%FF", b"q=caf\xc3\xa9", b"q=%C3"])
def test_a_body_not_in_utf8_form_encoding_is_refused_with_400(body: bytes) -> None:
    with pytest.raises(SearchRefused) as refused:
        _run(_form_pairs(_posted(body), seconds=5))
    assert (refused.value.status, refused.value.code, refused.value.diagnostics) == (
        400,
        "invalid",
        "The form body is not valid UTF-8 form encoding.",
    )


def test_a_form_body_is_read_up_to_2048_bytes() -> None:
    # docs/limits.md: a form of at most 2048 bytes, else 413.
    at_limit = b"q=" + b"a" * 2046
    assert _run(_form_pairs(_posted(at_limit), seconds=5)) == [("q", "a" * 2046)]
    with pytest.raises(BodyRefused) as refused:
        _run(_form_pairs(_posted(at_limit + b"a"), seconds=5))
    assert (refused.value.status, str(refused.value)) == (413, "the body is over 2048 bytes")


def test_a_form_body_not_arrived_in_time_is_refused_with_408() -> None:
    async def never() -> dict[str, object]:
        await asyncio.sleep(60)
        raise AssertionError("not reached")

    scope = {"type": "http", "method": "POST", "path": "/fhir/Evidence/_search", "headers": []}
    with pytest.raises(BodyRefused) as refused:
        _run(_form_pairs(Request(scope, never), seconds=0.05))  # type: ignore[arg-type]
    assert refused.value.status == 408


def _state(body_timeout: float) -> Any:
    from types import SimpleNamespace

    return SimpleNamespace(body_timeout=body_timeout)


@pytest.mark.parametrize(("resource_type", "dated"), [("CodeSystem", True), ("Evidence", False)])
def test_the_search_form_reads_the_query_and_a_dated_type_says_its_build(resource_type: str, dated: bool) -> None:
    from types import SimpleNamespace

    from api.fhir.routes import _search_form
    from api.state import build_described

    request = _posted(b"_count=1&_id=x")
    request.scope["query_string"] = b"_summary=count"
    meta = SimpleNamespace(built_at="2026-12-07T00:00:00Z")
    pairs = _run(_search_form(resource_type, request, state=_state(5), meta=meta))  # type: ignore[arg-type]
    assert pairs == [("_summary", "count"), ("_count", "1"), ("_id", "x")]
    # A dated type's answer shows the build (its ETag differs between builds), as its GET search's does.
    assert build_described(request.scope) == ("2026-12-07T00:00:00Z" if dated else None)


def test_the_search_form_keeps_the_body_deadline() -> None:
    from api.fhir.routes import _search_form

    async def never() -> dict[str, object]:
        await asyncio.sleep(60)
        raise AssertionError("not reached")

    headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    scope = {"type": "http", "method": "POST", "path": "/fhir/Evidence/_search", "headers": headers}
    scope["query_string"] = b""
    with pytest.raises(BodyRefused) as refused:
        _run(_search_form("Evidence", Request(scope, never), state=_state(0.05), meta=None))  # type: ignore[arg-type]
    assert refused.value.status == 408
