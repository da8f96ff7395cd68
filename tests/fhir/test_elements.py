"""The pieces every FHIR resource is built from (api/fhir/elements.py), called directly: ids, notes, links.

The FHIR tests that check whole resources reach these through the index; these give the cases the
curated data do not hold.
"""

import hashlib
import re
from typing import Any

import pytest

from api.fhir.definitions import SOURCE_FIGURE
from api.fhir.elements import (
    Context,
    Urls,
    codeable_concept,
    compact,
    comparison_id,
    conflict_extension,
    conflict_note,
    document_date,
    figure_notes,
    ncit_codings,
    population_text,
    provenance_links,
    ref,
    source_figure_extension,
    ucum_quantity,
    variable_definition,
    with_conflicts,
)
from api.render.labels import derived_note, label
from models.arm import ArmPublic
from models.conflict import ConflictMember, ConflictPublic
from models.enums import ConflictKind, Design, Disease, Setting, SourceKind
from models.identifiers import fhir_id, group_id
from models.outcome import OutcomePublic
from models.source import SourcePublic
from models.study_views import StudyDetail


def _outcome(**fields: Any) -> OutcomePublic:
    values: dict[str, Any] = {
        "id": "study-a.cr",
        "study_id": "study-a",
        "source_id": "001_abc",
        "locator": "Table 2",
        "printed": "8/10",
        "measure": "cr",
        "value": 80.0,
        "numerator": 8,
        "denominator": 10,
        "permalink": "http://127.0.0.1:8000/v1/outcomes/study-a.cr",
    }
    return OutcomePublic.model_validate(values | fields)


def test_a_pooled_comparison_is_named_by_its_measure_and_time_point() -> None:
    # docs/fhir.md: comparison-<measure>-at-<time point>, as a FHIR id (a pool is always at one).
    assert comparison_id("os", "2y") == "comparison-os-at-2y"
    assert comparison_id("os", "day_28") == "comparison-os-at-day-28"


@pytest.mark.parametrize(
    ("derivation", "ending"),
    [
        ("computed from 8 of 10", "."),  # a full stop added
        ("read off the curve.", ""),  # ends as a sentence already: no second full stop
        ("rounded as printed!", ""),
        ("the median, or the mean?", ""),
    ],
)
def test_a_derived_figure_has_a_note_ending_as_a_sentence_once(derivation: str, ending: str) -> None:
    notes = [n["text"] for n in figure_notes(_outcome(derived=True, derivation=derivation), "A letter")]
    # The words of the HTML and SVG faces' 'derived' mark.
    assert notes == ["As printed: '8/10' in A letter (001_abc), at Table 2.", derived_note(derivation) + ending]


@pytest.mark.parametrize(
    ("raw", "readable"),
    [
        ("x" * 64, "x" * 64),  # FHIR takes up to 64 of [A-Za-z0-9-.]
        ("001_abc", "001-abc"),  # an underscore reads as a hyphen
        ("study_" + "x" * 58, "study-" + "x" * 58),
    ],
)
def test_an_id_fhir_can_take_once_underscores_are_hyphens_is_kept_readable(raw: str, readable: str) -> None:
    assert fhir_id(raw) == readable


@pytest.mark.parametrize("raw", ["x" * 65, "Study_" + "x" * 70 + "/Arm 1", "a/b", "A b"])
def test_any_other_id_is_its_readable_start_and_a_digest_of_the_whole(raw: str) -> None:
    # What FHIR does not take becomes '-'; the start is cut to leave room for '-' and 12 hex digits of
    # the SHA-256 of the id as it is, so two ids sharing a start stay apart and the result is at most 64.
    readable = re.sub(r"[^A-Za-z0-9.-]", "-", raw)[:51]
    assert fhir_id(raw) == readable + "-" + hashlib.sha256(raw.encode()).hexdigest()[:12]
    assert re.fullmatch(r"[A-Za-z0-9.-]{1,64}", fhir_id(raw))


