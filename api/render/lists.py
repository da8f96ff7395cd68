"""Lists as responses: a JSON page with its links, or the whole result set as CSV or NDJSON."""

from fastapi import Request

from api.state import pinned_version
from models.page import PageLinks


def page_links(request: Request, *, total: int, limit: int, offset: int) -> PageLinks:
    """Links to this list's pages; under a ?version= pin they stay pinned to that release."""
    pin = pinned_version(request.scope)
    pinned = {} if pin is None else {"version": pin}

    def at(new_offset: int) -> str:
        return str(request.url.include_query_params(limit=limit, offset=new_offset, **pinned))

    return PageLinks(
        self=at(offset),
        first=at(0),
        prev=at(max(0, offset - limit)) if offset > 0 else None,
        next=at(offset + limit) if offset + limit < total else None,
    )
