"""The static limit: a minimal Starlette app answering with bytes recorded from the service.

    python -m tests.benchmarks.static_server RESPONSES.json --port P

RESPONSES.json maps "path?query" to {"status", "headers", "body_b64"}. The app does no
work beyond finding the bytes, so it is as fast as this HTTP stack (uvicorn, httptools,
uvloop, Starlette routing, one worker) can answer those very responses.
"""

import argparse
import base64
import json
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# Headers the server adds or recomputes itself.
SERVER_HEADERS = {"content-length", "date", "server"}


def static_app(recorded: dict[str, dict]) -> Starlette:
    responses = {
        key: (
            value["status"],
            {k: v for k, v in value["headers"] if k.lower() not in SERVER_HEADERS},
            base64.b64decode(value["body_b64"]),
        )
        for key, value in recorded.items()
    }

    async def answer(request: Request) -> Response:
        query = request.scope["query_string"].decode()
        found = responses.get(request.scope["path"] + (f"?{query}" if query else ""))
        if found is None:
            return Response(b"not recorded", status_code=404)
        status, headers, body = found
        return Response(body, status_code=status, headers=headers)

    return Starlette(routes=[Route("/{path:path}", answer)])


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
