"""The pieces every FHIR resource is built from (api/fhir/elements.py), called directly: ids, notes, links.

The FHIR tests that check whole resources reach these through the index; these give the cases the
curated data do not hold.
"""

import hashlib
import re
from typing import Any

import pytest

from api.fhir.elements import compact, comparison_id, document_date, fhir_id, figure_notes
from api.render.labels import derived_note
from models.enums import SourceKind
from models.outcome import OutcomePublic
from models.source import SourcePublic


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
    # docs/fhir.md: comparison-<measure>[-at-<time point>], as a FHIR id.
    assert comparison_id("cr", None) == "comparison-cr"
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


@pytest.mark.parametrize("raw", ["x" * 65, "study_" + "x" * 70 + "/arm 1", "a/b", "a b"])
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
