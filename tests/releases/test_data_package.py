"""The dataset ZIP's datapackage.json, read with Frictionless as a user of the published dataset would."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from frictionless import Package, system

from models.enums import Measure


@pytest.fixture(scope="module")
def package_dir(client: TestClient, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("package")
    response = client.get("/v1/dataset.zip")
    assert response.status_code == 200
    zipfile.ZipFile(io.BytesIO(response.content)).extractall(directory)
    return directory


@pytest.fixture(scope="module")
def package(package_dir: Path) -> Package:
    with system.use_context(trusted=True):
        return Package(str(package_dir / "datapackage.json"))


def test_every_csv_in_the_zip_is_a_resource_of_the_package(package_dir: Path, package: Package) -> None:
    csvs = sorted(p.name for p in package_dir.glob("*.csv"))
    assert sorted(r.path for r in package.resources) == csvs


def test_frictionless_finds_the_package_valid(package_dir: Path) -> None:
    with system.use_context(trusted=True):
        report = Package(str(package_dir / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_licences_version_sources_and_citation(client: TestClient, package_dir: Path) -> None:
    descriptor = json.loads((package_dir / "datapackage.json").read_text(encoding="utf-8"))
    meta = client.get("/v1/meta").json()
    assert descriptor["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert descriptor["version"] == meta["dataset_version"] == (package_dir / "VERSION").read_text().strip()
    assert {licence["name"] for licence in descriptor["licenses"]} == {meta["licence"], "MIT"}
    assert descriptor["citation"] == meta["how_to_cite"]
    titles = {source["title"] for source in client.get("/v1/sources?limit=500").json()["items"]}
    assert {source["title"] for source in descriptor["sources"]} == titles


def test_types_required_fields_and_enumerations_come_from_the_models(package: Package) -> None:
    outcomes = package.get_resource("outcomes").schema
    assert outcomes.get_field("measure").constraints == {"required": True, "enum": [m.value for m in Measure]}
    assert outcomes.get_field("value").type == "number"
    assert outcomes.get_field("numerator").type == "integer"
    assert outcomes.get_field("derived").type == "boolean"
    assert outcomes.primary_key == ["id"]


def test_figures_join_their_studies_through_the_declared_keys(client: TestClient, package: Package) -> None:
    studies = package.get_resource("studies")
    (key,) = studies.schema.primary_key
    studies_by_key = {row[key]: row for row in studies.read_rows()}
    joined = 0
    for name in ("outcomes", "adverse_events", "findings"):
        resource = package.get_resource(name)
        (link,) = [fk for fk in resource.schema.foreign_keys if fk["reference"]["resource"] == "studies"]
        (column,), (target,) = link["fields"], link["reference"]["fields"]
        assert target == key
        for row in resource.read_rows():
            study = studies_by_key[row[column]]  # every figure finds its study through the key
            joined += 1
            if name == "outcomes" and joined % 10 == 1:  # and it is the study the API names for it
                assert client.get(f"/v1/outcomes/{row['id']}").json()["study_id"] == study["id"]
    assert joined > 0
    sources = {fk["reference"]["resource"] for fk in package.get_resource("studies").schema.foreign_keys}
    assert sources == {"sources"}


def test_every_list_read_through_the_package_is_the_json_faces_list(client: TestClient, package: Package) -> None:
    # FA3: inferred reasons hold '; ' themselves, so the package declares such lists JSON arrays.
    dataset = client.get("/v1/dataset").json()
    records: dict[str, dict[str, dict[str, object]]] = {
        "sources": {s["id"]: s for s in dataset["sources"]},
        "studies": {s["id"]: s for s in dataset["studies"]},
        "epidemiology": {e["id"]: e for e in dataset["epidemiology"]},
    }
    for kind in ("outcomes", "adverse_events", "characteristics", "findings"):
        records[kind] = {r["id"]: r for s in dataset["studies"] for r in s[kind]}
    separated, declared = 0, set()
    for name, by_id in records.items():
        resource = package.get_resource(name)
        for field in resource.schema.fields:
            if field.type == "array":
                declared.add(f"{name}.{field.name}")
            elif "items separated by '; '" in (field.description or ""):
                declared.add(f"{name}.{field.name} joined")
        for row in resource.read_rows():
            for field in resource.schema.fields:
                value = by_id[row["id"]].get(field.name)
                if not isinstance(value, list):
                    continue
                if field.type == "array":
                    assert row[field.name] == value, (name, row["id"], field.name)
                else:  # a list of enumeration values: no item holds the separator
                    assert (row[field.name].split("; ") if row[field.name] else []) == value, (name, row["id"])
                if field.name == "inferred":
                    separated += any("; " in i["reason"] for i in value)
    assert separated, "the curated data hold inferred reasons holding '; '"
    assert {"outcomes.inferred", "studies.inferred", "sources.authors", "studies.diseases joined"} <= declared
