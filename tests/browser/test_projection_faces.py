"""The web components carry every fact of every figure, as the server-rendered pages do: rendered in
Chromium from a live API serving the curated data plus synthetic figures with every combination of
flags, read back with the readers of tests/test_projection_conformance.py."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.main import create_app
from api.settings import Settings
from api.state import app_state
from models.projection import Face
from tests.projection_faces import Faces, Key, html_marks, projections, write_synthetic_fixtures
from tests.support import serving_in_thread

RENDERED = """async (names) => {
  const done = (el) => el.shadowRoot && el.shadowRoot.querySelector('.te-card, .te-table-view, .te-error');
  for (let i = 0; i < 600; i++) {
    if ([...document.querySelectorAll(names)].every(done)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return [...document.querySelectorAll(names)].map((el) => el.shadowRoot ? el.shadowRoot.innerHTML : '');
}"""


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return write_synthetic_fixtures(tmp_path_factory.mktemp("synthetic-web"))


@pytest.fixture(scope="module")
def truth(synthetic: Settings) -> dict[Key, dict[str, Any]]:
    with TestClient(create_app(synthetic)) as client, Session(app_state(client.app).database.engine) as session:
        return projections(session)


@pytest.fixture(scope="module")
def synthetic_api(synthetic: Settings) -> Iterator[str]:
    with serving_in_thread(synthetic) as url:
        yield url


def _rendered(browser: Any, api: str, elements: str, names: str) -> list[str]:
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(f"{api}/v1/meta")
        page.add_script_tag(url=f"{api}/static/tall-evidence.js")
        page.evaluate("(html) => { document.body.innerHTML = html; }", elements)
        return list(page.evaluate(RENDERED, names))
    finally:
        context.close()


def test_web_components_carry_every_fact_of_every_figure(
    browser: Any, synthetic_api: str, truth: dict[Key, dict[str, Any]]
) -> None:
    study_ids = sorted({f["study_id"] for f in truth.values()})
    cards = "".join(
        f'<tall-evidence-card study="{sid}" api="{synthetic_api}"></tall-evidence-card>' for sid in study_ids
    )
    faces = Faces(truth)
    marks: dict[str, dict[str, list[str]]] = {}
    for html in _rendered(browser, synthetic_api, cards, "tall-evidence-card"):
        assert "te-error" not in html, html[:300]
        marks |= html_marks(html)
    faces.text(Face.web_card, "outcome", marks)
    faces.text(Face.web_card, "adverse_event", marks)
    table = f'<tall-evidence-table api="{synthetic_api}"></tall-evidence-table>'
    (html,) = _rendered(browser, synthetic_api, table, "tall-evidence-table")
    faces.text(Face.web_table, "outcome", html_marks(html))
    assert faces.checked[Face.web_card] and faces.checked[Face.web_table]
    assert not faces.problems, "\n".join(faces.problems[:40]) + f"\n({len(faces.problems)} in all)"
