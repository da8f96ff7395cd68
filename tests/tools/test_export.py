"""`tall-evidence export`: fixtures -> database -> fixture files, with nothing lost or changed."""

import os
import shutil
import typing
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api.database import Database
from api.loading.load import load_dataset
from api.main import create_app
from api.settings import Settings
from api.tools.export import export_database
from models.fixture import ConflictsFile, EpidemiologyFile, OutcomeEntry, SourcesFile, StudyFile
from tests import launcher
from tests.fixture_data import dump_yaml, read_yaml

# A study touching every table and the awkward corners of YAML: explicit nulls and explicit
# defaults next to omitted fields, ranges, counts of zero, text needing quotes, unicode,
# folded text, and links, conflicts and epidemiology the repository's fixtures lack.
RICH_STUDY = """\
# A synthetic study for the export round trip (not curated data).
id: rich-study
title: "Synthetic: every table, every kind of value"
acronym: null
summary: >-
  Folded text that spans
  two lines, with a colon: here and ≤ grade II.
design: non_randomised_trial
phase: not_stated
randomised: null
registry_ids: [NCT00000001, NCT00000002]
period_start: 2019
setting: relapsed_refractory
diseases: [T-ALL, T-LBL]
age_groups: []
age_min: 0.5
age_median: 12
n_enrolled: 0
enrolled_printed: "0 (none yet)"
therapy_classes: [car_t]
notes: "  leading spaces, a # hash and 'quotes'  "
source_id: 000_ce0d31675345fdf7
locator: "Abstract"
reports:
  - {id: letter, source_id: 000_ce0d31675345fdf7, locator: "Title", year: 2024, abstract_number: "007"}
  - {id: deck, source_id: 004_76887cb5a060c388, locator: "Slide 12", n_patients: 9, follow_up: null}
arms:
  - id: low-dose
    label: Low dose
    n: 4
    interventions:
      - {agent: nelarabine, role: investigational, dose: null, source_id: 000_ce0d31675345fdf7, locator: "Methods"}
      - {agent: venetoclax, therapy_class: bcl2_inhibitor, role: backbone, dose: "400 mg", schedule: "days 1\\u201128",
         source_id: 000_ce0d31675345fdf7, locator: "Methods"}
  - {id: high-dose, label: High dose, description: "Two infusions", n_printed: "5"}
car_products:
  - id: cd7-car
    arm: high-dose
    name: "CD7-CAR (PEBL)"
    cell_type: t_cell
    target_antigens: [CD7, CD5]
    cell_source: donor_derived
    fratricide_strategy: protein_expression_blocker
    binder: nanobody
    source_id: 000_ce0d31675345fdf7
    locator: "Figure 1"
outcomes:
  - {id: cr, arm: low-dose, report: letter, measure: cr, time_point: d28, value: 75, numerator: 3, denominator: 4,
     printed: "3/4 (75%)", source_id: 000_ce0d31675345fdf7, locator: "Table 1"}
  - {id: os-range, measure: os, unit: months, value_low: 1.5, value_high: 14, printed: "1.5-14 months",
     qualifier: approximate, subgroup: etp, p_value: 0.04, p_value_printed: "p = 0.04", comparison: "ETP vs not",
     source_id: 000_ce0d31675345fdf7, locator: "Results"}
  - {id: orr-deck, report: deck, measure: orr, value: 50.0, numerator: 4, denominator: 9, printed: "50%",
     conflict_ids: [deck-vs-letter], source_id: 004_76887cb5a060c388, locator: "Slide 12"}
  - {id: derived, measure: mrd_negative_cr, value: 100.0, numerator: 3, denominator: 3, derived: true,
     derivation: "3 of 3 responders", unlabeled: true, caveat: "not labelled", notes: "",
     printed: "3", source_id: 000_ce0d31675345fdf7, locator: "Figure 2"}
adverse_events:
  - {id: crs, arm: high-dose, term: cytokine_release_syndrome, grade_min: 1, grade_max: 2,
     grading_system: astct_consensus, patients: 2, at_risk: 5, percentage: 40, printed: "2/5 (40%)",
     source_id: 000_ce0d31675345fdf7, locator: "Table 2"}
  - {id: no-gvhd, term: graft_versus_host_disease, grading_system: not_stated, patients: 0, printed: "no GVHD",
     source_id: 000_ce0d31675345fdf7, locator: "Discussion"}
characteristics:
  - {id: blasts, label: "Marrow blasts", value_low: 5, value_high: 90.5, unit: percent, printed: "5\\u201390.5%",
     conflict_ids: [deck-vs-letter], source_id: 000_ce0d31675345fdf7, locator: "Table 1"}
findings:
  - {id: no-contamination, category: manufacturing, statement: "No product was contaminated.",
     source_id: 000_ce0d31675345fdf7, locator: "Methods"}
related_studies:
  - {study: jplsg-t11, relation: same_programme, note: "same team, other product"}
"""

