"""Hardening every response: security headers, no server banner, a read-only method policy.

Only GET, HEAD and OPTIONS are accepted anywhere, but POST on FHIR's search by form body
(POST /fhir/<type>/_search, a read) and on the MCP endpoint (settings.MCP_PATH, whose protocol
sends its requests as POST; its tools only read); any other method is answered 405 with an
Allow header before routing; CORS preflights pass through to the CORS layer. HEAD is served
by the GET route with the body dropped, so every
GET route (including ones added later) answers HEAD too. OPTIONS answers 204 with Allow on
any existing path.

The middleware wraps the whole application, outside Starlette's ServerErrorMiddleware, so
even an unexpected 500 answer carries the headers.
"""

import re

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.render.problems import problem_response
from api.settings import MCP_ALLOW, MCP_PATH, Settings

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
FHIR_SEARCH_BY_POST = re.compile(r"/fhir/[A-Za-z]{1,64}/_search")
ALLOW = ", ".join(SAFE_METHODS)


def allowed(scope: Scope) -> str:
    """The methods a path takes, for Allow: the MCP endpoint takes POST only (and OPTIONS)."""
    return MCP_ALLOW if scope["path"] == MCP_PATH else ALLOW


REFERRER_POLICY = "no-referrer"
# The forest plot uses presentation attributes only (api.views.forest_plot): nothing to load or run.
SVG_CONTENT_SECURITY_POLICY = "default-src 'none'"


def content_security_policy(frame_ancestors: str) -> str:
    """The policy for HTML responses; frame_ancestors decides who may embed them in iframes."""
    return (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        f"frame-ancestors {frame_ancestors}"
    )


def _path_exists(scope: Scope) -> bool:
    # Ask the routes themselves, as for a GET, so the answer follows whatever routes exist.
    app = scope.get("app")
    if scope["path"] == "*":
        return True
    probe = {**scope, "method": "GET"}
    return app is not None and any(route.matches(probe)[0] is not Match.NONE for route in app.router.routes)


def _is_cors_preflight(scope: Scope) -> bool:
    # Both headers, as the CORS layer reads a preflight: with no Origin it is a plain OPTIONS, which
    # went on to the route's 405 (session 12's probe, B5).
    names = {name for name, _ in scope["headers"]}
    return b"access-control-request-method" in names and b"origin" in names


class SecurityMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware) so streaming and performance are unaffected."""

    def __init__(self, app: ASGIApp, frame_ancestors: str) -> None:
        self.app = app
        self.csp = content_security_policy(frame_ancestors)
        self.svg_csp = SVG_CONTENT_SECURITY_POLICY + f"; frame-ancestors {frame_ancestors}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        head = method == "HEAD"

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                # uvicorn is started without its banner; this also covers any other server or app code.
                del headers["server"]
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = REFERRER_POLICY
                content_type = headers.get("content-type", "")
                if content_type.startswith("text/html"):
                    headers["Content-Security-Policy"] = self.csp
                elif content_type.startswith("image/svg+xml"):
                    # Opened directly, an SVG is a document that could run script: it needs none.
                    headers["Content-Security-Policy"] = self.svg_csp
            elif message["type"] == "http.response.body" and head:
                # Content-Length stays that of the GET answer, as HTTP wants for HEAD.
                message = {**message, "body": b""}
            await send(message)

        if method == "POST" and FHIR_SEARCH_BY_POST.fullmatch(scope["path"].removeprefix(scope.get("root_path", ""))):
            # FHIR's search by form body: a read, answered by its route (api.fhir.routes).
            await self.app(scope, receive, send_hardened)
            return
        if method not in SAFE_METHODS and not (method == "POST" and scope["path"] == MCP_PATH):
            response: Response = problem_response(
                Request(scope),
                405,
                f"Method {method} is not allowed: this API is read-only.",
                headers={"Allow": allowed(scope)},
            )
        elif method == "OPTIONS" and not _is_cors_preflight(scope):
            response = (
                Response(status_code=204, headers={"Allow": allowed(scope)})
                if _path_exists(scope)
                else problem_response(Request(scope), 404, "Not Found")
            )
        else:
            # GET, HEAD, and CORS preflights (answered by the CORS layer inside).
            await self.app({**scope, "method": "GET"} if head else scope, receive, send_hardened)
            return
        await response(scope, receive, send_hardened)


def install_security(app: FastAPI, settings: Settings) -> None:
    """Wrap the application's whole middleware stack in SecurityMiddleware."""
    build = app.build_middleware_stack
    # Outermost, around ServerErrorMiddleware: add_middleware would sit inside it, and the
    # 500 answers it writes would go out without the headers.
    app.build_middleware_stack = lambda: SecurityMiddleware(build(), settings.frame_ancestors)  # type: ignore[method-assign]
