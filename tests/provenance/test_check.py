"""The provenance check at its edges: which records the fixtures cite, how each is checked and what
is reported, the context cut around printed words, and what `validate` says of the spans file.

Each test reads and checks what it asserts itself (mutation testing maps a test to the code it
reached when first seen, and the documents fixture is read once per session).
"""

import shutil
from pathlib import Path

import pytest

from api.loading.fixture_files import FixtureError, FixtureIssue
from api.provenance.check import (
    CONTEXT_MAX,
    Record,
    check,
    context,
    find_printed,
    iter_records,
    read_documents,
    span_issues,
    verify,
)
from api.provenance.documents import Document, Place, Section
from api.provenance.spans import Span, read_spans, render_spans
from api.settings import Settings
from tests.provenance.conftest import by_prefix

STUDY = """\
id: s
source_id: doc-a
locator: Title
tags: [first, second]
arms:
  - id: arm1
    locator: Table 1
    interventions:
      - agent: nelarabine
        locator: Table 2
      - locator: Table 3
    doses:
      - id: d1
        agent: venetoclax
        locator: Table 4
  - id: arm2
    source_id: doc-b
    locator: Page 2
    product:
      locator: Page 3
      printed: CAR
      batches:
        - id: b1
          locator: Page 4
outcomes:
  - id: o1
    locator: T1
    printed: 5/10
    occurrence: 2
  - id: o2
    locator: T1
    printed: '7'
    occurrence: two
  - id: o3
    printed: no locator
registry:
  source_id: doc-c
  locator: Abstract
"""


def test_the_records_a_study_file_cites_are_found_with_their_ids_paths_and_sources(tmp_path: Path) -> None:
    """Every mapping with a locator and a source (its own or inherited) is a record, named by the id
    it is served under: study.id for a child with an id, arm.agent for an intervention, the holder's
    id for a nested mapping, the path for an entry with neither."""
    (tmp_path / "studies").mkdir()
    (tmp_path / "studies" / "s.yaml").write_text(STUDY, encoding="utf-8")
    file = "studies/s.yaml"
    assert list(iter_records(tmp_path)) == [
        Record(file, "(study)", "s", "doc-a", "Title", None),
        Record(file, "arms[0]", "s.arm1", "doc-a", "Table 1", None),
        Record(file, "arms[0].interventions[0]", "s.arm1.nelarabine", "doc-a", "Table 2", None),
        Record(file, "arms[0].interventions[1]", "arms[0].interventions[1]", "doc-a", "Table 3", None),
        Record(file, "arms[0].doses[0]", "s.d1", "doc-a", "Table 4", None),
        Record(file, "arms[1]", "s.arm2", "doc-b", "Page 2", None),
        Record(file, "arms[1].product", "s.arm2", "doc-b", "Page 3", "CAR"),
        Record(file, "arms[1].product.batches[0]", "s.b1", "doc-b", "Page 4", None),
        Record(file, "outcomes[0]", "s.o1", "doc-a", "T1", "5/10", 2),
        Record(file, "outcomes[1]", "s.o2", "doc-a", "T1", "7", None),  # an occurrence that is no number
        Record(file, "registry", "s", "doc-c", "Abstract", None),
    ]


def test_the_real_fixtures_cite_records_under_their_served_ids(settings: Settings, client) -> None:  # type: ignore[no-untyped-def]
    records = list(iter_records(settings.fixtures_dir))
    figures = {r.id for r in records if r.path.startswith("outcomes[")}
    served = set()
    page = client.get("/v1/outcomes", params={"limit": 100}).json()
    while True:
        served |= {o["id"] for o in page["items"]}
        if not page["links"].get("next"):
            break
        page = client.get(page["links"]["next"]).json()
    assert figures == served
    studies = {r.id for r in records if r.path == "(study)"}
    assert studies == {s["id"] for s in client.get("/v1/studies", params={"limit": 100}).json()["items"]}