CONFLICTS = """\
conflicts:
  - {id: deck-vs-letter, kind: between_documents, description: "The deck and the letter differ."}
"""

EPIDEMIOLOGY = """\
figures:
  - {id: t-all-share, measure: share_of_all_cases, disease: T-ALL, population: "adult ALL", value_low: 20,
     value_high: 25, citation: "Someone 2020", printed: "20-25%", source_id: 004_76887cb5a060c388, locator: "Slide 2"}
  - {id: relapse, measure: relapse_rate, disease: T-LBL, population: children, value: 10.0, printed: "10%",
     derived: false, source_id: 004_76887cb5a060c388, locator: "Slide 3"}
"""


@pytest.fixture
def rich(fixture_copy: Settings) -> Settings:
    """The repository's fixtures plus a study, conflicts and epidemiology that use every table."""
    fixtures = Path(fixture_copy.fixtures_dir)
    (fixtures / "studies" / "rich-study.yaml").write_text(RICH_STUDY, encoding="utf-8")
    # Added to the curated conflicts and figures, which the curated studies refer to.
    for name, extra, key in (
        ("conflicts.yaml", CONFLICTS, "conflicts"),
        ("epidemiology.yaml", EPIDEMIOLOGY, "figures"),
    ):
        path = fixtures / name
        data = read_yaml(path.read_text(encoding="utf-8")) if path.exists() else {key: []}
        data[key] += read_yaml(extra)[key]
        path.write_text(dump_yaml(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return fixture_copy


def _item_model(annotation: Any) -> type[BaseModel] | None:
    """OutcomeEntry for list[OutcomeEntry]; None for lists of plain values."""
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        return item if isinstance(item, type) and issubclass(item, BaseModel) else None
    return None


def _normalised(data: Any, model: type[BaseModel]) -> Any:
    """Parsed YAML with what the loader cannot tell apart made equal, and nothing else changed.

    A key whose value equals the field's default (null, [], false, the default enum value) is
    the same as a missing key; records in lists are compared in id order. Every other value,
    and the order of plain lists (authors, antigens...), must match as written.
    """
    out = {}
    for key, value in data.items():
        field = model.model_fields[key]  # an unknown key would be a KeyError: the loader rejects it too
        if not field.is_required() and value == field.get_default(call_default_factory=True):
            continue
        item = _item_model(field.annotation)
        if item is not None:
            records = [_normalised(v, item) for v in value]
            value = sorted(records, key=lambda r: str(r.get("id", r.get("agent", r.get("study")))))
        out[key] = value
    return out


def _read(path: Path) -> Any:
    return read_yaml(path.read_text(encoding="utf-8")) if path.exists() else {}


def _dataset(settings: Settings) -> dict[str, Any]:
    """Every fixture file of a fixture set, parsed and normalised, by its name."""
    fixtures = Path(settings.fixtures_dir)
    files: dict[str, Any] = {
        "sources": _normalised(_read(Path(settings.sources_registry)), SourcesFile),
        "conflicts": _normalised(_read(fixtures / "conflicts.yaml"), ConflictsFile),
        "epidemiology": _normalised(_read(fixtures / "epidemiology.yaml"), EpidemiologyFile),
    }
    for path in sorted((fixtures / "studies").glob("*.yaml")):
        files[f"studies/{path.name}"] = _normalised(_read(path), StudyFile)
    return files


def _export(settings: Settings, out: Path, before_export: typing.Callable[[], None] = lambda: None) -> Settings:
    database = Database(settings.database_url)
    try:
        load_dataset(settings, database)
        before_export()
        export_database(database.engine, out)
    finally:
        database.close()
    return Settings(fixtures_dir=out / "fixtures", sources_registry=out / "seeds" / "sources.yaml")


def test_round_trip_gives_the_same_data(rich: Settings, tmp_path: Path) -> None:
    expected = _dataset(rich)

    def remove_inputs() -> None:
        # The export must come from the database: the files it was loaded from are gone.
        shutil.rmtree(rich.fixtures_dir)
        Path(rich.sources_registry).unlink()

    exported = _export(rich, tmp_path / "out", before_export=remove_inputs)
    assert _dataset(exported) == expected
    # The comparison is not vacuous: every table has rows.
    study = expected["studies/rich-study.yaml"]
    assert all(study[k] for k in ("reports", "arms", "car_products", "outcomes", "adverse_events", "findings"))
    assert study["characteristics"] and study["related_studies"]
    assert expected["conflicts"]["conflicts"] and expected["epidemiology"]["figures"]


def test_round_trip_of_the_repository_fixtures(settings: Settings, tmp_path: Path) -> None:
    assert _dataset(_export(settings, tmp_path / "out")) == _dataset(settings)


def test_export_keeps_every_non_default_value_and_leaves_defaults_out(rich: Settings, tmp_path: Path) -> None:
    """Values a careless export could turn into null survive; nulls and defaults are not written."""
    _export(rich, tmp_path / "out")
    exported = _read(tmp_path / "out" / "fixtures" / "studies" / "rich-study.yaml")
    outcomes = {o["id"]: o for o in exported["outcomes"]}
    assert outcomes["derived"]["notes"] == ""  # empty text is not null
    assert exported["n_enrolled"] == 0  # zero is not null
    assert exported["notes"] == "  leading spaces, a # hash and 'quotes'  "
    assert exported["summary"] == "Folded text that spans two lines, with a colon: here and ≤ grade II."
    assert exported["car_products"][0]["target_antigens"] == ["CD7", "CD5"]  # order kept
    events = {e["id"]: e for e in exported["adverse_events"]}
    assert events["no-gvhd"]["patients"] == 0
    # Canonical form: nulls and defaults are left out, whether the input wrote them or not.
    assert "acronym" not in exported and "randomised" not in exported and "age_groups" not in exported
    assert not {"unit", "qualifier", "derived", "conflict_ids", "subgroup"} & set(outcomes["cr"])
    nelarabine = exported["arms"][1]["interventions"][0]
    assert nelarabine["agent"] == "nelarabine" and "role" not in nelarabine and "dose" not in nelarabine


def test_export_is_a_fixed_point(rich: Settings, tmp_path: Path) -> None:
    first = _export(rich, tmp_path / "first")
    _export(first, tmp_path / "second")
    names = sorted(p.relative_to(tmp_path / "first") for p in (tmp_path / "first").rglob("*.yaml"))
    assert names == sorted(p.relative_to(tmp_path / "second") for p in (tmp_path / "second").rglob("*.yaml"))
    for name in names:
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes(), name


def test_exported_fixtures_serve_the_same_answers(rich: Settings, tmp_path: Path) -> None:
    exported = _export(rich, tmp_path / "out")
    with TestClient(create_app(rich)) as original, TestClient(create_app(exported)) as copy:
        for path in ("/v1/studies", "/v1/outcomes", "/v1/adverse-events", "/v1/sources", "/v1/conflicts"):
            listed = original.get(path, params={"limit": 500}).json()
            assert listed["items"], path
            assert copy.get(path, params={"limit": 500}).json() == listed, path
            for item in listed["items"]:
                assert copy.get(f"{path}/{item['id']}").json() == original.get(f"{path}/{item['id']}").json()
        assert copy.get("/v1/epidemiology").json() == original.get("/v1/epidemiology").json()
        assert copy.get("/v1/meta").json()["counts"] == original.get("/v1/meta").json()["counts"]


def test_export_command_writes_a_valid_fixture_set_and_never_overwrites(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = launcher.run(["export", "--out", str(out)], env=os.environ, timeout=300)
    assert done.returncode == 0, done.stderr
    env = {
        **os.environ,
        "TALL_FIXTURES_DIR": str(out / "fixtures"),
        "TALL_SOURCES_REGISTRY": str(out / "seeds" / "sources.yaml"),
    }
    validated = launcher.run(["validate"], env=env, timeout=300)
    assert validated.returncode == 0, validated.stderr
    again = launcher.run(["export", "--out", str(out)], env=os.environ, timeout=300)
    assert again.returncode == 1 and "not an empty directory" in again.stderr


def test_the_normalisation_only_forgives_defaults() -> None:
    """Guard for the comparison above: a lost or changed value must still show."""
    base = {"id": "x", "measure": "os", "printed": "1", "source_id": "s", "locator": "l"}
    assert _normalised({**base, "unit": "percent", "notes": None, "conflict_ids": []}, OutcomeEntry) == base
    assert _normalised({**base, "derived": True}, OutcomeEntry) != base
    assert _normalised({**base, "value": 0.0}, OutcomeEntry) != base
    assert _normalised({**base, "notes": ""}, OutcomeEntry) != base
