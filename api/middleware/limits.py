"""Input limits: a bounded query string in UTF-8, and only the query parameters a route declares,
each given once unless it takes a list.

The page-size cap lives with the pagination parameters (api.deps) and path parameters are
validated where they are declared; this module holds the limits that apply to every route.
"""

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin
from urllib.parse import unquote_to_bytes, urlencode

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import InvalidInput
from api.render.problems import problem_response
from models.enums import case_folded
from models.problem import ProblemField

MAX_QUERY_STRING_BYTES = 2048


def not_utf8(query_string: bytes) -> list[str]:
    """The query parameters, named as given, whose name or value is not UTF-8 once percent-decoded
    (`?measure=%ff`): the parser would read each bad byte as U+FFFD and go on with another value."""
    if b"%" not in query_string and query_string.isascii():
        return []
    found = []
    for pair in query_string.split(b"&"):
        name, _, value = pair.partition(b"=")
        try:
            unquote_to_bytes(name.replace(b"+", b" ")).decode()
            unquote_to_bytes(value.replace(b"+", b" ")).decode()
        except UnicodeDecodeError:
            found.append(name.decode("latin-1"))
    return found


class QueryStringLimit:
    """Answer 414 (problem details) to a query string over MAX_QUERY_STRING_BYTES, and 400 to one
    not in UTF-8, before any parsing (under /fhir, as an OperationOutcome)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query_string = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if len(query_string) > MAX_QUERY_STRING_BYTES:
            detail = (
                f"The query string is {len(query_string)} bytes long; at most {MAX_QUERY_STRING_BYTES} are accepted."
            )
            await problem_response(Request(scope), 414, detail)(scope, receive, send)
            return
        if names := not_utf8(query_string):
            listing = ", ".join(repr(name) for name in names[:5]) + (
                f" and {len(names) - 5} more" if len(names) > 5 else ""
            )
            detail = f"The query parameter(s) {listing} are not UTF-8 once percent-decoded; encode text in UTF-8."
            errors = [
                ProblemField(location=f"query.{name}", message="not UTF-8 once percent-decoded") for name in names
            ]
            await problem_response(Request(scope), 400, detail, errors=errors)(scope, receive, send)
            return
        await self.app(scope, receive, send)


# A whole number as people write it: ASCII digits, an optional minus. Pydantic's lax integers
# also take '1.0', '+5', ' 5', '1_0' and other scripts' digits, none of which the document
# (type: integer) promises.
PLAIN_INTEGER = re.compile(r"-?[0-9]+")


@dataclass(frozen=True)
class QueryParameters:
    """What a route declares in its query string: every name, and those that take whole numbers."""

    names: frozenset[str]
    integers: frozenset[str]
    lists: frozenset[str]
    """Those that take several values (repeated: `?measure=cr&measure=os`); every other one takes one."""
    canonical: Mapping[str, Mapping[str, str]]
    """Per enumerated parameter: each allowed value, case-folded, to the value as declared."""


def _takes_integers(annotation: Any) -> bool:
    """int, or int inside Optional, list or Annotated (bool is not a whole number here)."""
    if annotation is int:
        return True
    return any(_takes_integers(arg) for arg in get_args(annotation))


def _takes_list(annotation: Any) -> bool:
    """list[...] (or a set or tuple), alone or inside Optional or Annotated: FastAPI reads every repeat of it."""
    origin = get_origin(annotation)
    if origin in (list, set, frozenset, tuple):
        return True
    if origin is Annotated or origin in (Union, UnionType):
        return any(_takes_list(arg) for arg in get_args(annotation))
    return False


def _enum_values(annotation: Any) -> list[str]:
    """The values of an Enum, or of an Enum inside Optional, list or Annotated; none for other types."""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(member.value) for member in annotation]
    return [value for arg in get_args(annotation) for value in _enum_values(arg)]


def _declared(dependant: Dependant) -> Iterator[tuple[str, Any]]:
    """(name, annotation) of every query parameter of the dependant and its dependencies, the
    fields of a query-parameter model each counted as a parameter (as FastAPI documents them)."""
    for field in dependant.query_params:
        annotation = field.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for name, info in annotation.model_fields.items():
                yield info.alias or name, info.annotation
        else:
            yield field.alias, annotation
    for sub in dependant.dependencies:
        yield from _declared(sub)


# Kept on the route itself (routes are not hashable): its declaration never changes once it exists.
_CACHED = "_tall_query_parameters"


def query_parameters(route: APIRoute) -> QueryParameters:
    """Read from the route's declaration, not from the OpenAPI document: the same names (FastAPI
    documents exactly these), but building the document costs a new process about a second
    before its first answer."""
    cached = getattr(route, _CACHED, None)
    if isinstance(cached, QueryParameters):
        return cached
    declared = list(_declared(route.dependant))
    found = QueryParameters(
        names=frozenset(name for name, _ in declared),
        integers=frozenset(name for name, annotation in declared if _takes_integers(annotation)),
        lists=frozenset(name for name, annotation in declared if _takes_list(annotation)),
        canonical={name: case_folded(values) for name, annotation in declared if (values := _enum_values(annotation))},
    )
    setattr(route, _CACHED, found)
    return found


async def reject_unknown_query_parameters(request: Request) -> None:
    """422 naming every query parameter the matched route does not declare, and every integer not written plainly."""
    route = request.scope.get("route")
    # Documented operations only, as the OpenAPI document lists them (GET; HEAD is not listed).
    if not isinstance(route, APIRoute) or not route.include_in_schema or request.method not in (route.methods or ()):
        return
    declared = query_parameters(route)
    unknown = sorted(set(request.query_params) - declared.names)
    if unknown:
        listing = ", ".join(sorted(declared.names)) or "none"
        raise InvalidInput(
            f"Unknown query parameter(s): {', '.join(unknown)}. This route accepts: {listing}.",
            [
                ProblemField(location=f"query.{name}", message=f"unknown query parameter; accepted: {listing}")
                for name in unknown
            ],
        )
    # One value given twice would otherwise be read as the last one silently.
    given = Counter(name for name, _ in request.query_params.multi_items())
    loose = [
        ProblemField(location=f"query.{name}", message=f"given {times} times; it takes one value")
        for name, times in sorted(given.items())
        if times > 1 and name not in declared.lists
    ]
    loose += [
        ProblemField(location=f"query.{name}", message=f"{value!r} is not a whole number in ASCII digits")
        for name in sorted(declared.integers)
        for value in request.query_params.getlist(name)
        if not PLAIN_INTEGER.fullmatch(value)
    ]
    if loose:
        raise InvalidInput("The request has invalid parameters.", loose)
    canonicalize_enumerated_values(request, declared.canonical)


def canonicalize_enumerated_values(request: Request, canonical: Mapping[str, Mapping[str, str]]) -> None:
    """`measure=CR` is read as `measure=cr`: enumerated values are matched regardless of case.

    The request's query string is rewritten before any parameter is read, so validation, the
    answer and the links it carries (built from the request's URL) all hold the declared value;
    a value matching nothing is left as it is, to be refused with the allowed values listed.
    """
    items = request.query_params.multi_items()
    fixed = [(name, canonical.get(name, {}).get(value.casefold(), value)) for name, value in items]
    if fixed == items:
        return
    request.scope["query_string"] = urlencode(fixed).encode("latin-1")
    # Starlette keeps what it parsed from the scope; read it again from the new query string.
    request._query_params = QueryParams(request.scope["query_string"])
    request.__dict__.pop("_url", None)


QUERY_PARAMETER_POLICY = [Depends(reject_unknown_query_parameters)]
"""Route dependencies applying the unknown-parameter policy (give to FastAPI(dependencies=...))."""
