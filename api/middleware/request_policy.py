"""Request targets and Host lines the application refuses before routing.

An encoded slash (%2F) in the path is refused rather than read as a separator: the server
decodes it, so '/v1%2fstudies' would otherwise be served as '/v1/studies' and let a client
reach routes past anything that filters on the raw path. More than one Host line is a bad
request (RFC 9112, 3.2): which one a layer reads would decide the links in the answer; so is
an empty one, since every http URL has a host. The
response cache never keeps such requests (api.response_cache), so they always reach here.
"""

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.render.problems import problem_response


def refusal(scope: Scope) -> str | None:
    """Why a request is refused before routing, or None."""
    raw_path = scope.get("raw_path") or b""
    if b"%" in raw_path and b"%2f" in raw_path.lower():
        return "An encoded slash (%2F) is not accepted in the path: write '/' to separate segments."
    return host_refusal(scope)


def host_refusal(scope: Scope) -> str | None:
    """Why the request's Host lines are refused, or None: a request a client and a proxy could read
    as addressed to different hosts, after which the connection is not trusted (it is closed)."""
    hosts = [value for name, value in scope["headers"] if name == b"host"]
    if len(hosts) > 1:
        return "The request has more than one Host header line."
    if hosts and not hosts[0].strip():
        return "The Host header is empty; an http URL always has a host."
    return None


class RequestTargetPolicy:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = refusal(scope) if scope["type"] == "http" else None
        if detail is None:
            await self.app(scope, receive, send)
            return
        # As the connection layer's refusals do: what follows a bad Host line is not read as a request.
        closing = {"Connection": "close"} if host_refusal(scope) is not None else None
        await problem_response(Request(scope), 400, detail, headers=closing)(scope, receive, send)
