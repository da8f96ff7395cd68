"""The front door at /: a short HTML page for browsers, the same links as JSON for API clients."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import MetaDep
from api.render.formats import prefers_html
from api.render.html import render_page
from api.render.lists import pin_of
from models.index import IndexLink, ServiceIndex

router = APIRouter(tags=["meta"])

DESCRIPTION = (
    "An open, read-only API of curated evidence on therapy for T-cell acute lymphoblastic leukemia and "
    "lymphoma (T-ALL/LBL): studies, arms, outcomes and adverse events, each figure traced to the document it "
    "comes from, the place in it and the figure as printed."
)
# (rel, path, title): the places a newcomer needs, in the order the page lists them.
LINKS = (
    ("docs", "/docs", "Interactive API documentation"),
    ("redoc", "/redoc", "API reference"),
    ("openapi", "/openapi.json", "OpenAPI document (for client generators)"),
    ("dataset", "/v1/dataset", "The whole dataset as JSON"),
    ("dataset-zip", "/v1/dataset.zip", "The whole dataset as CSV tables (ZIP)"),
    ("meta", "/v1/meta", "Dataset version, counts, licence and how to cite"),
    ("studies", "/v1/studies", "Studies"),
    ("fhir-metadata", "/fhir/metadata", "FHIR R5 capability statement"),
)
# The links to data, which a ?version= pin keeps: the others (the documentation, the OpenAPI document)
# are not of a release.
PINNED_RELS = frozenset({"dataset", "dataset-zip", "meta", "studies", "fhir-metadata"})


@router.get(
    "/",
    operation_id="getIndex",
    summary="Where to start: links to the documentation, the data and how to cite it",
    response_model=ServiceIndex,
    description="JSON for API clients; a browser (Accept: text/html) gets the same as a short HTML page.",
)
def get_index(
    request: Request,
    response: Response,
    meta: MetaDep,
    *,
    accept: Annotated[str, Header(include_in_schema=False)] = "",
) -> ServiceIndex | HTMLResponse:
    base = str(request.base_url).rstrip("/")
    # Under a pin the data links keep it, as every link of a pinned answer does (session 15's probe, JA6:
    # they led to the current release).
    pinned = pin_of(request)
    pin = f"?{urlencode(pinned)}" if pinned else ""
    index = ServiceIndex(
        name=request.app.title,
        description=DESCRIPTION,
        dataset_version=meta.dataset_version,
        licence=meta.licence,
        attribution=meta.attribution,
        how_to_cite=meta.how_to_cite,
        links=[
            IndexLink(rel=rel, href=base + path + (pin if rel in PINNED_RELS else ""), title=title)
            for rel, path, title in LINKS
        ],
    )
    if prefers_html(accept):
        page = render_page(request, "home.html", index=index)
        page.headers["Vary"] = "Accept"
        return page
    response.headers["Vary"] = "Accept"
    return index