def _record(document: Document, rid: str, locator: str, printed: str | None, occurrence: int | None = None) -> Record:
    return Record("studies/x.yaml", f"outcomes[{rid}]", f"x.{rid}", document.id, locator, printed, occurrence)


PARAGRAPH_1 = "Section 'CAR-T-based treatment', paragraph 1"


def test_each_record_is_checked_whatever_the_records_before_it(documents: dict[str, Document]) -> None:
    """A record of a document whose text is absent, one without printed words, one whose words are
    ambiguous and one whose words are missing each end that record's check, not the checking of the
    records after them."""
    review = by_prefix(documents, "002")
    deck = by_prefix(documents, "004")
    good = _record(review, "good", PARAGRAPH_1, "47/53 (88.7%)")
    absent = Record("studies/x.yaml", "outcomes[9]", "x.absent", "no-such-document", "Table 1", "1")
    for before in (
        absent,
        _record(review, "bare", PARAGRAPH_1, None),
        _record(deck, "ambiguous", _SLIDE_13, "100%"),
        _record(review, "missing", PARAGRAPH_1, "3-year OS: 99.9%"),
    ):
        spans, _, _ = check([before, good], documents)
        assert set(spans) == {"x.good"}, before


def test_a_wrong_locator_is_reported_and_the_printed_words_still_found(documents: dict[str, Document]) -> None:
    review = by_prefix(documents, "002")
    record = _record(review, "y", "Section 'No such section', paragraph 1", "47/53 (88.7%)")
    spans, issues, notes = check([record], documents)
    assert [(i.file, i.path, i.record, i.field) for i in issues] == [
        ("studies/x.yaml", "outcomes[y]", "x.y", "locator")
    ]
    assert review.text[spans["x.y"].start : spans["x.y"].end] == "47/53 (88.7%)"
    assert notes == []


def test_missing_printed_words_are_reported_with_the_occurrence_asked(documents: dict[str, Document]) -> None:
    review = by_prefix(documents, "002")
    deck = by_prefix(documents, "004")
    _, issues, _ = check([_record(review, "y", PARAGRAPH_1, "3-year OS: 99.9%")], documents)
    assert [(str(i), i.record) for i in issues] == [
        (f"studies/x.yaml: outcomes[y].printed (x.y): '3-year OS: 99.9%' does not occur in {review.id}", "x.y")
    ]
    _, issues, _ = check([_record(deck, "z", _SLIDE_13, "100%", occurrence=5)], documents)
    assert [i.message for i in issues] == [f"'100%' does not occur 5 times in the located place in {deck.id}"]


def test_words_found_only_allowing_white_space_are_noted(documents: dict[str, Document]) -> None:
    review = by_prefix(documents, "002")
    span = find_printed(review, "281 newly diagnosed adult", [])
    assert span is not None
    [holder] = [p for p in review.places() if p.contains(span.start, span.end) and "paragraph" in p.label]
    record = _record(review, "w", holder.label, "281 newly diagnosed adult")
    spans, issues, notes = check([record], documents)
    assert issues == []
    assert notes == [
        "studies/x.yaml: outcomes[w].printed (x.w): found only allowing white space differences",
    ]
    # The same when the record names which occurrence it means.
    named = find_printed(review, "281 newly diagnosed adult", [holder], occurrence=1)
    assert named is not None and named.variant == "white space" and named.start == spans["x.w"].start


_SLIDE_13 = (
    "Slide 13 'Nelarabine, Pegylated Asparginase and Venetoclax Incorporated to HCVAD Chemotherapy in the "
    "Frontline Treatment of Adult Patients with T-ALL/T-LBL'"
)


def test_a_locator_naming_part_of_a_slide_is_noted_as_checked_to_the_slide(documents: dict[str, Document]) -> None:
    deck = by_prefix(documents, "004")
    locator = f"{_SLIDE_13}, bullet 2"
    spans, issues, notes = check([_record(deck, "b", locator, "Pegylated Asparginase")], documents)
    assert issues == [] and "x.b" in spans
    assert notes == [f"studies/x.yaml: outcomes[b].locator (x.b): checked to the slide only: {locator!r}"]


