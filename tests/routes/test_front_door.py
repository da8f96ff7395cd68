"""The front door (/): a short HTML page for browsers, JSON links for API clients; attribution and permalinks."""

import re
from pathlib import Path

from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import PROJECT_ROOT, Settings
from tests.html_page import HtmlPage, assert_self_contained

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
WANTED = {"/docs", "/openapi.json", "/v1/dataset", "/fhir/metadata", "/v1/meta"}


def test_browsers_get_a_short_html_page_with_the_links_and_how_to_cite(client: TestClient) -> None:
    answer = client.get("/", headers=BROWSER)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert "accept" in answer.headers["vary"].lower()
    assert "'unsafe-inline'" not in answer.headers["content-security-policy"]
    page = HtmlPage(answer.text)
    assert_self_contained(page)
    hrefs = {attrs.get("href") or "" for tag, attrs in page.tags if tag == "a"}
    assert {h.removeprefix("http://testserver") for h in hrefs} >= WANTED
    meta = client.get("/v1/meta").json()
    assert page.text("data-field", "how_to_cite") == meta["how_to_cite"]
    assert page.text("data-field", "attribution") == meta["attribution"]


def test_api_clients_get_json_links(client: TestClient) -> None:
    for headers in ({}, {"Accept": "application/json"}, {"Accept": "*/*"}):
        answer = client.get("/", headers=headers)
        assert answer.headers["content-type"] == "application/json", headers
        index = answer.json()
        assert {link["href"].removeprefix("http://testserver") for link in index["links"]} >= WANTED
        assert index["dataset_version"] == client.get("/v1/meta").json()["dataset_version"]


def test_the_response_cache_keeps_the_two_apart(client: TestClient) -> None:
    """A browser's page must never be served to an API client from the cache, nor the other way round."""
    for _ in range(2):
        assert client.get("/", headers=BROWSER).headers["content-type"].startswith("text/html")
        assert client.get("/").headers["content-type"] == "application/json"


def test_text_on_the_page_is_escaped(tmp_path: Path) -> None:
    payload = '<script>alert("x")</script>'
    settings = Settings(public_url=f"https://example.org/{payload}")
    with TestClient(create_app(settings)) as client:
        html = client.get("/", headers=BROWSER).text
    assert "<script>alert" not in html and "&lt;script&gt;alert(" in html
    assert_self_contained(HtmlPage(html))


def test_meta_says_how_to_attribute_and_cite(client: TestClient) -> None:
    meta = client.get("/v1/meta").json()
    assert meta["dataset_version"] in meta["how_to_cite"] and meta["dataset_version"] in meta["attribution"]
    assert meta["licence"] in meta["attribution"]
    assert (PROJECT_ROOT / meta["citation_file"]).is_file()
    title = re.search(r'^title: "(.+)"$', (PROJECT_ROOT / "CITATION.cff").read_text(), re.M)
    assert title and title.group(1) in meta["how_to_cite"]


def test_every_figure_has_a_permalink_that_answers_with_it(client: TestClient) -> None:
    for path in ("/v1/outcomes", "/v1/adverse-events"):
        items = client.get(path, params={"limit": 500}).json()["items"]
        assert items
        for item in items:
            assert item["permalink"] == f"{Settings().public_url}{path}/{item['id']}"
        sample = items[len(items) // 2]
        local = sample["permalink"].removeprefix(Settings().public_url)
        detail = client.get(local).json()
        # The detail is the list item plus what later readings corrected in it (releases: corrections).
        assert isinstance(detail.pop("corrections"), list)
        assert detail == sample


def test_permalinks_follow_the_public_url_setting() -> None:
    with TestClient(create_app(Settings(public_url="https://evidence.example.org/"))) as client:
        outcome = client.get("/v1/outcomes", params={"limit": 1}).json()["items"][0]
        embedded = client.get("/v1/studies/" + outcome["study_id"]).json()["outcomes"][0]
    assert outcome["permalink"] == f"https://evidence.example.org/v1/outcomes/{outcome['id']}"
    assert embedded["permalink"].startswith("https://evidence.example.org/v1/outcomes/")


def test_readme_says_how_to_cite() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "## How to cite" in readme and "CITATION.cff" in readme and "permalink" in readme
