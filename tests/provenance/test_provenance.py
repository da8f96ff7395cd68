"""Printed words found in the texts, locators checked against them, and the committed spans file."""

import re
import shutil
from pathlib import Path

import pytest

from api.provenance.check import Record, check, find_printed, verify
from api.provenance.documents import Document
from api.provenance.spans import read_spans, render_spans
from api.settings import PROJECT_ROOT, Settings
from tests.fixture_data import read_yaml
from tests.provenance.conftest import by_prefix


def _record(document: Document, locator: str, printed: str | None) -> Record:
    return Record("studies/x.yaml", "outcomes[0]", "x.y", document.id, locator, printed)


def test_a_locator_one_paragraph_off_is_reported_with_file_and_field(documents: dict[str, Document]) -> None:
    review = by_prefix(documents, "002")
    # The error the issue describes: counting a page break as a paragraph names the next one.
    wrong = _record(review, "Section 'CAR-T-based treatment', paragraph 2", "47/53 (88.7%)")
    right = _record(review, "Section 'CAR-T-based treatment', paragraph 1", "47/53 (88.7%)")
    spans, issues, _ = check([wrong], documents)
    assert [(i.file, i.path, i.field) for i in issues] == [("studies/x.yaml", "outcomes[0]", "locator")]
    assert "paragraph 1" in issues[0].message
    assert check([right], documents)[1] == []
    span = spans["x.y"]
    assert review.text[span.start : span.end] == "47/53 (88.7%)"
    assert span.context.startswith("A total of 47/53 (88.7%) patients had mild") and len(span.context) <= 300


def test_printed_words_missing_from_the_text_are_reported(documents: dict[str, Document]) -> None:
    review = by_prefix(documents, "002")
    _, issues, _ = check([_record(review, "Table 1, column 'Abstract 54'", "3-year OS: 99.9%")], documents)
    assert [i.field for i in issues] == ["printed"]


def test_a_table_figure_gets_its_cell_as_context(documents: dict[str, Document]) -> None:
    review = by_prefix(documents, "002")
    cell = review.tables[2].cells[("Abstract 1995", "Survival outcome")]
    span = find_printed(review, "CR: 80%", [cell])
    assert span is not None and span.context == "CR: 80%" and span.variant == ""


def test_whitespace_and_hyphen_variants_are_found_but_flagged(documents: dict[str, Document]) -> None:
    review = by_prefix(documents, "002")
    span = find_printed(review, "3-year overall survival (OS) for all patients was 78%", [])
    assert span is not None and span.variant == "hyphen or dash"
    assert "sur-\nvival" in review.text[span.start : span.end]
    wrapped = find_printed(review, "281 newly diagnosed adult", [])
    assert wrapped is not None and wrapped.variant == "white space"


def test_records_without_printed_need_existing_places(documents: dict[str, Document]) -> None:
    review = by_prefix(documents, "002")
    _, issues, _ = check([_record(review, "Section 'CAR-T-based treatment', paragraph 5", None)], documents)
    assert [i.field for i in issues] == ["locator"]


def test_committed_spans_match_the_texts(settings: Settings, documents: dict[str, Document]) -> None:
    outcome = verify(
        settings.fixtures_dir, settings.sources_registry, settings.seeds_text_dir, spans_file=settings.spans_file
    )
    stale = [p for p in outcome.problems if p.startswith(settings.spans_file.name)]
    assert not stale, "\n".join(stale)
    assert render_spans(outcome.spans, outcome.documents) == settings.spans_file.read_text(encoding="utf-8")


def test_without_texts_the_committed_spans_are_checked_against_the_registry(settings: Settings, tmp_path: Path) -> None:
    registry = tmp_path / "sources.yaml"
    shutil.copy(settings.sources_registry, registry)
    absent = tmp_path / "no-texts"
    outcome = verify(settings.fixtures_dir, registry, absent, spans_file=settings.spans_file)
    assert outcome.problems == [] and not outcome.texts_present
    docs, spans = read_spans(settings.spans_file)
    assert spans and set(docs) <= {s.source_id for s in spans.values()}
    text = registry.read_text(encoding="utf-8")
    some_sha = next(iter(docs.values()))
    registry.write_text(text.replace(some_sha, "f" * 64), encoding="utf-8")  # ("0" * 64 is a YAML 1.1 integer)
    changed = verify(settings.fixtures_dir, registry, absent, spans_file=settings.spans_file)
    assert any("is not the registry's" in p for p in changed.problems)