# --- the context: the sentence, cell or block around the words, cut to CONTEXT_MAX ------------------------------


def _document(text: str, paragraphs: list[tuple[int, int]], *, items: tuple[tuple[int, int], ...] = ()) -> Document:
    """A review of one section 'S' with the paragraphs and items given (character ranges of text)."""
    section = Section(
        "S",
        Place("Section 'S'", ((0, len(text)),)),
        None,
        paragraphs=[Place(f"Section 'S', paragraph {i}", (r,)) for i, r in enumerate(paragraphs, 1)],
        items=[Place(f"Section 'S', item {i}", (r,)) for i, r in enumerate(items, 1)],
    )
    return Document("doc", "review", text, "0" * 64, sections=[section])


# 120 words of four characters, one space apart: word k (from 1) starts at 5 * (k - 1); 599 characters.
WORDS = " ".join(f"w{k:03d}" for k in range(1, 121))


def _at(k: int) -> int:
    return 5 * (k - 1)


def _words(first: int, last: int) -> str:
    return " ".join(f"w{k:03d}" for k in range(first, last + 1))


def test_a_context_of_exactly_the_limit_is_whole() -> None:
    text = _words(1, 60) + "."  # 300 characters
    assert len(text) == CONTEXT_MAX
    assert context(_document(text, [(0, len(text))]), _at(30), _at(30) + 4) == text


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Near the start: the window opens at the text's start, cut after the last whole word.
        (_at(3), _at(3) + 4, _words(1, 59) + "\u2026"),
        # The window opening one character in: its first word is cut, so it is left out.
        (_at(31) + 1, _at(31) + 2, "\u2026" + _words(2, 59) + "\u2026"),
        # One more character in: the window ends on a space, so its last word is whole and kept.
        (_at(31) + 1, _at(31) + 3, "\u2026" + _words(2, 60) + "\u2026"),
        # In the middle: the printed words' centre CONTEXT_MAX / 2 characters in (counted in the text before
        # them with white space made one and trimmed), whole words each side. A window that ends just after a
        # word cannot tell it is whole, so w090 is left out.
        (_at(60), _at(62) + 4, "\u2026" + _words(32, 89) + "\u2026"),
        # The window opening on a word's last character and closing on the last word's first.
        (_at(90), _at(91) + 4, "\u2026" + _words(61, 119) + "\u2026"),
        # At the end: the window closes at the text's end, as long as the limit allows.
        (_at(119), _at(119) + 4, "\u2026" + _words(62, 120)),
    ],
)
def test_a_long_context_is_a_window_of_whole_words_around_the_printed_words(
    start: int, end: int, expected: str
) -> None:
    document = _document(WORDS, [(0, len(WORDS))])
    got = context(document, start, end)
    assert got == expected
    assert len(got) <= CONTEXT_MAX


def test_a_window_ending_on_a_space_keeps_its_last_word_and_one_opening_on_a_space_its_first() -> None:
    text = WORDS + " zz"  # 602 characters: the window that ends at the text's end opens on the space before w062
    document = _document(text, [(0, len(text))])
    assert context(document, _at(119), _at(119) + 4) == "\u2026" + _words(62, 120) + " zz"


def test_a_word_longer_than_the_window_is_cut_on_both_sides() -> None:
    text = "x" * 400
    got = context(_document(text, [(0, 400)]), 200, 210)
    assert got == "\u2026" + "x" * (CONTEXT_MAX - 2) + "\u2026"


def test_the_context_is_the_sentence_of_the_smallest_paragraph_or_item_holding_the_words() -> None:
    # An item inside a long paragraph, late in the text: the item's sentence, not the paragraph's window.
    document = _document(WORDS, [(0, len(WORDS))], items=((_at(81), _at(90) + 4),))
    assert context(document, _at(85), _at(85) + 4) == _words(81, 90)


