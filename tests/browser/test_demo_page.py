"""The demo lab page (another origin) with its embeds, and the offline docs, in headless Chromium.

Expected studies and figures come from the fixture files; screenshots go to tests/artifacts/.
"""

from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.browser.conftest import screenshot
from tests.fixture_data import filter_values, sources, studies
from tests.html_page import squash

STUDIES = studies()
TIMEOUT_MS = 30_000


def _printed(study_id: str, kind: str) -> dict[str, str]:
    """Global figure id -> printed text, for one study's outcomes or adverse events."""
    return {f"{study_id}.{f['id']}": squash(f["printed"]) for f in STUDIES[study_id].get(kind, [])}


def _loaded_demo(open_page, demo_url: str, path: str = "/"):
    watched = open_page(f"{demo_url}{path}")
    page = watched.page
    page.frame_locator("#card-frame").locator("[data-study-id]").first.wait_for(timeout=TIMEOUT_MS)
    page.frame_locator("#table-frame").locator("[data-field=count]").wait_for(timeout=TIMEOUT_MS)
    page.locator("#cd7-table [data-field=count]").wait_for(timeout=TIMEOUT_MS)
    page.locator("#card-component [data-study-id]").first.wait_for(timeout=TIMEOUT_MS)
    page.locator("#dataset-line[data-cd7-total]").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function("document.getElementById('cr-chart').complete", timeout=TIMEOUT_MS)
    page.wait_for_load_state("networkidle")
    return watched


def test_demo_page_loads_from_another_origin_without_errors(open_page, demo_url: str, api_url: str) -> None:
    watched = _loaded_demo(open_page, demo_url)
    assert urlsplit(demo_url).netloc != urlsplit(api_url).netloc  # really cross-origin
    screenshot(watched.page, "demo-page")
    assert watched.problems() == []
    # The lab's own script read the JSON cross-origin.
    expected = sum(1 for s in STUDIES.values() if "CD7" in filter_values(s)["target_antigen"])
    assert watched.page.locator("#dataset-line").get_attribute("data-cd7-total") == str(expected)
    # The iframes were sized to their content by tall-evidence.js (no scrollbars needed).
    for frame in ("#card-frame", "#table-frame"):
        inner = watched.page.frame_locator(frame).locator("html").evaluate("e => e.getBoundingClientRect().height")
        outer = watched.page.locator(frame).evaluate("e => e.clientHeight")
        assert outer >= inner - 2, frame


def test_card_iframe_shows_the_study_with_its_figures(open_page, demo_url: str) -> None:
    watched = _loaded_demo(open_page, demo_url)
    src = watched.page.locator("#card-frame").get_attribute("src")
    study_id = src.rsplit("/", 1)[-1]
    frame = watched.page.frame_locator("#card-frame")
    card = frame.locator(f"[data-study-id='{study_id}']")
    assert squash(STUDIES[study_id]["title"]) in squash(card.locator(".te-title").inner_text())
    for figure_id, printed in (_printed(study_id, "outcomes") | _printed(study_id, "adverse_events")).items():
        assert printed in squash(frame.locator(f"[data-figure-id='{figure_id}']").inner_text()), figure_id
    screenshot(watched.page.locator("#card-frame"), "demo-card-iframe")


def test_card_component_renders_the_same_from_the_json(open_page, demo_url: str, api_url: str) -> None:
    watched = _loaded_demo(open_page, demo_url)
    component = watched.page.locator("#card-component")
    study_id = component.get_attribute("study")
    raw = STUDIES[study_id]
    assert squash(raw["title"]) in squash(component.locator(".te-title").inner_text())
    figures = _printed(study_id, "outcomes") | _printed(study_id, "adverse_events")
    for figure_id, printed in figures.items():
        row = squash(component.locator(f"[data-figure-id='{figure_id}']").inner_text())
        assert printed in row, figure_id
    conflicted = {f"{study_id}.{f['id']}" for f in raw.get("outcomes", []) if f.get("conflict_ids")}
    for figure_id in conflicted:
        assert "conflict" in component.locator(f"[data-figure-id='{figure_id}']").inner_text()
    registry = sources()
    for source_id in component.locator("[data-source-id]").evaluate_all("els => els.map(e => e.dataset.sourceId)"):
        assert squash(registry[source_id]["title"]) in squash(
            component.locator(f"[data-source-id='{source_id}']").inner_text()
        )
    # Same rows, same order, same numbering as the server-rendered card.
    served = watched.page.context.new_page()
    served.goto(f"{api_url}/embed/studies/{study_id}")
    ids = "els => els.map(e => e.dataset.figureId + ' ' + e.innerText.replace(/\\s+/g, ' ').trim())"
    assert component.locator("[data-figure-id]").evaluate_all(ids) == served.locator("[data-figure-id]").evaluate_all(
        ids
    )
    # The research-only notice, worded as the server's card words it.
    assert component.locator("[data-notice]").inner_text() == served.locator("[data-notice]").inner_text() != ""
    screenshot(component, "demo-card-component")


