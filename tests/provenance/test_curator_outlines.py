"""The resolver's places agree with every curator's recorded numbering in seeds/coverage.

Each second reader wrote down how they numbered the document they re-read: an outline of
sections and the opening words of each paragraph (prose), or every slide with its lines (the
deck). The resolver reads the same texts by its own rules; these tests hold the two to each
other, so a locator a curator writes by their numbering is the place the machine checks, and the
passages a curator left out are where their locators say.
"""

import re

from api.provenance.documents import Document, Section, fold
from api.provenance.locators import LocatorError, resolve
from api.settings import Settings
from api.tools.coverage import read_coverage
from models.coverage import CoverageFile, Outline
from tests.provenance.conftest import by_prefix

# Left-out page furniture (footer, publisher's advertisement) is named by the table it follows.
_CHROME = re.compile(r"^(?:Page footer|Publisher advertisement \(\w+\)) after Table (?P<table>\d+)$")


def _coverage(settings: Settings) -> dict[str, CoverageFile]:
    files = read_coverage(settings.coverage_dir, max_bytes=settings.max_fixture_bytes)
    assert files, f"no coverage files in {settings.coverage_dir}"
    return files


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _resolver_section(document: Document, heading: str | None) -> Section:
    if heading is None:
        # Text before any heading: the resolver keeps it as an unnamed section ('Paragraph N').
        [section] = [s for s in document.sections if not s.heading]
        return section
    section = document.section(heading.rstrip(":"))
    assert section is not None, f"{document.id}: the resolver has no section {heading!r}"
    return section


def _outline_problems(document: Document, outline: Outline) -> list[str]:
    problems = []
    for recorded in outline.sections:
        section = _resolver_section(document, recorded.heading)
        read = [fold(p.text(document)) for p in section.paragraphs]
        name = recorded.heading or "(before any heading)"
        if len(read) != len(recorded.paragraphs):
            problems.append(
                f"{document.id}: section {name!r}: the curator counts {len(recorded.paragraphs)} paragraphs, "
                f"the resolver {len(read)}"
            )
        for n, (opening, body) in enumerate(zip(recorded.paragraphs, read, strict=False), start=1):
            if not body.startswith(fold(opening)):
                problems.append(
                    f"{document.id}: section {name!r}, paragraph {n}: curator {opening!r}, resolver {body[:60]!r}"
                )
    for legend in outline.legends:
        place = document.figures.get(legend.figure)
        if place is None or not fold(place.text(document)).startswith(fold(legend.opens_with)):
            problems.append(f"{document.id}: Figure {legend.figure} legend does not open with {legend.opens_with!r}")
    openings = [fold(p.text(document)) for p in document.paragraphs]
    for block in outline.not_paragraphs:
        # Page chrome, labels and table headings are never counted as paragraphs.
        if any(body.startswith(fold(block)) for body in openings):
            problems.append(f"{document.id}: {block!r} is counted as a paragraph by the resolver")
    return problems


def test_every_prose_outline_matches_the_resolvers_paragraphs(
    settings: Settings, documents: dict[str, Document]
) -> None:
    outlines = {
        sid: c.second_reading.outline
        for sid, c in _coverage(settings).items()
        if c.second_reading is not None and c.second_reading.outline is not None
    }
    assert len(outlines) >= 4, "the second readings of 000-003 record their paragraph outlines"
    problems = [p for sid, outline in outlines.items() for p in _outline_problems(documents[sid], outline)]
    assert not problems, "\n".join(problems)


def test_every_recorded_slide_is_the_resolvers_slide(settings: Settings, documents: dict[str, Document]) -> None:
    decks = {
        sid: c.second_reading.structure
        for sid, c in _coverage(settings).items()
        if c.second_reading is not None and c.second_reading.structure
    }
    assert decks, "the deck's second reading records its slides"
    problems = []
    for sid, units in decks.items():
        document = documents[sid]
        if len(units) != len(document.slides):
            problems.append(
                f"{sid}: the curator records {len(units)} slides, the resolver reads {len(document.slides)}"
            )
        for number, (unit, slide) in enumerate(zip(units, document.slides, strict=False), start=1):
            try:
                places = resolve(document, unit.locator).places
            except LocatorError as error:
                problems.append(f"{sid}: {unit.locator!r} does not resolve: {error}")
                continue
            if places != [slide.place]:
                problems.append(f"{sid}: {unit.locator!r} is recorded as slide {number} but resolves elsewhere")
            lines = (_line_of(document.text, slide.place.start), _line_of(document.text, slide.place.end - 1))
            if lines != (unit.first_line, unit.last_line):
                problems.append(
                    f"{sid}: {unit.locator!r}: curator lines {unit.first_line}-{unit.last_line}, resolver {lines}"
                )
            quoted = unit.locator.split("'", 1)[1].rsplit("'", 1)[0]
            if slide.title is not None and fold(quoted) != fold(slide.title):
                problems.append(f"{sid}: slide {number}: curator's title {quoted!r}, resolver's {slide.title!r}")
    assert not problems, "\n".join(problems)


def test_left_out_passages_are_in_the_places_their_locators_name(
    settings: Settings, documents: dict[str, Document]
) -> None:
    problems, checked = [], 0
    for sid, coverage in _coverage(settings).items():
        document = documents[sid]
        for item in coverage.left_out:
            chrome = _CHROME.match(item.locator)
            if chrome:
                # Page chrome is no place a figure can cite; it must sit after the table named.
                table = document.tables.get(int(chrome.group("table")))
                after = fold(document.text[table.place.end :]) if table else ""
                if fold(item.printed) not in after:
                    problems.append(f"{sid}: left-out {item.printed!r} is not {item.locator!r}")
                checked += 1
                continue
            try:
                places = resolve(document, item.locator).places
            except LocatorError as error:
                problems.append(f"{sid}: left-out {item.printed!r}: {error}")
                continue
            if not any(fold(item.printed) in fold(p.text(document)) for p in places):
                problems.append(f"{sid}: left-out {item.printed!r} is not in {item.locator!r}")
            checked += 1
    assert checked, "no left-out passage recorded"
    assert not problems, "\n".join(problems)


def test_a_page_break_inside_a_sentence_is_one_paragraph_by_both_counts(
    settings: Settings, documents: dict[str, Document]
) -> None:
    # Review 002: the page break after "derived from bulk" splits CAR-T paragraph 1 in the text.
    review = by_prefix(documents, "002")
    outline = _coverage(settings)[review.id].second_reading
    assert outline is not None and outline.outline is not None
    [car_t] = [s for s in outline.outline.sections if s.heading == "CAR-T-based treatment"]
    first = fold(_resolver_section(review, car_t.heading).paragraphs[0].text(review))
    assert "derived from bulk T cells without" in first
    assert len(car_t.paragraphs) == 4


def test_a_curator_paragraph_off_by_one_is_reported(settings: Settings, documents: dict[str, Document]) -> None:
    review = by_prefix(documents, "002")
    coverage = _coverage(settings)[review.id].second_reading
    assert coverage is not None and coverage.outline is not None
    shifted = coverage.outline.model_copy(deep=True)
    car_t = next(s for s in shifted.sections if s.heading == "CAR-T-based treatment")
    car_t.paragraphs.insert(1, "T cells without additional genetic")  # the page break read as a paragraph
    problems = _outline_problems(review, shifted)
    assert any("curator counts 5 paragraphs, the resolver 4" in p for p in problems), problems