def test_words_ending_a_sentence_take_that_sentence() -> None:
    text = "Alpha beta gamma. Delta epsilon zeta."
    document = _document(text, [(0, len(text))])
    start = text.index("zeta.")
    assert context(document, start, len(text)) == "Delta epsilon zeta."


def test_a_wrong_locator_names_the_smallest_place_holding_the_words() -> None:
    text = WORDS
    document = _document(text, [(0, _at(60) + 4), (_at(61), len(text))])
    record = Record("studies/x.yaml", "outcomes[0]", "x.y", "doc", "Section 'S', paragraph 1", "w070")
    _, issues, _ = check([record], {"doc": document})
    assert [i.message for i in issues] == [
        "\"Section 'S', paragraph 1\" does not hold 'w070'; the text has it in Section 'S', paragraph 2"
    ]


# --- what `validate` says of the texts, the registry and the spans file ----------------------------------------


def _texts(settings: Settings) -> Path:
    seeds = settings.seeds_text_dir
    if seeds is None or not seeds.is_dir():
        pytest.skip(f"source texts not found at {seeds} (set TALL_SEEDS_TEXT_DIR)")
    return seeds


def test_without_texts_only_the_committed_spans_are_given(settings: Settings, tmp_path: Path) -> None:
    absent = tmp_path / "no-texts"
    outcome = verify(settings.fixtures_dir, settings.sources_registry, absent, spans_file=settings.spans_file)
    _, committed = read_spans(settings.spans_file)
    assert outcome.problems == []
    assert outcome.notes == [f"texts not found at {absent}: locators checked only against spans.yaml"]
    assert outcome.spans == committed
    assert outcome.documents == {}
    assert outcome.texts_present is False


def test_with_no_texts_named_only_the_committed_spans_are_given(settings: Settings) -> None:
    """TALL_SEEDS_TEXT_DIR set empty: the texts are not read, and the note says none was named."""
    outcome = verify(settings.fixtures_dir, settings.sources_registry, None, spans_file=settings.spans_file)
    _, committed = read_spans(settings.spans_file)
    assert outcome.problems == []
    assert outcome.notes == ["texts not read (none named): locators checked only against spans.yaml"]
    assert outcome.spans == committed
    assert outcome.texts_present is False


def test_with_texts_the_outcome_says_so_and_gives_the_notes(settings: Settings) -> None:
    seeds = _texts(settings)
    outcome = verify(settings.fixtures_dir, settings.sources_registry, seeds, spans_file=settings.spans_file)
    assert outcome.texts_present is True
    documents = read_documents(seeds, settings.sources_registry)
    _, _, notes = check(list(iter_records(settings.fixtures_dir)), documents)
    assert outcome.notes == notes and notes


def test_a_stale_checksum_is_named_with_the_text_and_the_spans_file(settings: Settings, tmp_path: Path) -> None:
    seeds = _texts(settings)
    committed_docs, _ = read_spans(settings.spans_file)
    doc_id, sha = sorted(committed_docs.items())[0]
    registry = tmp_path / "sources.yaml"
    registry.write_text(settings.sources_registry.read_text(encoding="utf-8").replace(sha, "f" * 64), encoding="utf-8")
    outcome = verify(settings.fixtures_dir, registry, seeds, spans_file=settings.spans_file)
    assert f"sources.yaml: {doc_id}.sha256: does not match the text in {seeds}" in outcome.problems
    stale = f"sha256 {sha[:12]}... is not the registry's (run `tall-evidence resolve`)"
    assert f"spans.yaml: documents.{doc_id}: {stale}" in outcome.problems


def test_spans_missing_changed_or_extra_in_the_spans_file_are_each_named(settings: Settings, tmp_path: Path) -> None:
    seeds = _texts(settings)
    documents = read_documents(seeds, settings.sources_registry)
    spans, _, _ = check(list(iter_records(settings.fixtures_dir)), documents)
    missing, changed = sorted(spans)[:2]
    edited = {rid: s for rid, s in spans.items() if rid != missing}
    edited[changed] = type(spans[changed])(
        spans[changed].source_id, spans[changed].start, spans[changed].end, spans[changed].context + " (edited)"
    )
    edited["x.extra"] = spans[changed]
    spans_file = tmp_path / "spans.yaml"
    spans_file.write_text(render_spans(edited, documents), encoding="utf-8")
    outcome = verify(settings.fixtures_dir, settings.sources_registry, seeds, spans_file=spans_file)
    assert outcome.problems == [
        f"spans.yaml: spans.{rid}: does not match the text (run `tall-evidence resolve`)"
        for rid in sorted((missing, changed, "x.extra"))
    ]