def _expected_table(query: dict[str, list[str]]) -> list[str]:
    return sorted(
        sid
        for sid, study in STUDIES.items()
        if all(set(values) & filter_values(study)[name] for name, values in query.items())
    )


def test_table_component_lists_the_matching_studies_with_their_figures(open_page, demo_url: str) -> None:
    watched = _loaded_demo(open_page, demo_url)
    table = watched.page.locator("#cd7-table")
    query = {
        name.replace("-", "_"): value.split(",")
        for name, value in table.evaluate(
            "e => Object.fromEntries([...e.attributes].map(a => [a.name, a.value]))"
        ).items()
        if name != "id"
    }
    expected = _expected_table(query)
    assert expected, "the demo's filter should match curated studies"
    rows = table.locator("tr[data-study-id]").evaluate_all("els => els.map(e => e.dataset.studyId)")
    assert rows == expected
    for study_id in expected:
        row = squash(table.locator(f"tr[data-study-id='{study_id}']").inner_text())
        for printed in _printed(study_id, "outcomes").values():
            assert printed in row, (study_id, printed)
    screenshot(table, "demo-table-component")


def test_table_iframe_lists_the_matching_studies(open_page, demo_url: str) -> None:
    watched = _loaded_demo(open_page, demo_url)
    src = watched.page.locator("#table-frame").get_attribute("src")
    query: dict[str, list[str]] = {}
    for name, value in parse_qsl(urlsplit(src).query):
        query.setdefault(name, []).append(value)
    frame = watched.page.frame_locator("#table-frame")
    rows = frame.locator("tr[data-study-id]").evaluate_all("els => els.map(e => e.dataset.studyId)")
    assert rows == _expected_table(query)
    screenshot(watched.page.locator("#table-frame"), "demo-table-iframe")


def test_chart_image_is_the_forest_plot_of_the_comparison(open_page, demo_url: str, api_url: str) -> None:
    watched = _loaded_demo(open_page, demo_url)
    chart = watched.page.locator("#cr-chart")
    assert chart.evaluate("img => img.naturalWidth") > 0  # the SVG decoded as an image
    src = chart.get_attribute("src")
    drawn = watched.page.evaluate(
        """async (src) => {
            const text = await (await fetch(src)).text();
            const svg = new DOMParser().parseFromString(text, "image/svg+xml");
            return [...svg.querySelectorAll("[data-outcome-id]")].map(g => [g.dataset.outcomeId, g.textContent]);
        }""",
        src,
    )
    query = urlsplit(src).query
    rows = httpx.get(f"{api_url}/v1/comparison?{query}").json()["rows"]
    assert [outcome_id for outcome_id, _ in drawn] == [r["outcome_id"] for r in rows]
    assert drawn, "the demo's chart should have rows"
    curated = {fid: p for sid in STUDIES for fid, p in _printed(sid, "outcomes").items()}
    for outcome_id, text in drawn:
        assert curated[outcome_id][:20] in squash(text), outcome_id
    screenshot(chart, "demo-chart")