def _source(**fields: Any) -> SourcePublic:
    return SourcePublic(id="001_abc", title="t", kind=SourceKind.letter, sha256="0" * 64, summary="s", **fields)


@pytest.mark.parametrize(
    ("fields", "date"),
    [
        ({"published": "2024-03-05", "year": 2024}, "2024-03-05"),  # as published when ISO 8601
        ({"published": "2024-03", "year": 2024}, "2024-03"),
        ({"published": "2024", "year": 2024}, "2024"),
        ({"published": "March 2024", "year": 2024}, "2024"),  # else its year
        ({"published": "2024-3-5", "year": 2024}, "2024"),
        ({"published": "2024-03-05 (online)", "year": 2024}, "2024"),
        ({"published": "24-03-05", "year": 2024}, "2024"),
        ({"year": 2023}, "2023"),
        ({"published": "March 2024"}, None),
        ({}, None),
    ],
)
def test_a_documents_date_is_as_published_in_iso_8601_else_its_year(fields: dict[str, Any], date: str | None) -> None:
    assert document_date(_source(**fields)) == date


def test_compact_drops_exactly_what_fhir_forbids_empty() -> None:
    kept = {"zero": 0, "false": False, "text": "x", "list": [0], "object": {"a": None}}
    assert compact({**kept, "none": None, "empty": "", "no items": [], "no members": {}}) == kept


BASE = "https://example.org/fhir"


def test_the_source_figure_extension_has_the_parts_its_definition_names_in_its_order() -> None:
    figure = _outcome(
        qualifier="approximate",
        derived=True,
        derivation="8 of 10 read off the curve",
        inferred=[{"field": "arm_id", "reason": "one arm only"}, {"field": "subgroup", "reason": "all T-ALL"}],
        denominator_basis="treated",
        unlabeled=True,
        caveat="c",
        response_definition="CR or CRi by day 28",
    )
    extension = source_figure_extension(Urls(BASE), figure, {"001_abc": "001-abc"})
    assert extension["url"] == f"{BASE}/StructureDefinition/source-figure"
    expected = [
        {"url": "printed", "valueString": "8/10"},
        {"url": "source", "valueReference": {"reference": "Citation/001-abc"}},
        {"url": "locator", "valueString": "Table 2"},
        {"url": "qualifier", "valueCode": "approximate"},
        {"url": "derived", "valueBoolean": True},
        {"url": "derivation", "valueString": "8 of 10 read off the curve"},
        {"url": "inferred", "valueString": "arm_id: one arm only"},
        {"url": "inferred", "valueString": "subgroup: all T-ALL"},
        {"url": "denominatorBasis", "valueCode": "treated"},
        {"url": "unlabeled", "valueBoolean": True},
        {"url": "responseDefinition", "valueString": "CR or CRi by day 28"},
        {"url": "permalink", "valueUrl": "http://127.0.0.1:8000/v1/outcomes/study-a.cr"},
    ]
    assert extension["extension"] == expected
    # In the order of the StructureDefinition's slices.
    names = [p.name for p in SOURCE_FIGURE.parts]
    assert [p["url"] for p in expected] == sorted((p["url"] for p in expected), key=names.index)
    # The optional parts absent when the figure has none.
    plain = source_figure_extension(Urls(BASE), _outcome(), {"001_abc": "001-abc"})["extension"]
    assert [p["url"] for p in plain] == [n for n in names if n not in ("derivation", "inferred", "responseDefinition")]
    assert {p["url"]: p for p in plain}["derived"] == {"url": "derived", "valueBoolean": False}
    assert {p["url"]: p for p in plain}["unlabeled"] == {"url": "unlabeled", "valueBoolean": False}


def _conflict(*members: tuple[str, str]) -> ConflictPublic:
    return ConflictPublic(
        id="cr-disagrees",
        kind=ConflictKind.within_document,
        description="Text and table differ.",
        members=[
            ConflictMember(kind=kind, id=mid, source_id="001_abc", locator="Text", printed=f"printed {mid}")
            for kind, mid in members
        ],
    )


