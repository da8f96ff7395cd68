"""Lists as responses: a JSON page with its links, or the whole result set as CSV or NDJSON."""

from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode

from fastapi import Request
from starlette.datastructures import URL

from api.state import pinned_version
from models.page import PageLinks


def _by_terms(url: URL, codes: Mapping[str, Mapping[str, list[str]]]) -> URL:
    """The URL with each code a filter was given replaced by the terms it stands for (each once)."""
    pairs: list[tuple[str, str]] = []
    for name, value in parse_qsl(url.query, keep_blank_values=True):
        terms = codes.get(name, {}).get(value)
        pairs += [(name, t) for t in terms] if terms else [(name, value)]
    return url.replace(query=urlencode(list(dict.fromkeys(pairs))))


def pin_of(request: Request) -> dict[str, str]:
    """`{"version": V}` under a ?version= pin (taken off the query before routing), else nothing:
    the links of a pinned answer stay pinned."""
    pin = pinned_version(request.scope)
    return {} if pin is None else {"version": pin}


def pinned_url(request: Request, url: str) -> str:
    """A link of this answer: under a ?version= pin it carries the pin, so a reader who follows it stays in the
    release the answer is of (session 15's probe, JA6: an embedded table's study links led to the current one)."""
    pinned = pin_of(request)
    return str(URL(url).include_query_params(**pinned)) if pinned else url


def page_links(
    request: Request, *, total: int, limit: int, offset: int, codes: Mapping[str, Mapping[str, list[str]]] | None = None
) -> PageLinks:
    """Links to this page and its neighbours; filters asked by code (CURIE) are written as their terms,
    so asking by code and by term answers with the same body; under a ?version= pin they stay pinned."""
    base = _by_terms(request.url, codes) if codes else request.url
    pinned = pin_of(request)

    def at(new_offset: int) -> str:
        return str(base.include_query_params(limit=limit, offset=new_offset, **pinned))

    return PageLinks(
        self=at(offset),
        first=at(0),
        prev=at(max(0, offset - limit)) if offset > 0 else None,
        next=at(offset + limit) if offset + limit < total else None,
    )
