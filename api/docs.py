"""The interactive documentation at /docs, served from this service so it works under our CSP.

FastAPI's stock page loads Swagger UI from a CDN and starts it with an inline script; the
Content-Security-Policy of api.security (script-src 'self', style-src 'self') allows
neither. Here the Swagger UI files come from the fastapi-offline package and the start-up
code is a script file of its own.
"""

import html
import json
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
ASSETS_URL = f"{DOCS_URL}/assets"
START_URL = f"{DOCS_URL}/start.js"
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - Swagger UI</title>
<link rel="stylesheet" href="{root}{assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="{root}{assets}/favicon.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{root}{assets}/swagger-ui-bundle.js"></script>
<script src="{root}{start}"></script>
</body>
</html>
"""

_START = """window.ui = SwaggerUIBundle({{
  url: {openapi_url},
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
}});
"""

router = APIRouter(include_in_schema=False)


@router.get(DOCS_URL)
async def docs_page(request: Request) -> HTMLResponse:
    root = html.escape(request.scope.get("root_path", ""))
    title = html.escape(request.app.title)
    return HTMLResponse(_PAGE.format(title=title, root=root, assets=ASSETS_URL, start=START_URL))


@router.get(START_URL)
async def docs_start_script(request: Request) -> Response:
    openapi_url = json.dumps(request.scope.get("root_path", "") + request.app.openapi_url)
    return Response(_START.format(openapi_url=openapi_url), media_type="text/javascript")


def install_docs(app: FastAPI) -> None:
    """Serve /docs (create the app with docs_url=None and redoc_url=None)."""
    app.include_router(router)
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