def test_a_spans_file_with_documents_but_no_spans_is_checked_not_called_missing(
    settings: Settings, tmp_path: Path
) -> None:
    seeds = _texts(settings)
    committed_docs, committed = read_spans(settings.spans_file)
    spans_file = tmp_path / "spans.yaml"
    spans_file.write_text(
        "documents:\n" + "".join(f"  {d}: '{sha}'\n" for d, sha in committed_docs.items()) + "spans: {}\n",
        encoding="utf-8",
    )
    outcome = verify(settings.fixtures_dir, settings.sources_registry, seeds, spans_file=spans_file)
    assert outcome.problems == [
        f"spans.yaml: spans.{rid}: does not match the text (run `tall-evidence resolve`)" for rid in sorted(committed)
    ]
    absent = verify(settings.fixtures_dir, settings.sources_registry, seeds, spans_file=tmp_path / "none.yaml")
    assert absent.problems == ["none.yaml: missing (run `tall-evidence resolve`)"]


def test_a_registry_listing_no_sources_reads_no_text(settings: Settings, tmp_path: Path) -> None:
    seeds = _texts(settings)
    registry = tmp_path / "sources.yaml"
    registry.write_text("version: 1\n", encoding="utf-8")
    assert read_documents(seeds, registry) == {}
    committed_docs, _ = read_spans(settings.spans_file)
    outcome = verify(settings.fixtures_dir, registry, seeds, spans_file=settings.spans_file)
    assert outcome.documents == {}
    stale = [p for p in outcome.problems if "is not the registry's" in p]
    assert len(stale) == len(committed_docs)


def test_a_text_the_registry_does_not_list_is_passed_over(settings: Settings, tmp_path: Path) -> None:
    seeds = _texts(settings)
    texts = tmp_path / "texts"
    shutil.copytree(seeds, texts)
    (texts / "000_aaaa_not_registered.txt").write_text("Not a registered source.\n", encoding="utf-8")
    documents = read_documents(texts, settings.sources_registry)
    assert set(documents) == {p.stem for p in seeds.glob("*.txt")}


def test_a_source_listed_without_a_kind_is_read_as_a_letter(settings: Settings, tmp_path: Path) -> None:
    seeds = _texts(settings)
    registry_text = settings.sources_registry.read_text(encoding="utf-8")
    assert registry_text.count("kind: letter\n") == 1, "the registry lists one letter"
    registry = tmp_path / "sources.yaml"
    registry.write_text(registry_text.replace("    kind: letter\n", ""), encoding="utf-8")
    with_kind = read_documents(seeds, settings.sources_registry)
    without = read_documents(seeds, registry)
    [letter] = [d for d in with_kind.values() if d.kind == "letter"]
    assert without[letter.id].kind == "letter"
    assert without[letter.id].sections == letter.sections


# --- the block around words on a slide, in a legend or a reference (no paragraph or cell holds them) ------------


def _block_context(text: str, printed: str, *, at: int = 0) -> str:
    """The context of the printed words (their occurrence from `at`) in a document with no named places."""
    start = text.index(printed, at)
    return context(Document("deck", "slide_deck", text, "0" * 64), start, start + len(printed))


def test_a_bare_value_takes_in_the_blocks_before_it_but_not_the_slide_before() -> None:
    text = "Text of the slide before\n\n\n\nHeading words here\n\n96%"
    assert _block_context(text, "96%") == "Heading words here 96%"


