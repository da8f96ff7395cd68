"""Every formula trigger is neutralised in CSV, served through /v1/studies.csv, and only in CSV.

OWASP lists six characters a spreadsheet may read as the start of a formula: = + - @ and also
tab and carriage return. One study title starts with each; the CSV cell gets a leading
apostrophe, while JSON and NDJSON carry the title unchanged.
"""

import csv
import io
import json
import shutil
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.render.formats import csv_text
from api.settings import PROJECT_ROOT, Settings
from tests.fixture_data import dump_yaml, read_yaml

# What a spreadsheet would run, one per trigger; the same text after the trigger each time.
TITLES = {trigger: f"{trigger}HYPERLINK(1)" for trigger in ("=", "+", "-", "@", "\t", "\r")}


def test_csv_text_neutralises_each_trigger_and_nothing_else() -> None:
    rows = [{"title": title} for title in TITLES.values()] + [{"title": "a=b"}, {"title": " -1"}, {"title": -2.5}]
    cells = [row[0] for row in csv.reader(io.StringIO(csv_text(["title"], rows), newline=""))][1:]
    assert cells == [*("'" + title for title in TITLES.values()), "a=b", " -1", "-2.5"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The app over a copy of the fixtures in which six studies' titles start with a trigger each."""
    fixtures = tmp_path_factory.mktemp("triggers") / "fixtures"
    shutil.copytree(PROJECT_ROOT / "fixtures", fixtures)
    titled: dict[str, str] = {}
    for path, title in zip(sorted((fixtures / "studies").glob("*.yaml")), TITLES.values(), strict=False):
        data = read_yaml(path.read_text(encoding="utf-8"))
        data["title"] = title
        path.write_text(dump_yaml(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        titled[data["id"]] = title
    app = create_app(Settings(fixtures_dir=fixtures, response_cache_enabled=False))
    with TestClient(app) as client:
        yield client, titled


def test_served_csv_neutralises_every_trigger(hostile: tuple[TestClient, dict[str, str]]) -> None:
    client, titled = hostile
    response = client.get("/v1/studies.csv")
    assert response.status_code == 200
    served = {row["id"]: row["title"] for row in csv.DictReader(io.StringIO(response.text, newline=""))}
    assert len(titled) == len(TITLES)
    for study_id, title in titled.items():
        assert served[study_id] == "'" + title, repr(title[0])


def test_json_and_ndjson_carry_the_titles_unchanged(hostile: tuple[TestClient, dict[str, str]]) -> None:
    client, titled = hostile
    page = client.get("/v1/studies", params={"limit": 100}).json()["items"]
    lines = [json.loads(line) for line in client.get("/v1/studies.ndjson").text.splitlines()]
    for listing in (page, lines):
        served = {item["id"]: item["title"] for item in listing}
        assert {k: served[k] for k in titled} == titled
