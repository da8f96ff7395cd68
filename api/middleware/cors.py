"""Cross-origin reads: lab websites may fetch the API from their own pages."""

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from api.render.problems import problem_response
from api.settings import Settings

# Read-only service: nothing but reads to allow. If-None-Match is allowed so a page's
# script can revalidate with the ETag it read (exposed for that reason).
READ_METHODS = ["GET", "HEAD"]


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS handling, with a refused preflight answered as problem details.

    Starlette answers it with a plain-text 400; every other error of the API is
    application/problem+json, and a client should not need a second parser for this one.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            headers = Headers(scope=scope)
            if "origin" in headers and "access-control-request-method" in headers:
                answer = self.preflight_response(request_headers=headers)
                if answer.status_code == 400:
                    refused = bytes(answer.body).decode()  # "Disallowed CORS origin, method"
                    kept = {k: v for k, v in answer.headers.items() if k.startswith("access-control-") or k == "vary"}
                    origins = "any origin" if self.allow_all_origins else ", ".join(self.allow_origins)
                    detail = (
                        f"{refused}: cross-origin requests may use {', '.join(self.allow_methods)}, "
                        f"with the headers {', '.join(sorted(self.allow_headers))}, from {origins}."
                    )
                    answer = problem_response(Request(scope), 400, detail, headers=kept)
                await answer(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def install_cors(app: FastAPI, settings: Settings) -> None:
    """Allow browser reads from settings.cors_origins ('*' = any origin), without credentials."""
    app.add_middleware(
        ProblemCORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=READ_METHODS,
        # Prefer: the FHIR face's own request header (handling=strict), documented for its searches.
        allow_headers=["If-None-Match", "Prefer"],
        expose_headers=["ETag"],
        allow_credentials=False,
    )