@pytest.mark.parametrize("path", ["/embed/studies/ns7car-t", "/embed/table?target_antigen=CD7"])
def test_embedded_pages_fit_a_phone(open_page, api_url: str, path: str) -> None:
    watched = open_page(f"{api_url}{path}", width=390, height=844)
    watched.page.wait_for_load_state("networkidle")
    overflow = watched.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert watched.problems() == []
    screenshot(watched.page, "phone-" + path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-"))


def _operations(api_url: str) -> int:
    document = httpx.get(f"{api_url}/openapi.json").json()
    return sum(len(operations) for operations in document["paths"].values())


# (page, one element per operation, a check that its stylesheet applied, whole-page screenshot)
DOCS = [
    ("/docs", ".opblock", "document.querySelector('.opblock').getBoundingClientRect().height > 20", True),
    # ReDoc's styles reach the page despite the CSP (redoc-csp.js): its menu is a sticky sidebar.
    (
        "/redoc",
        "[data-section-id^='operation/']",
        "getComputedStyle(document.querySelector('.menu-content')).position === 'sticky'",
        False,
    ),
]


@pytest.mark.parametrize(("path", "operation", "styled", "full_page"), DOCS)
def test_docs_render_with_other_hosts_blocked(
    open_page, api_url: str, path: str, operation: str, styled: str, full_page: bool
) -> None:
    watched = open_page(f"{api_url}{path}")
    operations = watched.page.locator(operation)
    operations.first.wait_for(timeout=TIMEOUT_MS)
    watched.page.wait_for_load_state("networkidle")
    assert operations.count() == _operations(api_url)
    assert watched.page.locator("h1, h2").filter(has_text="T-ALL Evidence API").count() >= 1
    assert watched.page.evaluate(styled)
    screenshot(watched.page, "docs" + path.replace("/", "-"), full_page=full_page)  # ReDoc's full page is huge
    assert watched.problems() == []


# --- a host page with a strict Content-Security-Policy ---


def test_components_and_iframes_are_styled_under_a_strict_host_policy(open_page, demo_url: str, api_url: str) -> None:
    """style-src 'self' on the host: the components still get every style (a constructed
    stylesheet, not a <link> or <style>), the iframes theirs, and nothing is refused."""
    watched = _loaded_demo(open_page, demo_url, "/strict/")
    page = watched.page
    policy = page.evaluate("() => fetch(location.href).then(r => r.headers.get('content-security-policy'))")
    assert "style-src 'self';" in policy and "'unsafe-inline'" not in policy
    screenshot(page, "demo-page-strict-csp")
    assert watched.problems() == []  # a refused resource or style is a console error in Chromium
    meta = httpx.get(f"{api_url}/v1/meta").json()
    for component in ("#cd7-table", "#card-component"):
        box = page.locator(f"{component} .te").first
        # embed.css sets the root's font (15px system sans) and max width; the UA default is 16px serif.
        assert box.evaluate("e => getComputedStyle(e).fontSize") == "15px", component
        assert box.evaluate("e => getComputedStyle(e).maxWidth") != "none", component
        footer = page.locator(f"{component} .te-footer")
        assert footer.locator("[data-field=licence]").inner_text().endswith(meta["licence"])
        assert footer.locator("[data-field=dataset-version]").inner_text().endswith(meta["dataset_version"])
    frame_box = page.frame_locator("#card-frame").locator(".te").first
    assert frame_box.evaluate("e => getComputedStyle(e).fontSize") == "15px"


def test_components_footer_matches_the_iframe_footer(open_page, demo_url: str) -> None:
    """The component's footer says what the iframe's says: licence and dataset version."""
    watched = _loaded_demo(open_page, demo_url)
    page = watched.page
    frame_footer = squash(page.frame_locator("#card-frame").locator(".te-footer").inner_text())
    component_footer = squash(page.locator("#card-component .te-footer").inner_text())
    for part in frame_footer.split(" · ")[:3]:  # T-ALL Evidence API · data <licence> · dataset <version>
        assert part.strip() in component_footer


def test_card_component_labels_prior_therapies_apart_from_the_therapy(open_page, demo_url: str) -> None:
    # The CAR-T case whose patient had venetoclax, decitabine and chidamide before the study (issue 19).
    study_id = "cd7-car-t-etp-case"
    prior = [
        x["agent"]
        for arm in STUDIES[study_id]["arms"]
        for x in arm["interventions"]
        if x.get("role") == "prior_therapy"
    ]
    assert {"venetoclax", "decitabine", "chidamide"} <= set(prior)
    watched = _loaded_demo(open_page, demo_url)
    component = watched.page.locator("#card-component")
    component.evaluate(f"el => el.setAttribute('study', '{study_id}')")
    card = component.locator(f"[data-study-id='{study_id}']")
    card.wait_for(timeout=TIMEOUT_MS)
    therapy = card.locator("[data-field=therapy]").inner_text().lower()
    prior_line = card.locator("[data-field=prior-therapies]").inner_text().lower()
    for agent in ("venetoclax", "decitabine", "chidamide"):
        assert agent not in therapy and agent in prior_line, agent
    assert "fludarabine" in therapy and "before the study" in prior_line