def test_a_bare_value_on_the_first_slide_takes_in_every_block_before_it() -> None:
    assert _block_context("Heading words here\n\n96%", "96%") == "Heading words here 96%"


def test_a_block_of_forty_characters_stands_alone() -> None:
    block = "Overall response rate was 96% at day 28."
    assert len(block) == 40
    assert _block_context(f"Before\n\n{block}", "96%") == block
    shorter = block[:-1]
    assert _block_context(f"Before\n\n{shorter}", "96%") == f"Before {shorter}"


def test_words_opening_a_block_take_that_block_alone() -> None:
    first = "A first block that is long enough to stand alone"
    second = "Second block that is long enough to stand alone too"
    text = f"{first}\n\n{second}"
    assert _block_context(text, "Second") == second
    assert _block_context(text, "A first") == first


def test_words_running_into_a_blank_line_take_in_the_block_after_it() -> None:
    first = "A first block that is long enough to stand alone"
    second = "Second block that is long enough to stand alone too"
    text = f"{first}\n\n{second}"
    # Printed words ending in a line break reach into the blank line: no one block holds them.
    assert _block_context(text, "stand alone\n") == f"{first} {second}"
    assert _block_context(text.replace("\n\n", "\n \t\n"), "stand alone\n \t") == f"{first} {second}"


def test_words_in_a_list_without_blank_lines_take_their_bullet() -> None:
    text = "Title\n\nResults:\n\u2022 alpha one\n\u2022 beta two\n\u2022 gamma three"
    assert _block_context(text, "beta") == "\u2022 beta two"
    assert _block_context(text, "\u2022 beta") == "\u2022 beta two"  # words opening with the bullet itself
    assert _block_context(text, "beta two\n") == "\u2022 beta two"  # words running to the end of their line
    assert _block_context(text, "Results") == "Results:"  # the lead line before the first bullet


def test_two_bullets_are_a_list_and_one_is_not() -> None:
    two = "Title words\n\n\u2022 alpha one\n\u2022 beta two"
    assert _block_context(two, "beta") == "\u2022 beta two"
    one = "Title words\n\nLead line\n\u2022 alpha one"
    assert _block_context(one, "alpha") == "Title words Lead line \u2022 alpha one"


def test_texts_the_registry_names_but_the_directory_lacks_are_named_once_each(
    settings: Settings, tmp_path: Path
) -> None:
    seeds = _texts(settings)
    present = sorted(seeds.glob("*.txt"))
    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / present[0].name).write_bytes(present[0].read_bytes())
    outcome = verify(settings.fixtures_dir, settings.sources_registry, texts, spans_file=settings.spans_file)
    absent = [p.stem for p in present[1:]]
    assert outcome.missing_texts == absent
    assert outcome.problems == [
        f"{texts / doc_id}.txt: missing (the registry names this document; its text is not in {texts})"
        for doc_id in absent
    ]
    assert {span.source_id for span in outcome.spans.values()} == {present[0].stem}
    full = verify(settings.fixtures_dir, settings.sources_registry, seeds, spans_file=settings.spans_file)
    assert full.missing_texts == [] and full.problems == []


def test_spans_of_present_texts_are_still_compared_after_those_of_missing_ones(
    settings: Settings, tmp_path: Path
) -> None:
    """The figures of a missing text are passed over, not the rest: a present document's span that no
    longer matches is reported even when it sorts after a missing document's spans."""
    import yaml

    seeds = _texts(settings)
    committed = yaml.safe_load(settings.spans_file.read_text(encoding="utf-8"))
    last = sorted(committed["spans"])[-1]
    kept = committed["spans"][last]["source_id"]
    assert any(span["source_id"] != kept for rid, span in committed["spans"].items() if rid < last)
    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / f"{kept}.txt").write_bytes((seeds / f"{kept}.txt").read_bytes())
    committed["spans"][last]["start"] += 1
    spans_file = tmp_path / "spans.yaml"
    spans_file.write_text(yaml.safe_dump(committed, sort_keys=False), encoding="utf-8")
    outcome = verify(settings.fixtures_dir, settings.sources_registry, texts, spans_file=spans_file)
    mismatched = [p for p in outcome.problems if "does not match the text" in p]
    assert mismatched == [f"spans.yaml: spans.{last}: does not match the text (run `tall-evidence resolve`)"]


