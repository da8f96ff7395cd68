"""The FHIR mapping as pure functions: public models in, R5 resources out, checked without a server."""

import re

import pytest

from api.fhir.elements import Context, Urls
from api.fhir.resources import outcome_evidence, outcome_statistic, pooled_evidence
from api.fhir.responses import RESOURCE_TYPES, operation_outcome, subset
from api.fhir.search_index import FhirIndex, build_index
from api.queries.comparison import pool_random_effects, wilson_interval
from models.adverse_event import AdverseEventPublic
from models.arm import ArmPublic
from models.comparison import Comparison, ComparisonRow
from models.conflict import ConflictMember, ConflictPublic
from models.enums import AdverseEventTerm, ConflictKind, Design, Disease, Measure, Setting, SourceKind, ValueQualifier
from models.identifiers import fhir_id
from models.outcome import OutcomePublic
from models.source import SourcePublic
from models.study import ReportPublic
from models.study_views import StudyDetail
from tests.fhir_checks import pooled_row, problems, references, validate

BASE = "https://example.org/fhir"
URLS = Urls(BASE)


def _source(source_id: str = "001_abc") -> SourcePublic:
    return SourcePublic(
        id=source_id,
        title="A letter",
        kind=SourceKind.letter,
        authors=["A. Author", "B. Author"],
        identifiers={"doi": "10.1000/xyz"},
        sha256="0" * 64,
        summary="What the letter covers.",
        year=2024,
    )


def _outcome(local: str = "cr", **fields: object) -> OutcomePublic:
    values: dict[str, object] = {
        "id": f"study-a.{local}",
        "study_id": "study-a",
        "arm_id": "study-a.arm-1",
        "report_id": "study-a.letter",
        "source_id": "001_abc",
        "locator": "Table 2, row 'CR'",
        "printed": "8/10 (80%)",
        "measure": Measure.cr,
        "value": 80.0,
        "numerator": 8,
        "denominator": 10,
        "permalink": f"http://127.0.0.1:8000/v1/outcomes/study-a.{local}",
    }
    values.update(fields)
    return OutcomePublic.model_validate(values)


def _study(outcomes: list[OutcomePublic], conflicts: list[ConflictPublic] | None = None) -> StudyDetail:
    return StudyDetail(
        id="study-a",
        title="Study A",
        summary="What was done, in our words.",
        design=Design.single_arm_trial,
        setting=Setting.relapsed_refractory,
        diseases=[Disease.t_all, Disease.t_lbl],
        source_id="001_abc",
        locator="Abstract",
        source_ids=["001_abc"],
        arms=[ArmPublic(id="study-a.arm-1", label="Arm one", description="Drug X")],
        reports=[ReportPublic(id="study-a.letter", study_id="study-a", source_id="001_abc", locator="Title")],
        outcomes=outcomes,
        adverse_events=[
            AdverseEventPublic(
                id="study-a.crs",
                study_id="study-a",
                source_id="001_abc",
                locator="Text",
                printed="2 of 10",
                term=AdverseEventTerm.crs,
                patients=2,
                at_risk=10,
                permalink="http://127.0.0.1:8000/v1/adverse-events/study-a.crs",
            )
        ],
        conflicts=conflicts or [],
    )


def _context(study: StudyDetail) -> Context:
    ctx = Context(URLS, source_ids={"001_abc": "001-abc"}, source_titles={"001_abc": "A letter"})
    ctx.report_ids = {r.id: fhir_id(r.id) for r in study.reports}
    ctx.evidence_ids = {("outcome", o.id): fhir_id(o.id) for o in study.outcomes}
    ctx.evidence_ids |= {("adverse_event", e.id): fhir_id(e.id) for e in study.adverse_events}
    ctx.conflicts = {c.id: c for c in study.conflicts}
    return ctx


