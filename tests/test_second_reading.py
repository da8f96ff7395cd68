"""Second readings recorded in seeds/coverage agree with the document texts and with the fixtures.

A coverage file's second reading lists every place (slide, section paragraph) its numbering yields,
with the lines of the text it spans. These tests check that numbering against the text itself and
check every slide locator of the fixtures against it: the named slide must exist under that title
and hold the record's printed words.
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest

from api.tools.coverage import read_coverage
from api.loading.load import validate_fixtures
from api.settings import Settings
from models.coverage import CoverageFile

SLIDE = re.compile(r"^Slide (\d+) '(.+)'$")


def fold(text: str) -> str:
    """Line breaks in extracted text are layout, not words: compare with whitespace runs folded."""
    return re.sub(r"\s+", " ", text).strip()


def slide_texts(text: str) -> list[tuple[int, int, str]]:
    """(first line, last line, folded text) of each slide: three or more blank lines end a slide."""
    slides: list[tuple[int, int, str]] = []
    current: list[tuple[int, str]] = []
    blank = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            blank += 1
            continue
        if blank >= 3 and current:
            slides.append((current[0][0], current[-1][0], fold(" ".join(x for _, x in current))))
            current = []
        current.append((number, line))
        blank = 0
    if current:
        slides.append((current[0][0], current[-1][0], fold(" ".join(x for _, x in current))))
    return slides


def readings(settings: Settings) -> Iterator[tuple[str, CoverageFile, str]]:
    if not settings.seeds_text_dir.is_dir():
        pytest.skip(f"source texts not found at {settings.seeds_text_dir} (set TALL_SEEDS_TEXT_DIR)")
    for source_id, coverage in read_coverage(settings.coverage_dir).items():
        if coverage.second_reading is None or not coverage.second_reading.structure:
            continue
        yield source_id, coverage, (settings.seeds_text_dir / f"{source_id}.txt").read_text(encoding="utf-8")


def records(fixtures: Any, source_id: str) -> Iterator[tuple[str, Any]]:
    """Every record with a locator citing the document, named for messages."""
    for study in fixtures.studies.values():
        candidates: list[tuple[str, Any]] = [(study.id, study)]
        candidates += [(f"{study.id}.{r.id}", r) for r in study.reports]
        for kind in ("outcomes", "adverse_events", "characteristics", "findings", "car_products"):
            candidates += [(f"{study.id}.{x.id}", x) for x in getattr(study, kind)]
        for arm in study.arms:
            candidates += [(f"{study.id}.{arm.id}.{i.agent}", i) for i in arm.interventions]
        yield from ((name, x) for name, x in candidates if x.source_id == source_id)
    yield from ((f.id, f) for f in fixtures.epidemiology.figures if f.source_id == source_id)


def test_recorded_slide_structure_matches_the_text(settings: Settings) -> None:
    checked = 0
    for source_id, coverage, text in readings(settings):
        units = [u for u in coverage.second_reading.structure if u.locator.startswith("Slide ")]  # type: ignore[union-attr]
        if not units:
            continue
        slides = slide_texts(text)
        assert len(units) == len(slides), f"{source_id}: {len(units)} slides recorded, {len(slides)} in the text"
        for number, (unit, (first, last, body)) in enumerate(zip(units, slides, strict=True), start=1):
            match = SLIDE.match(unit.locator)
            assert match and int(match.group(1)) == number, (source_id, unit.locator)
            assert (unit.first_line, unit.last_line) == (first, last), (source_id, unit.locator)
            assert fold(match.group(2)) in body, (source_id, unit.locator)
            checked += 1
    if not checked:
        pytest.skip("no coverage file records a slide structure")


def test_slide_locators_name_a_recorded_slide_holding_the_printed_words(settings: Settings) -> None:
    fixtures = validate_fixtures(settings)
    checked = 0
    for source_id, coverage, text in readings(settings):
        titles = {u.locator for u in coverage.second_reading.structure}  # type: ignore[union-attr]
        slides = slide_texts(text)
        for name, record in records(fixtures, source_id):
            parts = record.locator.split("; ")
            if not all(SLIDE.match(p) for p in parts):
                continue
            assert all(p in titles for p in parts), f"{name}: locator {record.locator!r} names no recorded slide"
            printed = getattr(record, "printed", None)
            if printed:
                held = " ".join(slides[int(SLIDE.match(p).group(1)) - 1][2] for p in parts)  # type: ignore[union-attr]
                assert fold(printed) in held, f"{name}: {printed!r} is not on {record.locator!r}"
            checked += 1
    if not checked:
        pytest.skip("no fixture cites a slide of a document with a recorded structure")