def test_every_locator_holds_its_printed_words(settings: Settings, documents: dict[str, Document]) -> None:
    """The real fixtures against the real texts: what `tall-evidence validate` enforces."""
    outcome = verify(
        settings.fixtures_dir, settings.sources_registry, settings.seeds_text_dir, spans_file=settings.spans_file
    )
    assert not outcome.problems, "\n".join(outcome.problems)


def test_spans_file_exists_in_the_project() -> None:
    if not (PROJECT_ROOT / "seeds" / "spans.yaml").exists():
        pytest.fail("seeds/spans.yaml is missing (run `tall-evidence resolve`)")
    data = read_yaml((PROJECT_ROOT / "seeds" / "spans.yaml").read_text(encoding="utf-8"))
    assert set(data) == {"documents", "spans"}


def test_a_wrong_paragraph_in_a_fixture_fails_naming_file_field_and_record(
    settings: Settings, documents: dict[str, Document], fixture_copy: Settings
) -> None:
    before = verify(
        fixture_copy.fixtures_dir,
        fixture_copy.sources_registry,
        settings.seeds_text_dir,
        spans_file=settings.spans_file,
    )
    # Move a locator that holds its words today one paragraph on, as a miscounted page break
    # would; the first few section-and-paragraph locators are tried, so no one record is assumed.
    pattern = re.compile(r"locator: \"Section '([^']+)', paragraph (\d+)\"")
    tried = 0
    for path in sorted((fixture_copy.fixtures_dir / "studies").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        for match in pattern.finditer(text):
            section, paragraph = match.group(1), int(match.group(2))
            moved = f"locator: \"Section '{section}', paragraph {paragraph + 1}\""
            path.write_text(text[: match.start()] + moved + text[match.end() :], encoding="utf-8")
            after = verify(
                fixture_copy.fixtures_dir,
                fixture_copy.sources_registry,
                settings.seeds_text_dir,
                spans_file=settings.spans_file,
            )
            path.write_text(text, encoding="utf-8")
            new = [p for p in after.problems if p not in before.problems]
            tried += 1
            # Skipped only when the next paragraph holds the same words too (then nothing is wrong).
            if new:
                assert len(new) == 1, new
                assert new[0].startswith(f"studies/{path.name}: ") and ".locator (" in new[0]
                # Either the words are found where they really are, or the section has no such paragraph.
                assert (
                    f"the text has it in Section '{section}', paragraph {paragraph}" in new[0]
                    or f"has {paragraph} paragraph(s)" in new[0]
                ), new[0]
                return
            if tried == 5:
                break
        if tried == 5:
            break
    pytest.fail(f"moving {tried} section-and-paragraph locators one paragraph on raised no problem")


def test_an_unreadable_text_is_a_problem_not_a_traceback(settings: Settings, tmp_path: Path) -> None:
    if not settings.seeds_text_dir.is_dir():
        pytest.skip(f"source texts not found at {settings.seeds_text_dir} (set TALL_SEEDS_TEXT_DIR)")
    texts = tmp_path / "texts"
    shutil.copytree(settings.seeds_text_dir, texts)
    victim = next(iter(sorted(texts.glob("*.txt"))))
    victim.write_bytes(b"\xff\xfe not utf-8 \x80")
    outcome = verify(settings.fixtures_dir, settings.sources_registry, texts, spans_file=settings.spans_file)
    assert any(p.startswith(f"{victim.name}: structure cannot be read") for p in outcome.problems)


def test_spans_of_a_changed_document_are_not_served(settings: Settings) -> None:
    from api.provenance.spans import servable_spans

    docs, spans = read_spans(settings.spans_file)
    assert spans, "seeds/spans.yaml holds no spans"
    served = servable_spans(settings.spans_file, docs)
    assert served == spans
    changed_doc = next(iter(docs))
    stale = servable_spans(settings.spans_file, {**docs, changed_doc: "0" * 64})
    assert stale and all(s.source_id != changed_doc for s in stale.values())
    assert len(stale) == sum(1 for s in spans.values() if s.source_id != changed_doc)


def test_source_checksums_match_the_texts(settings: Settings) -> None:
    import hashlib

    from api.loading.load import validate_fixtures

    seeds_dir: Path = settings.seeds_text_dir
    if not seeds_dir.is_dir():
        pytest.skip(f"source texts not found at {seeds_dir} (set TALL_SEEDS_TEXT_DIR); checksums cannot be checked")
    fixtures = validate_fixtures(settings)
    for source in fixtures.sources.sources:
        text_file = seeds_dir / f"{source.id}.txt"
        assert text_file.exists(), f"{source.id} has no text in {seeds_dir}"
        assert hashlib.sha256(text_file.read_bytes()).hexdigest() == source.sha256, source.id
    assert {s.id for s in fixtures.sources.sources} == {p.stem for p in seeds_dir.glob("*.txt")}


_SLIDE_13 = (
    "Slide 13 'Nelarabine, Pegylated Asparginase and Venetoclax Incorporated to HCVAD Chemotherapy in the "
    "Frontline Treatment of Adult Patients with T-ALL/T-LBL'"
)


def _figure(document: Document, rid: str, *, occurrence: int | None) -> Record:
    return Record("studies/x.yaml", "outcomes[0]", rid, document.id, _SLIDE_13, "100%", occurrence)


def test_identical_words_printed_twice_on_one_slide_take_the_occurrence_the_record_names(
    documents: dict[str, Document],
) -> None:
    deck = by_prefix(documents, "004")
    # Slide 13 lists five ORR values, two of them "100%": the third and fourth values.
    spans, issues, _ = check(
        [_figure(deck, "x.third", occurrence=1), _figure(deck, "x.fourth", occurrence=2)], documents
    )
    assert issues == []
    third, fourth = spans["x.third"], spans["x.fourth"]
    assert third.start < fourth.start
    assert deck.text[third.start : third.end] == deck.text[fourth.start : fourth.end] == "100%"
    assert "100%" not in deck.text[third.end : fourth.start]  # next to each other, nothing skipped


def test_repeated_words_without_an_occurrence_are_reported_not_given_the_first(documents: dict[str, Document]) -> None:
    deck = by_prefix(documents, "004")
    spans, issues, _ = check([_figure(deck, "x.y", occurrence=None)], documents)
    assert [(i.field, "2 times" in i.message) for i in issues] == [("occurrence", True)]
    assert "x.y" not in spans
    _, issues, _ = check([_figure(deck, "x.y", occurrence=3)], documents)
    assert [i.field for i in issues] == ["printed"]


def test_records_sharing_a_span_print_words_their_place_holds_once(
    settings: Settings, documents: dict[str, Document]
) -> None:
    # Two figures may quote one sentence ("... were 10% and 40%"), but two figures whose words a
    # place prints twice must not both point at the first of them.
    from api.provenance.check import iter_records
    from api.provenance.locators import resolve

    records = {r.id: r for r in iter_records(settings.fixtures_dir) if r.printed and r.source_id in documents}
    spans, _, _ = check(list(records.values()), documents)
    by_span: dict[tuple[str, int, int], list[str]] = {}
    for rid, span in spans.items():
        by_span.setdefault((span.source_id, span.start, span.end), []).append(rid)
    shared = [rids for rids in by_span.values() if len(rids) > 1]
    assert shared, "the fixtures have figures quoting one sentence; this test would check nothing"
    for rids in shared:
        for rid in rids:
            record = records[rid]
            document = documents[record.source_id]
            printed = str(record.printed)
            for place in resolve(document, record.locator).places:
                text = place.text(document)
                assert text.count(printed) <= 1, f"{rids} share a span but {place.label} prints {printed!r} twice"


def test_the_spans_file_is_read_under_the_guards_and_serves_only_registered_documents(tmp_path: Path) -> None:
    from api.loading.fixture_files import FixtureError
    from api.provenance.spans import Span, servable_spans

    assert read_spans(tmp_path / "absent.yaml") == ({}, {})
    dangling = tmp_path / "dangling.yaml"
    dangling.symlink_to(tmp_path / "nowhere.yaml")
    with pytest.raises(FixtureError, match=r"dangling\.yaml \(TALL_SPANS_FILE\)"):
        read_spans(dangling)
    spans_file = tmp_path / "spans.yaml"
    spans_file.write_text(
        "documents:\n  d1: 'aaa'\n  d2: 'bbb'\n"
        "spans:\n"
        "  s.one: {source_id: d1, start: 3, end: 7, context: 'the words'}\n"
        "  s.two: {source_id: d2, start: 0, end: 1, context: 'x'}\n"
        "  s.three: {source_id: d3, start: 5, end: 9, context: 'y'}\n",
        encoding="utf-8",
    )
    with pytest.raises(FixtureError, match=r"spans\.yaml \(TALL_SPANS_FILE\)"):
        read_spans(spans_file, max_bytes=10)
    documents, spans = read_spans(spans_file)
    assert documents == {"d1": "aaa", "d2": "bbb"}
    assert spans == {
        "s.one": Span("d1", 3, 7, "the words"),
        "s.two": Span("d2", 0, 1, "x"),
        "s.three": Span("d3", 5, 9, "y"),
    }
    # d2's text changed since; d3 is in neither the file's documents nor the registry.
    assert servable_spans(spans_file, {"d1": "aaa", "d2": "ccc"}) == {"s.one": Span("d1", 3, 7, "the words")}
