"""Embeddable HTML views: the study card and the evidence table, checked against the fixtures."""

import html
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.render.labels import label
from api.settings import PROJECT_ROOT, Settings
from models.enums import Antigen
from tests.fixture_data import dump_yaml, filter_values, matching_study_ids, read_yaml, sources, studies
from tests.html_page import HtmlPage, assert_self_contained, squash

STUDIES = studies()
FILTERS = ("target_antigen", "agent", "disease", "setting", "cell_source", "therapy_class")


def _page(client: TestClient, url: str, status: int = 200) -> HtmlPage:
    response = client.get(url)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return HtmlPage(response.text)


@pytest.mark.parametrize("study_id", sorted(STUDIES))
def test_card_shows_the_study_with_every_figure_as_printed_and_its_source(client: TestClient, study_id: str) -> None:
    raw = STUDIES[study_id]
    page = _page(client, f"/embed/studies/{study_id}")
    card = page.text("data-study-id", study_id)
    assert squash(raw["title"]) in card
    if raw.get("acronym"):
        assert raw["acronym"] in card
    assert label(raw["design"]) in page.text("data-field", "design")
    assert label(raw.get("phase", "not_stated")) in page.text("data-field", "phase")
    expected_n = raw.get("enrolled_printed") or (str(raw["n_enrolled"]) if raw.get("n_enrolled") is not None else None)
    assert page.text("data-field", "n") == squash(expected_n or "not stated")  # page text has white space folded
    for disease in raw.get("diseases", []):
        assert disease in page.text("data-field", "population")

    registry = sources()
    for figure in [*raw.get("outcomes", []), *raw.get("adverse_events", [])]:
        row = page.text("data-figure-id", f"{study_id}.{figure['id']}")
        assert squash(figure["printed"]) in row
        assert squash(figure["locator"]) in row
        if figure.get("conflict_ids"):
            assert "conflict" in row
        cited = page.values("data-source-id")
        assert figure["source_id"] in cited
        assert squash(registry[figure["source_id"]]["title"]) in page.text("data-source-id", figure["source_id"])
    for conflict_id in {
        c for f in raw.get("outcomes", []) + raw.get("adverse_events", []) for c in f.get("conflict_ids", [])
    }:
        assert page.text("data-conflict-id", conflict_id)
    assert_self_contained(page)


# The study's and its CAR products' own fields the card shows: each the fixtures flag as inferred is marked.
CARD_STUDY_FIELDS = {"design", "randomised", "phase", "diseases", "age_groups", "age_min", "age_max", "setting"}
CARD_PRODUCT_FIELDS = {"target_antigens", "cell_type", "cell_source", "costimulatory_domain", "vector", "dose"}


@pytest.mark.parametrize("study_id", sorted(STUDIES))
def test_card_marks_every_inferred_study_and_product_field_it_shows(client: TestClient, study_id: str) -> None:
    raw = STUDIES[study_id]
    flagged = {i["field"] for i in raw.get("inferred", [])} & CARD_STUDY_FIELDS
    for product in raw.get("car_products", []):
        flagged |= {i["field"] for i in product.get("inferred", [])} & CARD_PRODUCT_FIELDS
    response = client.get(f"/embed/studies/{study_id}")
    marked = {f for value in re.findall(r'data-inferred="([^"]*)"', response.text) for f in value.split()}
    assert flagged <= marked, f"inferred but shown unmarked: {sorted(flagged - marked)}"
    for field in flagged:
        reason = next(i["reason"] for i in [*raw.get("inferred", []), *_product_inferences(raw)] if i["field"] == field)
        assert squash(reason)[:40] in squash(html.unescape(response.text))  # the reason, on hover


def _product_inferences(raw: dict) -> list[dict]:
    return [i for product in raw.get("car_products", []) for i in product.get("inferred", [])]


