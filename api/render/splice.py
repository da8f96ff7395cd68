"""JSON answers spliced from precomputed fragments (models.fragment): the envelope is rendered
by its response model as usual, and the records' stored bytes go where its items would be."""

from collections.abc import Sequence
from typing import Any

from fastapi.responses import Response

from models.page import Page

JSON = "application/json"


def json_response(body: bytes) -> Response:
    """An answer whose JSON is already written, with the headers FastAPI gives a response model's."""
    return Response(content=body, media_type=JSON)


def json_array(items: Sequence[bytes]) -> bytes:
    return b"[" + b",".join(items) + b"]"


def page_body(envelope: Page[Any], items: Sequence[bytes]) -> bytes:
    """The page as its model writes it, with items' JSON as its items: envelope is the page with none."""
    empty = envelope.model_dump_json(by_alias=True).encode()
    head = b'{"items":[]'
    if envelope.items or not empty.startswith(head):  # the page model lists items first, and holds none here
        raise ValueError("page_body takes an envelope without items, whose JSON starts with its items")
    return b'{"items":' + json_array(items) + empty[len(head) :]
