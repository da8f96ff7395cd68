"""Where the MCP server is reached: streamable HTTP on the application's own /mcp, and stdio.

Over HTTP the server is stateless and answers each POST with one JSON body: its tools only
read, so no session, stream or event store is needed, any worker can answer any request, and
the API's layers (security headers, request limits) see ordinary request/response pairs.
The SDK's DNS-rebinding guard is off: it protects servers that act on local resources with
the caller's rights, while this one serves public data to anyone, under any host name.
"""

from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from typing import Any

from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from api.data_source import open_dataset
from api.mcp.tools import build_mcp_server
from api.render.problems import problem_response
from api.settings import MCP_ALLOW, Settings
from api.state import AppState, Release

MAX_REQUEST_BYTES = 256 * 1024
"""A tool call is a few hundred bytes; nothing an agent sends here needs more."""


class McpHttp:
    """The ASGI endpoint for /mcp; running() starts a fresh session manager each time the application starts."""

    def __init__(self, server: MCPServer) -> None:
        self.server = server

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self.server.streamable_http_app(
            stateless_http=True,
            json_response=True,
            max_request_body_size=MAX_REQUEST_BYTES,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        async with self.server.session_manager.run():
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            # No server-initiated messages and no sessions: the optional GET stream would only hold a
            # connection open for good, and DELETE has no session to end. The protocol allows a 405.
            detail = "The MCP endpoint takes JSON-RPC messages by POST (streamable HTTP, stateless)."
            await problem_response(Request(scope), 405, detail, headers={"Allow": MCP_ALLOW})(scope, receive, send)
            return
        await self.server.session_manager.handle_request(scope, receive, send)


def serve_stdio(settings: Settings) -> None:
    """Answer MCP over stdin/stdout until the client closes them; the dataset is opened as `serve` opens it."""
    opened: list[AppState] = []

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[dict[str, Any]]:
        with ExitStack() as stack:
            database, meta = open_dataset(settings, stack)
            opened.append(
                AppState(
                    releases=(Release(database=database, meta=meta),),
                    fhir_canonical_base=settings.fhir_canonical_base,
                )
            )
            yield {}

    def state() -> AppState:
        return opened[-1]

    build_mcp_server(state, lifespan=lifespan).run("stdio")