def test_card_flags_conflicts_with_their_description(fixture_copy: Settings) -> None:
    """A figure taking part in a recorded conflict is flagged and the conflict described."""
    fixtures = Path(fixture_copy.fixtures_dir)
    path = fixtures / "studies" / "jplsg-t11.yaml"
    study = read_yaml(path.read_text(encoding="utf-8"))
    study["outcomes"][0]["conflict_ids"] = ["test-disagreement"]
    path.write_text(dump_yaml(study, allow_unicode=True), encoding="utf-8")
    conflicts = fixtures / "conflicts.yaml"
    existing = read_yaml(conflicts.read_text(encoding="utf-8")) if conflicts.exists() else None
    listed = (existing or {}).get("conflicts", [])
    listed.append({"id": "test-disagreement", "kind": "between_documents", "description": "Two documents differ."})
    conflicts.write_text(dump_yaml({"conflicts": listed}), encoding="utf-8")

    with TestClient(create_app(fixture_copy)) as client:
        page = _page(client, "/embed/studies/jplsg-t11")
    figure_id = f"jplsg-t11.{study['outcomes'][0]['id']}"
    assert "conflict" in page.text("data-figure-id", figure_id)
    described = page.text("data-conflict-id", "test-disagreement")
    assert "Two documents differ." in described
    assert squash(study["outcomes"][0]["printed"]) in described
    other = f"jplsg-t11.{study['outcomes'][1]['id']}"
    assert "conflict" not in page.text("data-figure-id", other)


def test_everything_from_the_data_is_escaped(fixture_copy: Settings) -> None:
    path = Path(fixture_copy.fixtures_dir) / "studies" / "jplsg-t11.yaml"
    study = read_yaml(path.read_text(encoding="utf-8"))
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    study["title"] = f"Title {payload}"
    study["acronym"] = f'"><b>{payload}'
    study["outcomes"][0]["printed"] = f"56 {payload}"
    study["outcomes"][0]["locator"] = f"Table 1 {payload}"
    study["arms"][0]["label"] = f"Arm {payload}"
    path.write_text(dump_yaml(study, allow_unicode=True), encoding="utf-8")
    # The span's context holds the printed words, as every load checks (without the texts, which do not).
    spans = read_yaml((PROJECT_ROOT / "seeds" / "spans.yaml").read_text(encoding="utf-8"))
    spans["spans"][study["id"] + "." + study["outcomes"][0]["id"]]["context"] = f"56 {payload}"
    spans_file = Path(fixture_copy.fixtures_dir).parent / "spans.yaml"
    spans_file.write_text(dump_yaml(spans, allow_unicode=True), encoding="utf-8")
    settings = fixture_copy.model_copy(update={"spans_file": spans_file, "seeds_text_dir": None})

    with TestClient(create_app(settings)) as client:
        for url in ("/embed/studies/jplsg-t11", "/embed/table"):
            html = client.get(url).text
            assert "<script>alert" not in html and "<img src=x" not in html and "<b>" not in html, url
            assert "&lt;script&gt;alert(" in html, url
            page = HtmlPage(html)
            assert_self_contained(page)
            # The payload is shown as text, where the data is.
            assert payload in page.text("data-study-id", "jplsg-t11"), url


def test_unknown_study_is_a_problem_page(client: TestClient) -> None:
    page = _page(client, "/embed/studies/no-such-study", status=404)
    problem = page.text("data-status", "404")
    assert "404 Not Found" in problem
    assert "No study with id 'no-such-study'." in problem
    assert "/embed/studies/no-such-study" in problem  # instance
    assert "about:blank" in problem  # type
    assert_self_contained(page)


def test_invalid_filter_is_a_problem_page_naming_the_parameter(client: TestClient) -> None:
    page = _page(client, "/embed/table?target_antigen=CD99", status=422)
    problem = page.text("data-status", "422")
    assert "query.target_antigen" in problem


def test_unknown_embed_path_is_a_problem_page_but_the_api_keeps_json(client: TestClient) -> None:
    _page(client, "/embed/nothing-here", status=404)
    api = client.get("/v1/nothing-here")
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"


def _table_filter_cases() -> list[tuple[str, str]]:
    """Every value the fixtures use for each filter, and one value no study has."""
    cases = sorted(
        {(name, value) for study in STUDIES.values() for name, vs in filter_values(study).items() for value in vs}
    )
    used = {value for name, value in cases if name == "target_antigen"}
    unused = next((a.value for a in Antigen if a.value not in used), None)
    return cases + ([("target_antigen", unused)] if unused else [])


@pytest.mark.parametrize(("name", "value"), _table_filter_cases())
def test_table_lists_exactly_the_matching_studies(client: TestClient, name: str, value: str) -> None:
    page = _page(client, f"/embed/table?{name}={value}")
    expected = matching_study_ids(name, value)
    assert page.values("data-study-id") == expected
    assert page.text("data-field", "count").startswith(str(len(expected)))
    for study_id in expected:
        row = page.text("data-study-id", study_id)
        for outcome in STUDIES[study_id].get("outcomes", []):
            assert squash(outcome["printed"]) in row
            assert squash(outcome["locator"]) in row
    assert_self_contained(page)


