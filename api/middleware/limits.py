"""Input limits: a bounded query string, and only the query parameters a route declares.

The page-size cap lives with the pagination parameters (api.deps) and path parameters are
validated where they are declared; this module holds the limits that apply to every route.
"""

import re
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import InvalidInput
from api.render.problems import problem_response
from models.problem import ProblemField

MAX_QUERY_STRING_BYTES = 2048


class QueryStringLimit:
    """Answer 414 (problem details) to a query string over MAX_QUERY_STRING_BYTES, before any parsing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        size = len(scope.get("query_string", b"")) if scope["type"] == "http" else 0
        if size > MAX_QUERY_STRING_BYTES:
            detail = f"The query string is {size} bytes long; at most {MAX_QUERY_STRING_BYTES} are accepted."
            await problem_response(Request(scope), 414, detail)(scope, receive, send)
            return
        await self.app(scope, receive, send)


# A whole number as people write it: ASCII digits, an optional minus. Pydantic's lax integers
# also take '1.0', '+5', ' 5', '1_0' and other scripts' digits, none of which the document
# (type: integer) promises.
PLAIN_INTEGER = re.compile(r"-?[0-9]+")


def _query_parameters(app: FastAPI, path: str, method: str) -> list[dict[str, Any]] | None:
    """The operation's query parameters as the OpenAPI document gives them; None for undocumented routes."""
    # The document is FastAPI's flattened view of every declared parameter (nested
    # dependencies, parameter models, aliases), so reading it keeps this policy generic:
    # a filter added to a route is accepted the moment it is documented.
    operation = app.openapi().get("paths", {}).get(path, {}).get(method.lower())
    if operation is None:
        return None
    return [p for p in operation.get("parameters", []) if p.get("in") == "query"]


def declared_query_parameters(app: FastAPI, path: str, method: str) -> frozenset[str] | None:
    """Query parameter names the OpenAPI document gives the operation; None for undocumented routes."""
    parameters = _query_parameters(app, path, method)
    return None if parameters is None else frozenset(p["name"] for p in parameters)


def _is_integer(parameter: dict[str, Any]) -> bool:
    schema = parameter.get("schema", {})
    return any(alt.get("items", alt).get("type") == "integer" for alt in schema.get("anyOf", [schema]))


def undocumented_query_parameters(route: APIRoute) -> frozenset[str]:
    """Query parameters a route takes but leaves out of the document (format=, kept for curl users)."""

    def hidden(dependant: Dependant) -> set[str]:
        names = {f.alias for f in dependant.query_params if not getattr(f.field_info, "include_in_schema", True)}
        for sub in dependant.dependencies:
            names |= hidden(sub)
        return names

    return frozenset(hidden(route.dependant))


async def reject_unknown_query_parameters(request: Request) -> None:
    """422 naming every query parameter the matched route does not declare, and every integer not written plainly."""
    route = request.scope.get("route")
    path = getattr(route, "path_format", None)
    if path is None:
        return
    parameters = _query_parameters(request.app, path, request.method)
    if parameters is None:
        return
    accepted = frozenset(p["name"] for p in parameters)
    # Only looked up when something is not in the document, so the common request pays nothing for it.
    if set(request.query_params) - accepted and isinstance(route, APIRoute):
        accepted |= undocumented_query_parameters(route)
    unknown = sorted(set(request.query_params) - accepted)
    if unknown:
        listing = ", ".join(sorted(accepted)) or "none"
        raise InvalidInput(
            f"Unknown query parameter(s): {', '.join(unknown)}. This route accepts: {listing}.",
            [
                ProblemField(location=f"query.{name}", message=f"unknown query parameter; accepted: {listing}")
                for name in unknown
            ],
        )
    loose = [
        ProblemField(location=f"query.{p['name']}", message=f"{value!r} is not a whole number in ASCII digits")
        for p in parameters
        if _is_integer(p)
        for value in request.query_params.getlist(p["name"])
        if not PLAIN_INTEGER.fullmatch(value)
    ]
    if loose:
        raise InvalidInput("The request has invalid parameters.", loose)


QUERY_PARAMETER_POLICY = [Depends(reject_unknown_query_parameters)]
"""Route dependencies applying the unknown-parameter policy (give to FastAPI(dependencies=...))."""