def test_a_conflict_links_the_figures_fhir_serves_and_names_the_others() -> None:
    conflict = _conflict(("outcome", "study-a.cr"), ("characteristic", "study-a.age"), ("outcome", "study-a.gone"))
    extension = conflict_extension(Urls(BASE), conflict, {("outcome", "study-a.cr"): "study-a.cr"})
    assert extension == {
        "url": f"{BASE}/StructureDefinition/recorded-conflict",
        "extension": [
            {"url": "id", "valueString": "cr-disagrees"},
            {"url": "kind", "valueCode": "within_document"},
            {"url": "description", "valueString": "Text and table differ."},
            {"url": "member", "valueReference": {"reference": "Evidence/study-a.cr", "display": "printed study-a.cr"}},
            {"url": "member", "valueString": "characteristic study-a.age: printed study-a.age"},
            {"url": "member", "valueString": "outcome study-a.gone: printed study-a.gone"},
        ],
    }
    assert conflict_note(conflict) == {
        "text": "Recorded conflict cr-disagrees (within document): Text and table differ."
    }


def test_conflicts_known_to_the_context_are_added_to_a_resource_after_what_it_has() -> None:
    ctx = Context(Urls(BASE), conflicts={"cr-disagrees": _conflict(("outcome", "study-a.cr"))})
    resource: dict[str, Any] = {"extension": [{"url": "u"}], "note": [{"text": "n"}]}
    assert with_conflicts(ctx, resource, ["unknown"]) == {"extension": [{"url": "u"}], "note": [{"text": "n"}]}
    assert with_conflicts(ctx, {}, []) == {}
    with_conflicts(ctx, resource, ["unknown", "cr-disagrees"])
    assert [e["url"] for e in resource["extension"]] == ["u", f"{BASE}/StructureDefinition/recorded-conflict"]
    assert resource["extension"][1]["extension"][3] == {
        "url": "member",
        "valueString": "outcome study-a.cr: printed study-a.cr",
    }
    assert resource["note"] == [{"text": "n"}, conflict_note(ctx.conflicts["cr-disagrees"])]


def test_every_note_of_a_figure_in_order() -> None:
    figure = _outcome(
        inferred=[{"field": "arm_id", "reason": "one arm only"}],
        derived=True,
        derivation="from the table",
        unlabeled=True,
        caveat="Read with care.",
        notes="Curators' note.",
    )
    assert [n["text"] for n in figure_notes(figure, "A letter")] == [
        "As printed: '8/10' in A letter (001_abc), at Table 2.",
        "Inferred by curators, not printed: arm id: one arm only.",
        "Derived by curators, not printed: from the table.",
        "The source prints this figure without saying exactly what it measures.",
        "Read with care.",
        "Curators' note.",
    ]
    assert [n["text"] for n in figure_notes(_outcome(), "A letter")] == [
        "As printed: '8/10' in A letter (001_abc), at Table 2."
    ]


@pytest.mark.parametrize(
    ("role", "ebm"), [("population", "population"), ("exposure", "exposure"), ("measuredVariable", "outcome")]
)
def test_a_variable_definition_says_its_role_in_r5_and_ebm_terms(role: str, ebm: str) -> None:
    ebm_role_code = "http://hl7.org/fhir/uv/ebm/StructureDefinition/variable-definition-variable-role-code"
    observed = {"reference": "Group/g"}
    assert variable_definition(role, "who", observed) == {
        "extension": [{"url": ebm_role_code, "valueCode": ebm}],
        "description": "who",
        "note": [{"text": ebm}],
        "variableRole": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/variable-role", "code": role}],
            "text": "Use extension:variableRoleCode instead.",
        },
        "observed": observed,
    }
    assert set(variable_definition(role)) == {"extension", "note", "variableRole"}


