"""The Jinja environment of the HTML views: autoescaped, strict about missing names.

Pages carry no inline script or style (the service's Content-Security-Policy allows
neither); CSS and JS come from /static, addressed through static_url.
"""

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from api.render.labels import derived_note, grade_label, inferred_note, label, time_point_label
from api.render.lists import pinned_url
from api.state import find_request_state
from models.meta import RESEARCH_ONLY_NOTICE

ENVIRONMENT = Environment(
    loader=PackageLoader("api", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    # Read once (load_templates, at start-up, as the ETag's code fingerprint is taken): reloaded when changed
    # on disk, a page changed under the tag of the templates it was started with (session 13's probe, FB12).
    auto_reload=False,
)
ENVIRONMENT.globals.update(
    label=label,
    time_point_label=time_point_label,
    grade_label=grade_label,
    inferred_note=inferred_note,
    derived_note=derived_note,
    notice=RESEARCH_ONLY_NOTICE,
)
ENVIRONMENT.filters["label"] = label


def load_templates() -> None:
    """Every template compiled and kept, so each page is rendered from what the fingerprint was taken of."""
    for name in ENVIRONMENT.list_templates():
        ENVIRONMENT.get_template(name)


def site_url(request: Request, path: str) -> str:
    """A path on this service as seen by the client (honours a proxy's root_path)."""
    return f"{request.scope.get('root_path', '')}{path}"


def render_page(request: Request, template: str, status_code: int = 200, **context: object) -> HTMLResponse:
    """Render a template with the helpers every page uses."""
    state = find_request_state(request.scope)
    meta = state.meta if state else None
    html = ENVIRONMENT.get_template(template).render(
        url=lambda path: site_url(request, path),
        # A link to an answer of the data (not an asset): pinned when the page is, as its page links are.
        data_url=lambda path: pinned_url(request, site_url(request, path)),
        dataset_version=meta.dataset_version if meta else None,
        licence=meta.licence if meta else None,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)
