"""Start-up refusals in one line: a database file, schema or fixtures this code must not serve
stop a worker with the refusal's own message (naming the file and the problem), not a traceback.

Starlette reports a failed lifespan with the traceback's text, which uvicorn logs as it is;
this layer puts the refusal's message in its place. Any other start-up failure keeps its
traceback.
"""

import sys

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import StartupRefusal


class StartupRefusals:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def send_refusal(message: Message) -> None:
            # Starlette sends the failure from inside its `except` block: the refusal is in hand.
            refusal = sys.exc_info()[1]
            if message["type"] == "lifespan.startup.failed" and isinstance(refusal, StartupRefusal):
                message = {**message, "message": f"start-up refused: {refusal}"}
            await send(message)

        await self.app(scope, receive, send_refusal)