def test_a_text_present_but_unreadable_is_named_apart_from_a_missing_one(settings: Settings, tmp_path: Path) -> None:
    # `resolve` writes nothing when either list is not empty (session 9's probe: it wrote without them).
    seeds = _texts(settings)
    texts = tmp_path / "texts"
    shutil.copytree(seeds, texts)
    names = sorted(p.stem for p in texts.glob("*.txt"))
    unreadable, missing = names[0], names[1]
    (texts / f"{unreadable}.txt").write_bytes(b"\xff\xfe")
    (texts / f"{missing}.txt").unlink()
    outcome = verify(settings.fixtures_dir, settings.sources_registry, texts, spans_file=settings.spans_file)
    assert (outcome.unreadable_texts, outcome.missing_texts) == ([unreadable], [missing])
    full = verify(settings.fixtures_dir, settings.sources_registry, seeds, spans_file=settings.spans_file)
    assert (full.unreadable_texts, full.missing_texts) == ([], [])


def test_a_text_that_is_not_the_registered_document_is_named_apart(settings: Settings, tmp_path: Path) -> None:
    # `resolve` writes nothing when a text fails its registered SHA-256 (session 9's second probe: it
    # wrote the spans file without every span of that document).
    seeds = _texts(settings)
    texts = tmp_path / "texts"
    shutil.copytree(seeds, texts)
    other = sorted(p.stem for p in texts.glob("*.txt"))[0]
    (texts / f"{other}.txt").write_text("just some other text\n", encoding="utf-8")
    outcome = verify(settings.fixtures_dir, settings.sources_registry, texts, spans_file=settings.spans_file)
    assert (outcome.mismatched_texts, outcome.unreadable_texts, outcome.missing_texts) == ([other], [], [])
    full = verify(settings.fixtures_dir, settings.sources_registry, seeds, spans_file=settings.spans_file)
    assert full.mismatched_texts == []


# A served span against its figure's printed words, and its text where present (session 13's probe, FB4:
# a spans file edited to start 9,000,000, end 10 and a made-up context was built and served).
SENTENCES = "Alpha beta gamma. Delta epsilon\nzeta. Eta theta."
EPSILON = SENTENCES.index("epsilon")


def _span_issues(span: Span, *, text: bool) -> list[tuple[str, str]]:
    documents = {"doc": _document(SENTENCES, [(0, len(SENTENCES))])} if text else {}
    issues = span_issues({"s.o1": span}, {"s.o1": "epsilon zeta"}, documents, label="spans.yaml (TALL_SPANS_FILE)")
    assert all(i.file == "spans.yaml (TALL_SPANS_FILE)" for i in issues)
    return [(i.path, i.message) for i in issues]


def test_a_span_true_to_its_text_and_printed_words_passes() -> None:
    # A line break in the text where the printed words have a space: the same words (as `resolve` finds them).
    span = Span("doc", EPSILON, EPSILON + len("epsilon\nzeta"), "Delta epsilon zeta.")
    assert context(_document(SENTENCES, [(0, len(SENTENCES))]), span.start, span.end) == span.context
    assert _span_issues(span, text=True) == []
    assert _span_issues(span, text=False) == []


def test_a_context_without_the_printed_words_is_named_with_or_without_the_text() -> None:
    span = Span("doc", EPSILON, EPSILON + len("epsilon\nzeta"), "A 95-year-old female was diagnosed in 1816.")
    expected = ("spans.s.o1.context", "does not hold the printed words 'epsilon zeta'")
    assert _span_issues(span, text=False) == [expected]
    assert _span_issues(span, text=True) == [expected, ("spans.s.o1.context", "is not the text around them in doc")]