def test_datatypes_leave_out_what_they_are_not_given() -> None:
    assert ref("Citation", "001-abc") == {"reference": "Citation/001-abc"}
    assert ref("Citation", "001-abc", "A letter") == {"reference": "Citation/001-abc", "display": "A letter"}
    ncit = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
    assert ncit_codings(None) == []
    assert ncit_codings(("C4870", "Complete Remission")) == [
        {"system": ncit, "code": "C4870", "display": "Complete Remission"}
    ]
    assert codeable_concept() == {}
    assert codeable_concept({"system": "s", "code": "c"}, text="t") == {
        "coding": [{"system": "s", "code": "c"}],
        "text": "t",
    }
    ucum = "http://unitsofmeasure.org"
    assert ucum_quantity(0.5, "proportion", "1") == {"value": 0.5, "unit": "proportion", "system": ucum, "code": "1"}
    assert ucum_quantity(20, "%", "%", comparator="<") == {
        "value": 20,
        "comparator": "<",
        "unit": "%",
        "system": ucum,
        "code": "%",
    }


def test_a_population_is_named_by_study_arm_and_subgroup() -> None:
    study = StudyDetail(
        id="study_a",
        title="Study A",
        summary="s",
        design=Design.single_arm_trial,
        setting=Setting.relapsed_refractory,
        diseases=[Disease.t_all],
        source_id="001_abc",
        locator="Abstract",
        source_ids=["001_abc"],
        arms=[ArmPublic(id="study_a.arm-1", label="Arm one", description="Drug X")],
    )
    assert group_id("study_a", None, None) == "group-study-a"
    assert group_id("study_a", "study_a.arm-1", None) == "group-study-a.arm-1"
    assert group_id("study_a", "study_a.arm-1", "t_lbl") == "group-study-a.arm-1-in-t-lbl"
    assert group_id("study_a", None, "t_lbl") == "group-study-a-in-t-lbl"
    assert population_text(study, None, None) == "Study A"
    assert population_text(study, "study_a.arm-1", None) == "Study A, arm 'Arm one'"
    assert population_text(study, "study_a.arm-9", "t_lbl") == "Study A, arm 'study_a.arm-9', subgroup T-LBL"
    assert population_text(study, None, "etp") == f"Study A, subgroup {label('etp')}"

    ctx = Context(
        Urls(BASE),
        source_ids={"001_abc": "001-abc"},
        source_titles={"001_abc": "A letter"},
        source_dates={"001_abc": "2024-03-05"},
        report_ids={"study_a.letter": "study-a.letter"},
    )
    figure = _outcome(study_id="study_a", report_id="study_a.letter")
    assert provenance_links(ctx, figure, study) == [
        {
            "type": "derived-from",
            "label": "Table 2",
            "display": "A letter",
            "resourceReference": {"reference": "Citation/001-abc"},
            "publicationDate": "2024-03-05",
        },
        {"type": "derived-from", "display": "Study A", "resourceReference": {"reference": "ResearchStudy/study-a"}},
        {"type": "derived-from", "resourceReference": {"reference": "Citation/study-a.letter"}},
    ]
    # A report the context does not know, or none, adds no link; an undated document no date.
    ctx.source_dates = {}
    for other in (_outcome(report_id="study_a.talk"), _outcome()):
        links = provenance_links(ctx, other, study)
        assert len(links) == 2 and "publicationDate" not in links[0]


def test_a_figures_outcome_variable_is_its_measure_at_the_name_of_its_time() -> None:
    """Session 15's probe (JA5): a time written two ways is one variable, named as its pool is."""
    ctx = Context(Urls(BASE), time_names={("cr", "2y"): "24m", ("cr", "24m"): "24m"})
    assert [ctx.time_name("cr", code) for code in ("2y", "24m", "d28", None)] == ["24m", "24m", "d28", None]
    assert ctx.time_name("orr", "2y") == "2y"  # the names are per measure
    assert ctx.outcome_variable_id("cr", "2y") == "measure-cr-at-24m"
    assert ctx.outcome_variable_id("cr", "d28") == "measure-cr-at-d28"  # a time written one way names itself
    assert ctx.outcome_variable_id("cr", None) == "measure-cr"
