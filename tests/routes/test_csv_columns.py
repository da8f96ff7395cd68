"""Every CSV the API serves is a table pandas and csv.DictReader read whole: no column name twice."""

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any, cast

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.render.formats import csv_text
from models.enums import Measure

SEPARATOR = "; "  # between the items of a list of enumeration values
# Operations that need a query to answer at all, and the queries that reach every kind of row.
REQUIRED_QUERIES = {"/v1/comparison.csv": [{"measure": m.value, "subgroup": "any"} for m in Measure]}


def csv_paths(client: TestClient) -> list[str]:
    """Every CSV operation the document lists, so a new one is checked without naming it here."""
    paths = client.get("/openapi.json").json()["paths"]
    return sorted(p for p in paths if p.endswith(".csv") and "{" not in p)


def csv_bodies(client: TestClient) -> Iterator[tuple[str, str]]:
    for path in csv_paths(client):
        for query in REQUIRED_QUERIES.get(path, [{}]):
            response = client.get(path, params=query)
            assert response.status_code == 200, (path, query, response.text[:300])
            yield f"{path}?{query}", response.text
    archive = zipfile.ZipFile(io.BytesIO(client.get("/v1/dataset.zip").content))
    for name in archive.namelist():
        if name.endswith(".csv"):
            yield f"dataset.zip:{name}", archive.read(name).decode()


def assert_whole_table(where: str, text: str) -> None:
    header = next(csv.reader(io.StringIO(text)))
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    # pandas renames a repeated name ('label.1'); DictReader keeps one value per repeated key.
    assert list(frame.columns) == header, where
    assert len(reader.fieldnames or []) == len(header), where
    assert all(len(row) == len(header) for row in rows), where
    repeated = sorted({c for c in header if header.count(c) > 1})
    assert not repeated, f"{where}: repeated columns {repeated}"
    assert len(frame) == len(rows), where


def test_every_csv_reads_whole_in_pandas_and_dictreader(client: TestClient) -> None:
    seen = [where for where, text in csv_bodies(client) if assert_whole_table(where, text) is None]
    # Lists, the comparison (once per measure) and each table of the ZIP were all read.
    assert any(w.startswith("/v1/comparison.csv") for w in seen)
    assert sum(w.startswith("dataset.zip:") for w in seen) >= 8
    assert any(w.startswith("/v1/outcomes.csv") for w in seen)


def test_a_repeated_column_is_refused_before_it_is_written() -> None:
    # Each repeated column named once, in order, whether given twice or three times.
    with pytest.raises(ValueError, match=r"^CSV columns named more than once: label, n$"):
        csv_text(["n", "row_type", "label", "label", "n", "n"], [])


def _list_from_cell(cell: str) -> list[Any]:
    """A JSON array, else a list of enumeration values joined by '; ' (none of which starts with '[')."""
    if cell.startswith("["):
        return cast(list[Any], json.loads(cell))
    return cell.split(SEPARATOR) if cell else []


def test_every_list_cell_of_a_list_csv_reads_back_as_the_ndjson_list(client: TestClient) -> None:
    # FA3: an inferred reason holds '; ' itself, so items joined by it could not be told apart.
    compared: set[str] = set()
    separated = 0
    for path in csv_paths(client):
        rows = list(csv.DictReader(io.StringIO(client.get(path).text)))
        if path in REQUIRED_QUERIES or "id" not in rows[0]:  # the comparison (below); conflicts, a row a member
            continue
        records = [json.loads(line) for line in client.get(path.removesuffix(".csv") + ".ndjson").text.splitlines()]
        assert [r["id"] for r in rows] == [r["id"] for r in records], path
        for row, record in zip(rows, records, strict=True):
            for name, value in record.items():
                if isinstance(value, list):
                    assert _list_from_cell(row[name]) == value, (path, row["id"], name)
                    compared.add(f"{path}:{name}")
                if name == "inferred":
                    assert row[name].startswith("["), (path, row["id"])
                    separated += any(SEPARATOR in i["reason"] for i in value)
    assert {"/v1/outcomes.csv:inferred", "/v1/studies.csv:inferred", "/v1/adverse-events.csv:inferred"} <= compared
    assert separated, "the curated data hold inferred reasons holding '; '"


def test_the_comparison_csv_carries_each_rows_inferred_fields_as_one_json_array(client: TestClient) -> None:
    seen = 0
    for query in REQUIRED_QUERIES["/v1/comparison.csv"]:
        rows = {r["outcome_id"]: r for r in client.get("/v1/comparison", params=query).json()["rows"]}
        for row in csv.DictReader(io.StringIO(client.get("/v1/comparison.csv", params=query).text)):
            if row["row_type"] == "study":
                assert json.loads(row["inferred"]) == rows[row["outcome_id"]]["inferred"]
                seen += any(SEPARATOR in i["reason"] for i in rows[row["outcome_id"]]["inferred"])
    assert seen, "a compared figure has an inferred reason holding '; '"
