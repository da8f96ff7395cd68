"""Cross-origin reads: lab websites may fetch the API from their own pages."""

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from api.settings import Settings

# Read-only service: nothing but reads to allow. If-None-Match is allowed so a page's
# script can revalidate with the ETag it read (exposed for that reason).
READ_METHODS = ["GET", "HEAD"]


def install_cors(app: FastAPI, settings: Settings) -> None:
    """Allow browser reads from settings.cors_origins ('*' = any origin), without credentials."""
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=READ_METHODS,
        allow_headers=["If-None-Match"],
        expose_headers=["ETag"],
        allow_credentials=False,
    )
