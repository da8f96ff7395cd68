"""The HTML views' templates are read once, at start-up, as the ETag's code fingerprint is taken."""

import pytest
from fastapi.testclient import TestClient
from jinja2 import BaseLoader, Environment

from api.main import create_app
from api.render import html
from api.settings import Settings


def test_a_template_changed_after_start_up_changes_no_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """Session 13's probe (FB12): a template edited under a running server changed the page under the tag
    of the templates it started with (Jinja reloaded it), and the old tag still got 304."""
    assert html.ENVIRONMENT.cache is not None
    monkeypatch.setattr(html.ENVIRONMENT, "cache", type(html.ENVIRONMENT.cache)(400))  # nothing read yet
    with TestClient(create_app(Settings(response_cache_enabled=False))) as client:
        before = client.get("/", headers={"Accept": "text/html"})

        def edited(_loader: BaseLoader, _environment: Environment, name: str) -> tuple[str, str, object]:
            return "<p>EDITED</p>", name, lambda: False  # changed on disk since read

        assert html.ENVIRONMENT.loader is not None
        monkeypatch.setattr(type(html.ENVIRONMENT.loader), "get_source", edited)
        for path in ("/", "/embed/table", "/embed/studies/rd13-01"):
            page = client.get(path, headers={"Accept": "text/html"})
            assert page.status_code == 200 and "EDITED" not in page.text, path
    assert html.ENVIRONMENT.auto_reload is False
    assert before.status_code == 200 and "EDITED" not in before.text
