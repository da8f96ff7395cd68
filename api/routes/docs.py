"""Interactive documentation served from the package: Swagger UI at /docs, ReDoc at /redoc.

FastAPI's own pages load their scripts from a CDN and start them with inline scripts;
these load the vendored copies from /static/vendor and start them from /static/docs, so
the docs work offline and under a Content-Security-Policy without 'unsafe-inline'.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.render.html import render_page

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    return render_page(request, "docs_swagger.html", title=request.app.title, openapi_path=request.app.openapi_url)


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    return render_page(request, "docs_redoc.html", title=request.app.title, openapi_path=request.app.openapi_url)
