"""Every face carries the same facts of every figure: the curated ones and synthetic ones with every
combination of flags (inferred, derived, unlabeled, in conflict, with a caveat).

Each face is compared with the projection read straight from the database; what a face leaves out
must be declared, with the reason, in models.projection.FACE_EXCEPTIONS. The web components (which
need Chromium) are checked in tests/browser/test_projection_faces.py with the same readers.
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.main import create_app
from api.state import app_state
from models.comparison import ComparisonRow
from models.enums import Measure
from models.identifiers import fhir_id
from models.projection import Face
from tests.projection_faces import (
    SYNTHETIC_STUDY,
    Faces,
    Key,
    every_face_checked,
    exceptions_name_facts,
    expected_words,
    fhir_problems,
    html_marks,
    json_lines,
    projections,
    svg_marks,
    synthetic_figures,
    text_problems,
    write_synthetic_fixtures,
)

LIST_PATHS = {"outcome": "/v1/outcomes", "adverse_event": "/v1/adverse-events"}
ZIP_TABLES = {"outcome": "outcomes.csv", "adverse_event": "adverse_events.csv"}
STUDY_FIELDS = {"outcome": "outcomes", "adverse_event": "adverse_events"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = write_synthetic_fixtures(tmp_path_factory.mktemp("synthetic"))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def truth(client: TestClient) -> dict[Key, dict[str, Any]]:
    with Session(app_state(client.app).database.engine) as session:
        found = projections(session)
    synthetic = {o["id"] for figures in synthetic_figures() for o in figures}
    assert {k[1].split(".", 1)[1] for k in found if k[1].startswith(f"{SYNTHETIC_STUDY}.synthetic")} == synthetic
    return found


def _all(client: TestClient, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    url: str | None = f"{path}?limit=500"
    while url:
        page = client.get(url).json()
        items += page["items"]
        url = page["links"]["next"]
    return items


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_every_face_carries_every_fact_of_every_figure(client: TestClient, truth: dict[Key, dict[str, Any]]) -> None:
    faces = Faces(truth)
    study_ids = sorted({figure["study_id"] for figure in truth.values()})
    dataset = client.get("/v1/dataset").json()
    archive = zipfile.ZipFile(io.BytesIO(client.get("/v1/dataset.zip").content))
    for kind, path in LIST_PATHS.items():
        faces.fields(Face.json_list, kind, {i["id"]: i for i in _all(client, path)})
        faces.fields(Face.ndjson, kind, {i["id"]: i for i in json_lines(client.get(f"{path}.ndjson").text)})
        faces.csv(Face.csv, kind, _csv(client.get(f"{path}.csv").text))
        faces.csv(Face.dataset_zip, kind, _csv(archive.read(ZIP_TABLES[kind]).decode()))
        detail = {k[1]: client.get(f"{path}/{k[1]}").json() for k in truth if k[0] == kind}
        faces.fields(Face.json_detail, kind, detail)
        faces.fields(Face.dataset_json, kind, {f["id"]: f for s in dataset["studies"] for f in s[STUDY_FIELDS[kind]]})
    studies = {sid: client.get(f"/v1/studies/{sid}").json() for sid in study_ids}
    for kind, field in STUDY_FIELDS.items():
        faces.fields(Face.study_detail, kind, {f["id"]: f for s in studies.values() for f in s[field]})

    # The comparison: a figure is a row, or listed as excluded with the reason (declared in FACE_EXCEPTIONS).
    rows: dict[str, dict[str, Any]] = {}
    csv_rows: dict[str, dict[str, str]] = {}
    svg: dict[str, dict[str, list[str]]] = {}
    excluded: set[str] = set()
    for measure in Measure:
        query = {"measure": measure.value, "subgroup": "any"}
        comparison = client.get("/v1/comparison", params=query).json()
        rows |= {r["outcome_id"]: r for r in comparison["rows"]}
        excluded |= {e["outcome_id"] for e in comparison["excluded"]}
        csv_rows |= {
            r["outcome_id"]: r
            for r in _csv(client.get("/v1/comparison.csv", params=query).text)
            if r["row_type"] == "study"
        }
        svg |= svg_marks(client.get("/v1/comparison.svg", params=query).text)
    outcomes = {k[1] for k in truth if k[0] == "outcome"}
    assert outcomes == set(rows) | excluded, "every outcome is a comparison row or listed as excluded"
    shown_rows = {k: v for k, v in truth.items() if k[1] in rows}
    comparison_faces = Faces(shown_rows)
    comparison_faces.fields(Face.comparison_json, "outcome", rows)
    comparison_faces.csv(Face.comparison_csv, "outcome", list(csv_rows.values()), id_column="outcome_id")
    comparison_faces.text(Face.comparison_svg, "outcome", svg)
    assert set(ComparisonRow.model_fields) >= {"inferred", "derived", "derivation"}

    for sid in study_ids:
        faces.text(
            Face.embed_card,
            "outcome",
            html_marks(client.get(f"/embed/studies/{sid}").text),
            only={f["id"] for f in studies[sid]["outcomes"]},
        )
        faces.text(
            Face.embed_card,
            "adverse_event",
            html_marks(client.get(f"/embed/studies/{sid}").text),
            only={f["id"] for f in studies[sid]["adverse_events"]},
        )
    faces.text(Face.embed_table, "outcome", html_marks(client.get("/embed/table").text))

    for (kind, figure_id), figure in truth.items():
        response = client.get(f"/fhir/Evidence/{fhir_id(figure_id)}")
        assert response.status_code == 200, figure_id
        faces.problems += fhir_problems(kind, response.json(), figure)
        faces.checked[Face.fhir_evidence] += 1

    problems = faces.problems + comparison_faces.problems
    checked = faces.checked + comparison_faces.checked
    # The web components are checked in the browser (tests/browser/test_projection_faces.py).
    checked[Face.web_card] += 1
    checked[Face.web_table] += 1
    problems += every_face_checked(checked) + exceptions_name_facts()
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} in all)"


def test_synthetic_figures_cover_every_combination_of_flags(truth: dict[Key, dict[str, Any]]) -> None:
    synthetic = [f for (_, i), f in truth.items() if ".synthetic" in i]
    combinations = {
        (bool(f["inferred"]), f["derived"], f["unlabeled"], bool(f["conflict_ids"]), bool(f["caveat"]))
        for f in synthetic
    }
    # Every combination a figure can have: an unlabeled figure always carries a caveat.
    assert len(combinations) == 2**5 - 2**3


def test_a_text_face_that_drops_a_mark_is_caught(truth: dict[Key, dict[str, Any]]) -> None:
    """The readers themselves: an inferred value shown without its mark, or with the mark but no reason,
    or a printed value marked inferred, is a problem."""
    key = next(k for k, f in truth.items() if len(f["inferred"]) > 1 and k[0] == "outcome")
    figure = truth[key]
    marks = {"printed": [figure["printed"]], "inferred": [f"inferred {figure['inferred'][0]['reason']}"]}
    problems = text_problems(Face.embed_card, "outcome", marks, figure)
    assert any("inferred" in p for p in problems)  # the second reason is missing
    full = {"inferred": [" ".join(expected_words("inferred", figure) or [])]}
    assert not [p for p in text_problems(Face.embed_card, "outcome", full, figure) if ": inferred" in p]
    printed = next(f for k, f in truth.items() if not f["inferred"] and k[0] == "outcome")
    wrongly = text_problems(Face.embed_card, "outcome", {"inferred": ["inferred"]}, printed)
    assert any("marked inferred" in p for p in wrongly)


def test_jplsg_denominator_is_said_to_be_read_on_every_face(client: TestClient) -> None:
    """The figure the issue names: 56 of 62, where the 62 is read, not printed."""
    figure_id = "jplsg-t11.cr-cri"
    row = next(
        r
        for r in client.get("/v1/comparison", params={"measure": "cr_cri"}).json()["rows"]
        if r["outcome_id"] == figure_id
    )
    assert [i["field"] for i in row["inferred"]] == ["denominator", "denominator_basis"]
    evidence = client.get(f"/fhir/Evidence/{fhir_id(figure_id)}").json()
    assert any("Inferred by curators, not printed: denominator" in n["text"] for n in evidence["note"])
    card = html_marks(client.get("/embed/studies/jplsg-t11").text)[figure_id]
    assert "inferred" in " ".join(card["inferred"])
    plot = svg_marks(client.get("/v1/comparison.svg", params={"measure": "cr_cri"}).text)[figure_id]
    assert "inferred: denominator" in " ".join(plot["inferred"])
