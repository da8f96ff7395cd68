"""Answers as of a release: `?version=<dataset version>` on any GET (and on FHIR's POST
[type]/_search, a read whose parameters come in a form body) picks the release it is answered from.

The pin is taken off the query string before routing, and the request is answered from the
view of a server holding that release alone (api.state.AppState.only), so the body and the
ETag are those such a server gives. A version not served is a 404 naming those that are.
Pinned answers never change, so api.middleware.etags marks them immutable.
"""

from urllib.parse import unquote_plus

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.render.problems import problem_response
from api.state import VIEW_KEY, find_app_state

PIN_PARAMETER = "version"
PINNED_METHODS = {"GET", "HEAD"}
# The one POST that reads the data as a GET would (FHIR search with a form body).
PINNED_POST_SUFFIX = "/_search"


def pinnable(scope: Scope) -> bool:
    if scope["method"] == "POST":
        return str(scope["path"]).endswith(PINNED_POST_SUFFIX)
    return scope["method"] in PINNED_METHODS


def split_pin(query: bytes) -> tuple[bytes, list[str]]:
    """The query string without its version pins, and the versions pinned (usually none)."""
    if PIN_PARAMETER.encode() not in query:
        return query, []
    kept: list[bytes] = []
    pins: list[str] = []
    for part in query.split(b"&"):
        name, _, value = part.partition(b"=")
        if unquote_plus(name.decode("latin-1")) == PIN_PARAMETER:
            pins.append(unquote_plus(value.decode("latin-1")))
        elif part:
            kept.append(part)
    return b"&".join(kept), pins


class ReleasePin:
    """Route a GET pinned with ?version= to the release it names, or answer 404 naming those served."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not pinnable(scope):
            await self.app(scope, receive, send)
            return
        query, pins = split_pin(scope.get("query_string", b""))
        state = find_app_state(scope["app"]) if pins else None
        if state is None:  # no pin (or not started yet: nothing to pin to)
            await self.app(scope, receive, send)
            return
        release = state.find(pins[0])
        other = next((pin for pin in pins if pin != pins[0]), None)
        if release is None or other is not None:
            detail = (
                state.not_served(pins[0])
                if release is None
                else f"Two versions are asked for ({pins[0]!r} and {other!r}); name one."
            )
            await problem_response(Request(scope), 404, detail)(scope, receive, send)
            return
        scope = {**scope, "query_string": query, VIEW_KEY: state.only(release)}
        await self.app(scope, receive, send)
