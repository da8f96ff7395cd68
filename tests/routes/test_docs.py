"""/docs and /redoc come from the package: no CDN, no inline script or style."""

import pytest
from fastapi.testclient import TestClient

from api.settings import PROJECT_ROOT
from tests.html_page import HtmlPage, assert_self_contained

VENDOR = PROJECT_ROOT / "api" / "static" / "vendor"


@pytest.mark.parametrize(
    ("path", "needs"),
    [
        ("/docs", {"/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/vendor/swagger-ui/swagger-ui.css"}),
        ("/redoc", {"/static/vendor/redoc/redoc.standalone.js", "/static/docs/redoc-csp.js"}),
    ],
)
def test_docs_pages_load_everything_from_this_service(client: TestClient, path: str, needs: set[str]) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = HtmlPage(response.text)
    assert_self_contained(page)
    assets = {a.get("src") or a.get("href") for tag, a in page.tags if tag in {"script", "link"}}
    assert needs <= assets
    for asset in assets:
        fetched = client.get(asset)
        assert fetched.status_code == 200, asset
        assert fetched.content, asset
    (container,) = [a for tag, a in page.tags if tag == "div" and a.get("data-openapi-url")]
    assert client.get(container["data-openapi-url"]).json()["info"]["title"] == "T-ALL Evidence API"


def test_fastapi_cdn_pages_are_gone(client: TestClient) -> None:
    assert client.get("/docs/oauth2-redirect").status_code == 404
    for path in ("/docs", "/redoc"):
        assert "cdn.jsdelivr.net" not in client.get(path).text


def test_vendored_assets_refer_to_no_cdn_and_carry_their_licences() -> None:
    assert "cdn.redoc.ly" not in (VENDOR / "redoc" / "redoc.standalone.js").read_text(encoding="utf-8")
    assert "MIT License" in (VENDOR / "redoc" / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in (VENDOR / "swagger-ui" / "LICENSE").read_text(encoding="utf-8")


def test_static_javascript_has_a_javascript_content_type(client: TestClient) -> None:
    response = client.get("/static/docs/swagger-init.js")
    assert response.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert "etag" in response.headers and "cache-control" in response.headers