def test_a_context_holding_the_words_yet_not_the_texts_is_named_where_the_text_is_present() -> None:
    span = Span("doc", EPSILON, EPSILON + len("epsilon\nzeta"), "Made up. Delta epsilon zeta.")
    assert _span_issues(span, text=False) == []  # nothing to tell it by without the text
    assert _span_issues(span, text=True) == [("spans.s.o1.context", "is not the text around them in doc")]


def test_a_context_with_another_dash_or_a_line_break_still_holds_the_printed_words() -> None:
    issues = span_issues({"s.o1": Span("doc", 0, 7, "Of ETP\u2010ALL in")}, {"s.o1": "ETP-ALL"}, {}, label="spans.yaml")
    assert issues == []


def test_an_end_past_the_text_is_named_and_nothing_else_of_those_characters() -> None:
    end = len(SENTENCES)
    span = Span("doc", EPSILON, end + 1, "Delta epsilon zeta.")
    assert _span_issues(span, text=True) == [("spans.s.o1.end", f"{end + 1} is past the end of doc ({end} characters)")]
    assert _span_issues(span, text=False) == []
    # Up to the text's last character is within it: the characters are then compared.
    assert _span_issues(Span("doc", EPSILON, end, "Delta epsilon zeta."), text=True) == [
        ("spans.s.o1", f"characters {EPSILON}-{end} of doc are not the printed words 'epsilon zeta'")
    ]


def test_characters_that_are_not_the_printed_words_are_named() -> None:
    span = Span("doc", EPSILON + 1, EPSILON + 1 + len("epsilon\nzeta"), "Delta epsilon zeta.")
    assert _span_issues(span, text=True) == [
        ("spans.s.o1", f"characters {EPSILON + 1}-{EPSILON + 13} of doc are not the printed words 'epsilon zeta'")
    ]


def test_a_span_of_no_figure_or_of_another_document_is_checked_only_as_far_as_it_can_be() -> None:
    document = _document(SENTENCES, [(0, len(SENTENCES))])
    spans = {"gone": Span("doc", 9, 10, "nothing"), "s.o1": Span("other", 5, 6, "Delta epsilon zeta.")}
    assert span_issues(spans, {"s.o1": "epsilon zeta"}, {"doc": document}, label="spans.yaml") == []
    spans["s.o1"] = Span("other", 5, 6, "Eta theta.")
    assert span_issues(spans, {"s.o1": "epsilon zeta"}, {"doc": document}, label="spans.yaml") == [
        FixtureIssue("spans.yaml", "spans.s.o1.context", "does not hold the printed words 'epsilon zeta'")
    ]
    # A span whose text is absent does not end the check of those after it.
    spans = {"a": Span("other", 5, 6, "Delta epsilon zeta."), "b": Span("doc", 0, 1, "Delta epsilon zeta.")}
    [issue] = span_issues(spans, dict.fromkeys(spans, "epsilon zeta"), {"doc": document}, label="spans.yaml")
    assert (issue.path, issue.message) == ("spans.b", "characters 0-1 of doc are not the printed words 'epsilon zeta'")


@pytest.mark.parametrize(("start", "end"), [(9_000_000, 10), (10, 10)])
def test_a_span_that_does_not_start_before_it_ends_is_refused(tmp_path: Path, start: int, end: int) -> None:
    path = tmp_path / "spans.yaml"
    entry = f"s.o1: {{source_id: doc, start: {start}, end: {end}, context: x}}"
    path.write_text(f"documents: {{doc: abc}}\nspans: {{{entry}}}\n", encoding="utf-8")
    with pytest.raises(FixtureError) as caught:
        read_spans(path)
    [issue] = caught.value.issues
    assert (issue.file, issue.path) == (f"{path} (TALL_SPANS_FILE)", "spans.s.o1")
    assert f"start {start} is not before end {end}" in issue.message
    path.write_text(f"spans: {{{entry.replace(f'end: {end}', f'end: {start + 1}')}}}\n", encoding="utf-8")
    assert read_spans(path)[1]["s.o1"] == Span("doc", start, start + 1, "x")