def test_fhir_ids_are_valid_readable_and_distinct() -> None:
    assert fhir_id("study-a.cr-2y") == "study-a.cr-2y"
    assert fhir_id("001_abc") == "001-abc"
    long_ids = ["x" * 70 + "-one", "x" * 70 + "-two"]
    mapped = [fhir_id(i) for i in long_ids]
    assert all(re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", m) for m in mapped)
    assert mapped[0] != mapped[1]


def test_a_printed_proportion_with_counts_and_our_interval() -> None:
    interval = wilson_interval(8, 10)
    statistic = outcome_statistic(_outcome(), interval)
    assert statistic["statisticType"]["coding"][0]["code"] == "C44256"
    assert statistic["quantity"] == {"value": 80.0, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}
    assert statistic["numberOfEvents"] == 8
    assert statistic["sampleSize"] == {"numberOfParticipants": 10}
    (estimate,) = statistic["attributeEstimate"]
    assert estimate["level"] == 0.95
    assert (estimate["range"]["low"]["value"], estimate["range"]["high"]["value"]) == interval
    assert "computed by this service" in estimate["description"]
    assert {c["code"] for c in estimate["type"]["coding"]} == {"C53324", "STATO_0000196"}


def test_no_interval_is_invented_and_a_bound_keeps_its_comparator() -> None:
    statistic = outcome_statistic(_outcome(value=20.0, qualifier=ValueQualifier.less_than, printed="<20%"), None)
    assert "attributeEstimate" not in statistic
    assert statistic["quantity"]["comparator"] == "<"


def test_counts_only_patients_unit_is_a_count() -> None:
    statistic = outcome_statistic(
        _outcome(value=4.0, unit="patients", numerator=None, denominator=None, printed="4 patients"), None
    )
    assert statistic["statisticType"]["coding"][0]["code"] == "C25463"
    assert "numberOfEvents" not in statistic and "sampleSize" not in statistic


def test_outcome_evidence_is_valid_r5_and_carries_the_figure_as_printed() -> None:
    study = _study([_outcome()])
    evidence = outcome_evidence(_context(study), study.outcomes[0], study, interval=wilson_interval(8, 10))
    validate(evidence)
    assert problems(evidence, BASE) == []
    (figure,) = [e for e in evidence["extension"] if e["url"] == f"{BASE}/StructureDefinition/source-figure"]
    parts = {p["url"]: p for p in figure["extension"]}
    assert parts["printed"]["valueString"] == "8/10 (80%)"
    assert parts["locator"]["valueString"] == "Table 2, row 'CR'"
    assert parts["source"]["valueReference"]["reference"] == "Citation/001-abc"
    assert references(evidence) >= {
        "Citation/001-abc",
        "ResearchStudy/study-a",
        "Citation/study-a.letter",
        "EvidenceVariable/measure-cr",
    }
    roles = [v["variableRole"]["coding"][0]["code"] for v in evidence["variableDefinition"]]
    assert roles == ["population", "exposure", "measuredVariable"]


def test_a_conflict_shows_on_the_evidence_with_links_to_the_other_figures() -> None:
    conflict = ConflictPublic(
        id="text-vs-table",
        kind=ConflictKind.within_document,
        description="The text and the table disagree.",
        members=[
            ConflictMember(kind="outcome", id="study-a.cr", source_id="001_abc", locator="T2", printed="8/10 (80%)"),
            ConflictMember(kind="outcome", id="study-a.cr-text", source_id="001_abc", locator="p3", printed="7 CR"),
            ConflictMember(kind="characteristic", id="study-a.n", source_id="001_abc", locator="p1", printed="11"),
        ],
    )
    first = _outcome(conflict_ids=["text-vs-table"])
    second = _outcome("cr-text", printed="7 CR", value=None, numerator=7, conflict_ids=["text-vs-table"])
    study = _study([first, second], [conflict])
    evidence = outcome_evidence(_context(study), first, study, interval=None)
    validate(evidence)
    (extension,) = [e for e in evidence["extension"] if e["url"].endswith("/recorded-conflict")]
    members = [p for p in extension["extension"] if p["url"] == "member"]
    assert [m.get("valueReference", {}).get("reference") for m in members] == [
        "Evidence/study-a.cr",
        "Evidence/study-a.cr-text",
        None,
    ]
    assert "characteristic study-a.n" in members[2]["valueString"]
    assert any("text-vs-table" in n["text"] for n in evidence["note"])


def _row(outcome: OutcomePublic) -> ComparisonRow:
    return pooled_row(outcome, study_title="Study A", label=f"Study A · {outcome.id}")


def test_pooled_evidence_is_valid_says_it_was_computed_and_links_its_rows() -> None:
    outcomes = [
        _outcome(time_point="d28"),
        _outcome("cr-2", numerator=3, denominator=12, value=25.0, printed="3/12", time_point="d28"),
    ]
    study = _study(outcomes)
    comparison = Comparison(
        measure=Measure.cr,
        rows=[_row(o) for o in outcomes],
        pooled=pool_random_effects([(8, 10), (3, 12)]).model_copy(update={"time_point": "d28"}),
        excluded=[],
        dataset_version="v",
    )
    evidence = pooled_evidence(_context(study), comparison)
    validate(evidence)
    assert problems(evidence, BASE) == []
    statistic = evidence["statistic"][0]
    assert statistic["quantity"]["value"] == comparison.pooled.proportion  # type: ignore[union-attr]
    assert statistic["sampleSize"]["numberOfParticipants"] == 22
    assert statistic["numberOfEvents"] == 11
    assert all(
        "computed by this service" in e.get("description", "computed by this service")
        for e in statistic["attributeEstimate"]
    )
    assert references(evidence) == {
        "Evidence/study-a.cr",
        "Evidence/study-a.cr-2",
        "EvidenceVariable/measure-cr-at-d28",
    }
    with pytest.raises(AssertionError):
        pooled_evidence(_context(study), comparison.model_copy(update={"pooled": None}))


def test_the_whole_index_validates_and_its_references_resolve_inside_it() -> None:
    study = _study(
        [
            _outcome(),
            _outcome(
                "os-2y",
                measure=Measure.os,
                time_point="2y",
                value=60.0,
                numerator=None,
                denominator=None,
                printed="2-year OS 60%",
            ),
        ]
    )
    index = build_index(URLS, studies=[study], sources=[_source()], comparisons=[], intervals={}, built_at="2024-01-01")
    served = {(kind, rid) for kind, by_id in index.resources.items() for rid in by_id}
    assert {kind for kind, _ in served} == set(RESOURCE_TYPES)
    for kind, by_id in index.resources.items():
        for resource in by_id.values():
            validate(resource)
            assert problems(resource, BASE) == [], f"{kind}/{resource['id']}"
            for target in references(resource):
                assert tuple(target.split("/")) in served, f"{kind}/{resource['id']} -> {target}"
    ncit = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
    conditions = index.resources["ResearchStudy"]["study-a"]["condition"]
    assert [c["coding"][0]["code"] for c in conditions] == ["C3183", "C6919"]
    assert all(c["coding"][0]["system"] == ncit for c in conditions)

    def definition(variable_id: str) -> dict:
        (extension,) = index.resources["EvidenceVariable"][variable_id]["extension"]
        assert extension["url"] == "http://hl7.org/fhir/uv/ebm/StructureDefinition/evidence-variable-definition"
        return extension["valueCodeableReference"]["concept"]

    assert {"system": ncit, "code": "C4870", "display": "Complete Remission"} in definition("measure-cr")["coding"]
    os_codes = definition("measure-os")["coding"]
    assert [c["system"] for c in os_codes] == [f"{BASE}/CodeSystem/measure"]  # no verified NCIt code
    assert "24 months" in index.resources["EvidenceVariable"]["measure-os-at-2y"]["description"]
    assert [r["id"] for r in index.search("Evidence", [("measure", ["os"])])] == ["study-a.os-2y"]
    assert {r["id"] for r in index.search("Citation", [("study", ["study-a"])])} == {"001-abc", "study-a.letter"}
    assert index.search("Evidence", [("source", ["001_abc"])]) == index.search("Evidence", [("source", ["001-abc"])])


def test_two_records_mapping_to_one_id_are_refused() -> None:
    index = FhirIndex()
    index.add({"resourceType": "Citation", "id": "001-abc"})
    with pytest.raises(ValueError, match="001-abc"):
        index.add({"resourceType": "Citation", "id": "001-abc"})


def test_operation_outcome_is_valid_r5() -> None:
    outcome = operation_outcome("invalid", "bad _count", ["_count"])
    validate(outcome)
    assert outcome["issue"][0] == {
        "severity": "error",
        "code": "invalid",
        "diagnostics": "bad _count",
        "expression": ["_count"],
    }


def test_a_subset_keeps_the_tags_a_resource_had_and_adds_subsetted() -> None:
    other = {"system": "https://example.org/tags", "code": "reviewed"}
    resource = {
        "resourceType": "Citation",
        "id": "x",
        "meta": {"profile": ["https://example.org/p"], "tag": [other]},
        "title": "T",
        "status": "active",
        "note": [{"text": "n"}],
    }
    subsetted = {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
        "code": "SUBSETTED",
        "display": "subsetted",
    }
    assert subset(resource, ["title"]) == {
        "resourceType": "Citation",
        "id": "x",
        "meta": {"profile": ["https://example.org/p"], "tag": [other, subsetted]},
        "title": "T",
        "status": "active",
    }
    assert resource["meta"]["tag"] == [other], "the resource served whole is left as it was"