def test_table_filters_combine_and_repeated_values_are_alternatives(client: TestClient) -> None:
    study_id, raw = next((sid, s) for sid, s in STUDIES.items() if filter_values(s)["agent"])
    agent, setting = sorted(filter_values(raw)["agent"])[0], raw["setting"]
    both = set(matching_study_ids("agent", agent)) & set(matching_study_ids("setting", setting))
    page = _page(client, f"/embed/table?agent={agent}&setting={setting}")
    assert page.values("data-study-id") == sorted(both)
    assert study_id in both

    antigens = sorted({a for s in STUDIES.values() for a in filter_values(s)["target_antigen"]})[:2]
    either = _page(client, "/embed/table?" + "&".join(f"target_antigen={a}" for a in antigens))
    assert either.values("data-study-id") == matching_study_ids("target_antigen", *antigens)


def test_unfiltered_table_lists_every_study(client: TestClient) -> None:
    assert _page(client, "/embed/table").values("data-study-id") == sorted(STUDIES)


def test_display_labels_are_served_for_the_browser_component(client: TestClient) -> None:
    vocabulary = client.get("/embed/labels.json").json()
    assert vocabulary["labels"]["cr_cri"] == "CR/CRi"
    assert vocabulary["measure_order"].index("cr") < vocabulary["measure_order"].index("os")
    assert "cytokine_release_syndrome" in vocabulary["term_order"]


@pytest.mark.parametrize(
    "query",
    [
        "target_antigen=CD7&therapy_class=car_t",
        "cell_source=donor_derived&disease=T-ALL",
        "q=nelarabine",
        "setting=relapsed_refractory&min_patients=10",
    ],
)
def test_table_takes_the_filters_of_the_study_list(client: TestClient, query: str) -> None:
    listed = [s["id"] for s in client.get(f"/v1/studies?limit=500&{query}").json()["items"]]
    assert _page(client, f"/embed/table?{query}").values("data-study-id") == listed


def test_the_table_is_paged_as_the_study_list_and_its_links_walk_every_page(client: TestClient) -> None:
    """Session 12's probe (A12): the table had every matching study on one page, 4.8 MB at 100 times
    the data. It takes limit and offset as /v1/studies (50 by default) and links its other pages."""
    every = [s["id"] for s in client.get("/v1/studies", params={"limit": 500}).json()["items"]]
    url, seen, pages = "/embed/table?limit=5", [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text[:300]
        page = HtmlPage(response.text)
        shown = page.values("data-study-id")
        assert (
            len(shown) <= 5 and f"studies {len(seen) + 1} to {len(seen) + len(shown)} of {len(every)}" in response.text
        )
        seen += shown
        pages += 1
        found = re.search(r'<a rel="next" href="([^"]+)"', response.text)
        url = html.unescape(found.group(1)) if found else ""
    assert seen == every and pages == -(-len(every) // 5)
    back = re.search(r'<a rel="prev" href="([^"]+)"', client.get("/embed/table?limit=5&offset=5").text)
    assert back and "offset=0" in html.unescape(back.group(1))


def _links_out(page: HtmlPage) -> list[str]:
    """Where the page's links lead, but for those within it (#source-1)."""
    return [str(a["href"]) for tag, a in page.tags if tag == "a" and not str(a.get("href")).startswith("#")]


def test_a_pinned_page_links_to_the_pinned_release_only(client: TestClient) -> None:
    """Session 15's probe (JA6): a table pinned with ?version= linked each study, and a card its JSON, to the
    current release (only the next-page link kept the pin). Every link leads into the pinned release now."""
    version = client.get("/v1/meta").json()["dataset_version"]
    table = HtmlPage(client.get(f"/embed/table?limit=100&version={version}").text)
    table_links = _links_out(table)
    assert {f"/embed/studies/{s}?version={version}" for s in table.values("data-study-id")} <= set(table_links)
    # A figure's conflict flag leads to the conflict on its study's card, in the release.
    flag = next(link for link in table_links if "#conflict-" in link)
    conflicted = flag.split("?")[0].removeprefix("/embed/studies/")
    assert flag.startswith(f"/embed/studies/{conflicted}?version={version}#conflict-")
    card_links = _links_out(HtmlPage(client.get(f"/embed/studies/{conflicted}?version={version}").text))
    assert f"/v1/studies/{conflicted}?version={version}" in card_links
    assert all(f"version={version}" in link for link in table_links + card_links), table_links + card_links
    unpinned = _links_out(HtmlPage(client.get("/embed/table?limit=100").text))
    assert unpinned and not any("version=" in link for link in unpinned)
