"""Item 8: exported cells cannot start a spreadsheet formula; the SVG plot carries a restrictive CSP.

The fixture text here is written by a hostile (or careless) curator into a private copy of the
fixtures; the server is started on that copy and read through its CSV and ZIP exports.
"""

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.http.live import LiveServer, live_server, scratch_data

STUDY = "jplsg-t11"
FORMULAS = {
    "title": '=HYPERLINK("http://evil.example","x")',
    "acronym": "+SUM(1,2)",
    "summary": "-2+3",
    "notes": "@cmd",
}
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def hostile_text(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("formulas")
    env = scratch_data(tmp)
    path = Path(env["TALL_FIXTURES_DIR"]) / "studies" / f"{STUDY}.yaml"
    kept = []
    skipping = False
    for line in path.read_text(encoding="utf-8").splitlines():
        key = line.split(":", 1)[0]
        if key in FORMULAS and not line.startswith(" "):
            kept.append(f"{key}: '{FORMULAS[key]}'")
            skipping = True
            continue
        if skipping and line.startswith("  "):
            continue
        skipping = False
        kept.append(line)
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    with live_server(tmp, env) as running:
        yield running


def _formula_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row if cell.startswith(TRIGGERS)]


def test_the_hostile_text_is_served_verbatim_as_json(hostile_text: LiveServer) -> None:
    study = httpx.get(f"{hostile_text.base}/v1/studies/{STUDY}", timeout=30).json()
    assert study["title"] == FORMULAS["title"]


def test_csv_cells_cannot_start_a_formula(hostile_text: LiveServer) -> None:
    response = httpx.get(f"{hostile_text.base}/v1/studies", params={"format": "csv"}, timeout=30)
    assert response.status_code == 200
    assert not _formula_cells(response.text)
    # Neutralised, not dropped: the text is still there after a leading apostrophe.
    assert "'" + FORMULAS["title"] in [cell for row in csv.reader(io.StringIO(response.text)) for cell in row]


def test_zip_tables_cannot_start_a_formula(hostile_text: LiveServer) -> None:
    response = httpx.get(f"{hostile_text.base}/v1/dataset", params={"format": "csv"}, timeout=60)
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        for name in archive.namelist():
            if name.endswith(".csv"):
                assert not _formula_cells(archive.read(name).decode("utf-8")), name


def test_numbers_stay_numbers(http: httpx.Client) -> None:
    # Negative numbers are values, not text: neutralising must not touch them.
    response = http.get("/v1/outcomes", params={"format": "csv", "limit": 500})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and all(not (row.get("value") or "").startswith("'") for row in rows)


def test_inferred_fields_read_back_from_the_csv_over_a_socket(http: httpx.Client) -> None:
    # FA3: each reason may hold '; ', so the column is one JSON array, not items joined by it.
    for path in ("/v1/outcomes", "/v1/studies", "/v1/adverse-events"):
        records = {r["id"]: r for r in map(json.loads, http.get(f"{path}.ndjson").text.splitlines())}
        rows = list(csv.DictReader(io.StringIO(http.get(f"{path}.csv").text)))
        assert [json.loads(row["inferred"]) for row in rows] == [records[row["id"]]["inferred"] for row in rows]
        assert any("; " in i["reason"] for row in rows for i in json.loads(row["inferred"])), path


def test_the_svg_plot_has_a_content_security_policy(http: httpx.Client) -> None:
    response = http.get("/v1/comparison.svg", params={"measure": "cr"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    policy = response.headers.get("content-security-policy", "")
    assert "default-src 'none'" in policy
    assert "script-src" not in policy or "script-src 'none'" in policy
