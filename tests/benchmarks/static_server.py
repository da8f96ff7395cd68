"""The static limit: a minimal ASGI app answering with bytes recorded from the service.

    python -m tests.benchmarks.static_server RESPONSES.json --port P

RESPONSES.json maps "path?query" to {"status", "headers", "body_b64"}. The app does no
work beyond finding the bytes (one dictionary lookup, no framework, no routing), so it is
as fast as this HTTP stack (uvicorn, httptools, uvloop, one worker) can answer those very
responses.
"""

import argparse
import base64
import json
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

# Headers the server adds itself.
SERVER_HEADERS = {"date", "server"}
NOT_RECORDED = (404, [(b"content-type", b"text/plain"), (b"content-length", b"12")], b"not recorded")


def static_app(recorded: dict[str, dict]) -> ASGIApp:
    responses = {
        key: (
            value["status"],
            [(k.lower().encode(), v.encode()) for k, v in value["headers"] if k.lower() not in SERVER_HEADERS],
            base64.b64decode(value["body_b64"]),
        )
        for key, value in recorded.items()
    }

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # nothing to start or stop
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        query = scope["query_string"].decode()
        status, headers, body = responses.get(scope["path"] + (f"?{query}" if query else ""), NOT_RECORDED)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("responses", type=Path)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    recorded = json.loads(args.responses.read_text(encoding="utf-8"))
    uvicorn.run(
        static_app(recorded),
        host="127.0.0.1",
        port=args.port,
        http="httptools",
        loop="uvloop",
        access_log=False,
        server_header=False,
    )


if __name__ == "__main__":
    main()
