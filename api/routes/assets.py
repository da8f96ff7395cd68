"""The /static mount: only asset files are served, and refusals are problem details.

Starlette's StaticFiles serves every file under the directory (the vendor update script
included) and answers a bad Range header in plain text; this subclass serves only the
suffixes browsers load and rewrites those plain-text refusals into the service's format.
"""

import json
import os
from http import HTTPStatus

from fastapi.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from api.errors import PROBLEM_MEDIA_TYPE
from models.problem import Problem

SERVED_SUFFIXES = frozenset({".css", ".js", ".svg", ".png", ".ico", ".woff", ".woff2", ".txt"})
SERVED_NAMES = frozenset({"LICENSE", "NOTICE", "VERSIONS"})


class AssetFiles(StaticFiles):
    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        name = path.rsplit("/", 1)[-1]
        suffix = name[name.rfind(".") :] if "." in name else ""
        if suffix not in SERVED_SUFFIXES and name not in SERVED_NAMES:
            return "", None  # as if absent: a 404 like any missing file
        return super().lookup_path(path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rewriting = False
        # Starlette sends a file's status line before it opens the file; held back until the first
        # body message, a failure to open it (no file descriptor free) can still be answered 503.
        held_start: Message | None = None

        async def send_problem(message: Message) -> None:
            nonlocal rewriting, held_start
            if message["type"] == "http.response.start" and message["status"] < 400:
                held_start = message
                return
            if held_start is not None:
                await send(held_start)
                held_start = None
            if message["type"] == "http.response.start" and message["status"] >= 400:
                headers = dict(message.get("headers", []))
                if headers.get(b"content-type", b"").startswith(b"text/plain"):
                    rewriting = True
                    status = message["status"]
                    body = _problem_body(status, scope)
                    kept = [(k, v) for k, v in message.get("headers", []) if k in (b"content-range",)]
                    kept.append((b"content-type", PROBLEM_MEDIA_TYPE.encode()))
                    kept.append((b"content-length", str(len(body)).encode()))
                    await send({"type": "http.response.start", "status": status, "headers": kept})
                    await send({"type": "http.response.body", "body": body, "more_body": False})
                    return
            if rewriting:
                return  # the plain-text body, replaced above
            await send(message)

        await super().__call__(scope, receive, send_problem)


def _problem_body(status: int, scope: Scope) -> bytes:
    details = {400: "The Range header is malformed.", 416: "The Range header asks for bytes the file does not have."}
    problem = Problem(
        title=HTTPStatus(status).phrase, status=status, detail=details.get(status), instance=scope.get("path")
    )
    return json.dumps(problem.model_dump(), separators=(",", ":")).encode()
