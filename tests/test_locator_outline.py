"""Locators of second-read documents name the paragraph that holds their printed words.

A second reader writes down the paragraph numbering used (seeds/coverage/<id>.yaml,
second_reading.outline). These tests check that numbering against the real text, then resolve
every locator citing the document with it: each place must exist, and a record's `printed`
string must occur verbatim (no white-space folding) in one of the places its locator names.
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest

from api.tools.coverage import read_coverage
from api.loading.load import validate_fixtures
from api.settings import Settings
from models.coverage import Outline, SectionOutline

_PART = re.compile(
    r"^(?:Section '(?P<heading>.+)', paragraph (?P<n>\d+)|Paragraph (?P<top>\d+)|Figure (?P<fig>\d+) legend)$"
)


def _line_start(text: str, anchor: str, after: int = 0) -> int:
    """Offset of the first line at or after `after` that starts with `anchor`, or -1."""
    match = re.compile(r"(?:^|(?<=\n))" + re.escape(anchor)).search(text, after)
    return -1 if match is None else match.start()


def _places(text: str, outline: Outline) -> dict[str, str]:
    """Every addressable place ('Section ..., paragraph N', 'Paragraph N', 'Figure N legend') -> its text."""
    starts: dict[str, int] = {}
    anchors: list[int] = []
    cursor = 0
    for section in outline.sections:
        if section.heading is not None:
            at = _line_start(text, section.heading, cursor)
            assert at >= 0, f"heading {section.heading!r} does not start a line after offset {cursor}"
            anchors.append(at)
            cursor = at + len(section.heading)
        for number, opening in enumerate(section.paragraphs, start=1):
            at = _line_start(text, opening, cursor)
            assert at >= 0, f"paragraph {number} of {section.heading!r} ({opening!r}) not found in order"
            name = f"Section '{section.heading}', paragraph {number}" if section.heading else f"Paragraph {number}"
            starts[name] = at
            anchors.append(at)
            cursor = at + len(opening)
    for legend in outline.legends:
        at = _line_start(text, legend.opens_with)
        assert at >= 0, f"legend of figure {legend.figure} not found"
        starts[f"Figure {legend.figure} legend"] = at
        anchors.append(at)
    for block in outline.not_paragraphs:
        at = _line_start(text, block)
        assert at >= 0, f"block {block!r} not found"
        anchors.append(at)
    ends = sorted({*anchors, len(text)})
    return {name: text[at : next(e for e in ends if e > at)] for name, at in starts.items()}


def _records(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if "source_id" in node and "locator" in node:
            yield path, node
        for key, value in node.items():
            yield from _records(value, f"{path}.{key}")
    elif isinstance(node, list):
        for item in node:
            yield from _records(item, f"{path}.{item.get('id', '?') if isinstance(item, dict) else '?'}")


def _outlined(settings: Settings) -> dict[str, Outline]:
    if not settings.seeds_text_dir.is_dir():
        pytest.skip(f"source texts not found at {settings.seeds_text_dir} (set TALL_SEEDS_TEXT_DIR)")
    outlines = {
        source_id: coverage.second_reading.outline
        for source_id, coverage in read_coverage(settings.coverage_dir).items()
        if coverage.second_reading is not None
    }
    if not outlines:
        pytest.skip("no document has a second reading with an outline yet")
    return outlines


def test_outlines_match_the_document_texts(settings: Settings) -> None:
    for source_id, outline in _outlined(settings).items():
        text = (settings.seeds_text_dir / f"{source_id}.txt").read_text(encoding="utf-8")
        places = _places(text, outline)
        # A place never runs into the next paragraph: a page break inside a paragraph is not a new one.
        assert all(body.strip() for body in places.values()), source_id


def test_every_locator_names_places_that_hold_the_printed_words(settings: Settings) -> None:
    outlines = _outlined(settings)
    places = {
        source_id: _places((settings.seeds_text_dir / f"{source_id}.txt").read_text(encoding="utf-8"), outline)
        for source_id, outline in outlines.items()
    }
    fixtures = validate_fixtures(settings)
    problems, checked = [], 0
    for study in fixtures.studies.values():
        for path, record in _records(study.model_dump(mode="python"), study.id):
            if record["source_id"] not in places:
                continue
            named = []
            for part in record["locator"].split("; "):
                if _PART.match(part) is None or part not in places[record["source_id"]]:
                    problems.append(f"{path}: locator part {part!r} does not resolve")
                else:
                    named.append(places[record["source_id"]][part])
            printed = record.get("printed")
            if printed and named and not any(printed in body for body in named):
                problems.append(f"{path}: {printed!r} is not in {record['locator']!r}")
            checked += 1
    assert checked, "no record cites an outlined document"
    assert not problems, "\n".join(problems)


def test_left_out_passages_are_verbatim_in_the_places_named(settings: Settings) -> None:
    outlines = _outlined(settings)
    problems = []
    for source_id, coverage in read_coverage(settings.coverage_dir).items():
        if source_id not in outlines:
            continue
        places = _places(
            (settings.seeds_text_dir / f"{source_id}.txt").read_text(encoding="utf-8"), outlines[source_id]
        )
        for item in coverage.left_out:
            parts = item.locator.split("; ")
            if not all(part in places for part in parts):
                problems.append(f"{source_id}: locator {item.locator!r} does not resolve")
            elif not any(item.printed in places[part] for part in parts):
                problems.append(f"{source_id}: {item.printed!r} is not in {item.locator!r}")
    assert not problems, "\n".join(problems)


def test_a_page_break_inside_a_sentence_does_not_start_a_paragraph() -> None:
    text = "Heading\n\nFirst paragraph runs on\n\nacross a page break.\n\nSecond paragraph.\n"
    outline = Outline(
        rules="test",
        sections=[SectionOutline(heading="Heading", paragraphs=["First paragraph", "Second paragraph"])],
    )
    places = _places(text, outline)
    assert "across a page break." in places["Section 'Heading', paragraph 1"]
    assert places["Section 'Heading', paragraph 2"].startswith("Second paragraph")
