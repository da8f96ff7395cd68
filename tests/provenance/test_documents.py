"""Structure read from the real source texts: paragraphs across page breaks, table cells, slides, interviews."""

from pathlib import Path

import pytest

from api.provenance.documents import Document, Place, fold, read_document
from api.provenance.locators import resolve
from api.settings import Settings
from tests.provenance.conftest import by_prefix


def _text(document: Document, place: object) -> str:
    from api.provenance.documents import Place

    assert isinstance(place, Place)
    return fold(place.text(document))


def test_a_page_break_inside_a_sentence_does_not_start_a_paragraph(documents: dict[str, Document]) -> None:
    review = by_prefix(documents, "002")
    section = review.section("CAR-T-based treatment")
    assert section is not None
    paragraphs = [_text(review, p) for p in section.paragraphs]
    # The first paragraph runs on after "derived from bulk" + blank line + "T cells without ...".
    assert "NS7CARs were derived from bulk T cells without additional genetic manipulations" in paragraphs[0]
    assert "1 patient experienced grade IV CRS" in paragraphs[0]
    assert paragraphs[1].startswith("A phase I clinical trial") and "RD13-01" in paragraphs[1]
    assert paragraphs[2].startswith("Twenty R/R T-ALL/LBL patients")
    assert len(paragraphs) == 4


def test_a_paragraph_split_by_a_table_joins_and_skips_the_table(documents: dict[str, Document]) -> None:
    review = by_prefix(documents, "002")
    section = review.section("CAR-T-based treatment")
    assert section is not None
    last = section.paragraphs[-1]
    text = _text(review, last)
    assert "PCART7-CD3 PEBL showed minimal fratricide and a reduced risk of GvHD" in text
    assert "Study agents" not in text and len(last.segments) > 1
    table = review.tables[1].place
    assert last.start < table.start < table.end < last.end
    assert not last.contains(table.start, table.start + 10)


def test_a_new_text_block_after_a_full_stop_starts_a_paragraph(documents: dict[str, Document]) -> None:
    review = by_prefix(documents, "002")
    section = review.section("Nelarabine\u2011based treatment")  # the text's own hyphen matches too
    assert section is not None
    starts = [_text(review, p)[:30] for p in section.paragraphs]
    assert starts == [
        "The GMALL trial enrolled 281 n",
        "An intergroup phase II study w",
        "A retrospective study was desi",
    ]


def test_table_columns_rows_and_cells(documents: dict[str, Document]) -> None:
    review = by_prefix(documents, "002")
    one, two = review.tables[1], review.tables[2]
    assert one.columns == ["Abstract 51", "Abstract 54", "Abstract 4053", "Abstract 942", "Abstract 1414"]
    assert two.columns == ["Abstract 980", "Abstract 1995", "Abstract 2011", "Abstract 975"]
    assert "MRD analysis used to assign risk/postremission therapy" in one.rows and "Survival outcome" in two.rows

    def cell(table: object, column: str, row: str) -> str:
        return _text(review, review.tables[1 if table is one else 2].cells[(column, row)])

    assert cell(one, "Abstract 54", "Survival outcome") == "3-year EFS: 88.6%; 3-year OS: 93.4%; 3-year CIR: 5.3%"
    assert cell(one, "Abstract 942", "Survival outcome") == "CR/CRi rate: 100%"
    assert cell(one, "Abstract 1414", "Survival outcome").startswith("CR/CRi rate(after the first cycle): 85.7%")
    assert cell(one, "Abstract 54", "No. of patients") == "62"
    assert cell(one, "Abstract 4053", "No. of patients") == "44 (29 combination; 15 monotherapy)"
    # A wrapped row label is not a cell; the row's five values follow it.
    assert cell(one, "Abstract 51", "MRD analysis used to assign risk/postremission therapy") == "Yes"
    assert cell(one, "Abstract 942", "MRD analysis used to assign risk/postremission therapy") == "No"
    assert cell(two, "Abstract 1995", "Survival outcome") == "CR: 80%"
    assert cell(two, "Abstract 2011", "Survival outcome").startswith("ORR: 90% at 3 months post-")
    assert cell(two, "Abstract 1995", "Study agents") == "CD7 UCAR-T (RD13-01)"
    assert cell(two, "Abstract 980", "NCT No") == "NCT04572308, NCT04916860"


def test_references_are_numbered_entries(documents: dict[str, Document]) -> None:
    review = by_prefix(documents, "002")
    assert sorted(review.references) == list(range(1, 13))
    assert "Venetoclax in combination with homoharringtonine" in _text(review, review.references[12])
    assert "Goekbuget N" in _text(review, review.references[4]) and "Hatta" not in _text(review, review.references[4])


def test_slides_are_separated_by_three_blank_lines(documents: dict[str, Document]) -> None:
    deck = by_prefix(documents, "004")
    assert len(deck.slides) == 38
    assert [s.title for s in deck.slides[3:6]] == ["GIMEMA 1913 trial"] * 3
    assert "How can we improve these results?" in _text(deck, deck.slides[5].place)
    assert "How can we improve" not in _text(deck, deck.slides[4].place)


def test_a_slide_title_can_follow_its_bullets_or_its_citation(documents: dict[str, Document]) -> None:
    deck = by_prefix(documents, "004")
    last = deck.slides[-1]
    assert last.title == "Take home messages" and last.title_place is not None
    assert _text(deck, last.place).startswith("\u00fc Outcome of T-ALL patients")  # bullets come first
    assert last.title_place.start > last.place.start + 100
    zhang = next(s for s in deck.slides if "AJH. 2023" in _text(deck, s.place))
    # 'CAR-T in T-ALL' after the citation is the running header of the Maciocia slides; the slide's
    # own title closes it, below its bullets.
    assert zhang.title == "Auto CD7 CAR-T in T-ALL"
    assert zhang.headings == ("CAR-T in T-ALL", "Auto CD7 CAR-T in T-ALL")
    assert next(s for s in deck.slides if s.number == 23).title == "CAR-T in T-ALL"  # header only: it is the title
    assert deck.slides[10].title and deck.slides[10].title.endswith(
        "Results of the Graall-2014/T Atriall Phase 2 Study"
    )
    untitled = next(s for s in deck.slides if "N=19" in _text(deck, s.place))
    assert untitled.title is None  # a citation and data lines only


def test_interview_headings_questions_and_answers(documents: dict[str, Document]) -> None:
    pan = by_prefix(documents, "001")
    title = pan.sections[0]
    assert title.heading.startswith("Dr. Jing Pan: Autologous CD7 CAR-T cells")  # the page title, no full stop
    assert [_text(pan, p)[:9] for p in title.paragraphs] == ["2025-4-15", "T-cell ac", "Autologou"]
    first = pan.section("1. Your team has conducted several studies")  # a question heading by its opening
    assert first is not None and len(first.paragraphs) == 7
    assert _text(pan, first.paragraphs[6]).startswith("Notably, none of the CD7 CAR-T products")
    last = pan.section("5. What are your next research priorities?")
    assert last is not None and len(last.paragraphs) == 2 and len(last.items) == 3
    assert _text(pan, last.items[1]).startswith("2. Dose Optimization: Following the FDA")
    assert last.paragraphs[1].start == last.items[0].start and last.paragraphs[1].end == last.items[2].end
    assert [q.number for q in pan.questions] == [1, 2, 3, 4, 5] and pan.questions[0].answer == first.paragraphs

    lu = by_prefix(documents, "003")
    # No headings before 'Expert Profile': every line is a paragraph, the interviewer's questions too.
    paragraphs = lu.paragraphs
    asking = [n for n, p in enumerate(paragraphs, 1) if _text(lu, p).startswith("Hematology Frontier:")]
    assert asking == [2, 6, 10, 16]
    third = lu.questions[2]
    assert "close to 60%" in _text(lu, third.place) and len(third.answer) == 5
    profile = lu.section("Expert Profile")
    assert profile is not None and len(profile.paragraphs) == 2


def test_letter_paragraphs_and_figure_legends(documents: dict[str, Document]) -> None:
    letter = by_prefix(documents, "000")
    paragraphs = [_text(letter, p) for p in letter.paragraphs]
    assert letter.section("To the editor:") is not None and len(paragraphs) == 5
    assert paragraphs[1].startswith("An 11-year-old male") and paragraphs[4].startswith("ALL/LBL exhibits")
    assert _text(letter, letter.figures[2]).startswith("BM analysis and PET-CT scan")
    assert not any("BM analysis and PET-CT scan" in p for p in paragraphs)


# The letter's reading, each test reading its own text (the documents fixture is read once per session,
# so mutation testing maps a parsing function only to the first test that reads it).


def _letter(tmp_path: Path, text: str) -> Document:
    path = tmp_path / "letter.txt"
    path.write_text(text, encoding="utf-8")
    return read_document(path, "letter")


def _real_letter(settings: Settings) -> Document:
    seeds: Path = settings.seeds_text_dir
    if not seeds.is_dir():
        pytest.skip(f"source texts not found at {seeds} (set TALL_SEEDS_TEXT_DIR)")
    [path] = seeds.glob("000_*.txt")
    return read_document(path, "letter")


def test_the_letter_is_one_section_headed_by_its_salutation(settings: Settings) -> None:
    letter = _real_letter(settings)
    [section] = letter.sections
    salutation = "To the editor:"
    assert letter.text.startswith(salutation)
    assert section.heading_place == Place("Section 'To the editor' heading", ((0, len(salutation)),))
    assert section.place == Place("Section 'To the editor'", ((0, len(letter.text)),))
    assert [p.label for p in section.paragraphs] == [f"Section 'To the editor', paragraph {n}" for n in range(1, 6)]
    # Its locators may also call it the letter.
    assert resolve(letter, "Section 'Letter', paragraph 2").places == [section.paragraphs[1]]


def test_the_letters_figure_legends_are_named_and_left_out_of_the_paragraphs(settings: Settings) -> None:
    letter = _real_letter(settings)
    assert sorted(letter.figures) == [1, 2]
    for number, legend in letter.figures.items():
        assert legend.label == f"Figure {number} legend"
        line = _text(letter, legend)
        assert line and "\n" not in letter.text[legend.start : legend.end]
        assert not any(line in _text(letter, p) for p in letter.paragraphs)


def test_a_letter_without_a_salutation_is_one_section_from_its_first_character(tmp_path: Path) -> None:
    text = "First paragraph of the letter.\n\nSecond paragraph.\n"
    letter = _letter(tmp_path, text)
    [section] = letter.sections
    assert section.heading_place is None
    assert section.place == Place("Section 'To the editor'", ((0, len(text)),))
    assert [letter.text[p.start : p.end] for p in section.paragraphs] == [
        "First paragraph of the letter.",
        "Second paragraph.",
    ]


def test_a_letters_paragraphs_are_split_by_blank_lines_only(tmp_path: Path) -> None:
    letter = _letter(tmp_path, "A sentence ends here.\n  An indented line goes on.\n\nNext paragraph.\n")
    assert [letter.text[p.start : p.end] for p in letter.paragraphs] == [
        "A sentence ends here.\n  An indented line goes on.",
        "Next paragraph.",
    ]


@pytest.mark.parametrize(
    "between",
    [
        "",  # the legend on the line after the label
        "\n",  # after a blank line
        "figure 3\n\n",  # after the figure's own caption line and a blank line
    ],
)
def test_a_figure_legend_is_the_first_line_after_its_label(tmp_path: Path, between: str) -> None:
    letter = _letter(
        tmp_path, f"Opening paragraph.\n\nFig. 3\n{between}The legend of figure three.\n\nClosing paragraph.\n"
    )
    [legend] = letter.figures.values()
    assert (sorted(letter.figures), legend.label) == ([3], "Figure 3 legend")
    assert letter.text[legend.start : legend.end] == "The legend of figure three."
    assert [letter.text[p.start : p.end] for p in letter.paragraphs] == ["Opening paragraph.", "Closing paragraph."]


def test_a_figure_label_at_the_end_of_a_letter_has_no_legend(tmp_path: Path) -> None:
    letter = _letter(tmp_path, "Only paragraph.\n\nFig. 4\n\n")
    assert letter.figures == {}
    assert [letter.text[p.start : p.end] for p in letter.paragraphs] == ["Only paragraph."]


def test_the_line_after_a_legend_is_read_again_as_text(tmp_path: Path) -> None:
    letter = _letter(tmp_path, "Fig. 1\nThe legend.\nA paragraph right after it.\n")
    assert letter.text[letter.figures[1].start : letter.figures[1].end] == "The legend."
    assert [letter.text[p.start : p.end] for p in letter.paragraphs] == ["A paragraph right after it."]


def test_a_salutation_heads_the_letter_wherever_it_is_and_the_next_line_is_text(tmp_path: Path) -> None:
    text = "The letterhead of the journal.\n\nTo the editor:\nThe first line of the letter.\n"
    letter = _letter(tmp_path, text)
    [section] = letter.sections
    start = text.index("To the editor:")
    assert section.heading_place == Place("Section 'To the editor' heading", ((start, start + len("To the editor:")),))
    assert [letter.text[p.start : p.end] for p in section.paragraphs] == [
        "The letterhead of the journal.",
        "The first line of the letter.",
    ]


def test_a_review_keeps_the_text_before_its_first_heading_as_a_section(tmp_path: Path) -> None:
    """The review's outline (tab-indented lines at the end, the first its title) names its headings."""
    text = "Words before any heading.\n An indented line.\n\nIntro\nThe body of the intro.\n\tThe title\n\tIntro\n"
    review = _review(tmp_path, text)
    first, intro = review.sections
    assert first.heading == "(before the first heading)" and first.heading_place is None
    blank_line = text.index("\n\nIntro") + 1
    assert first.place == Place("Section '(before the first heading)'", ((0, blank_line),))
    # A review's indented line after a finished sentence starts a paragraph.
    assert [(p.label, review.text[p.start : p.end]) for p in first.paragraphs] == [
        ("Section '(before the first heading)', paragraph 1", "Words before any heading."),
        ("Section '(before the first heading)', paragraph 2", "An indented line."),
    ]
    assert intro.heading == "Intro"
    # A section runs from its heading to the end of its last line (here, the last before the outline).
    body_end = text.index("\n\tThe title")
    assert intro.place == Place("Section 'Intro'", ((text.index("Intro\n"), body_end),))
    assert [review.text[p.start : p.end] for p in intro.paragraphs] == ["The body of the intro."]


def _review(tmp_path: Path, text: str) -> Document:
    path = tmp_path / "review.txt"
    path.write_text(text, encoding="utf-8")
    return read_document(path, "review")


def test_a_review_without_an_outline_is_read_to_its_end(tmp_path: Path) -> None:
    """Without an outline only the review's fixed headings (Abbreviations, References...) open sections."""
    review = _review(tmp_path, "Opening words.\n\nAbbreviations\nT-ALL: T-cell acute lymphoblastic leukemia.\n")
    assert [(s.heading, [review.text[p.start : p.end] for p in s.paragraphs]) for s in review.sections] == [
        ("(before the first heading)", ["Opening words."]),
        ("Abbreviations", ["T-ALL: T-cell acute lymphoblastic leukemia."]),
    ]


def test_a_review_that_is_only_its_outline_has_one_empty_section(tmp_path: Path) -> None:
    review = _review(tmp_path, "\tThe title\n\tIntro\n")
    [section] = review.sections
    assert (section.heading, section.place, section.paragraphs) == (
        "(before the first heading)",
        Place("Section '(before the first heading)'", ((0, 0),)),
        [],
    )


def test_a_reviews_page_footer_is_skipped_to_its_last_line(tmp_path: Path) -> None:
    text = (
        "Body of the first page.\n\nPage 1 of 2 Journal running header\nsubmission advertisement\n"
        "Choose BMC and benefit from: fast publication\nBody of the second page.\n"
    )
    review = _review(tmp_path, text)
    assert [review.text[p.start : p.end] for p in review.paragraphs] == [
        "Body of the first page.",
        "Body of the second page.",
    ]
    # A footer the text ends in, with no last line, runs to the end.
    review = _review(tmp_path, "Body of the only page.\n\nPage 1 of 1 Journal running header\nadvertisement\n")
    assert [review.text[p.start : p.end] for p in review.paragraphs] == ["Body of the only page."]


def test_a_reviews_headings_are_named_as_printed_less_a_trailing_comma(tmp_path: Path) -> None:
    text = "Intro,\nThe body of the intro.\n\nAnnex X\nThe annex.\n\tThe title\n\tIntro\n\tAnnex X\n"
    review = _review(tmp_path, text)
    assert [(s.heading, s.heading_place) for s in review.sections] == [
        ("Intro", Place("Section 'Intro' heading", ((0, len("Intro,")),))),
        ("Annex X", Place("Section 'Annex X' heading", ((text.index("Annex X"), text.index("Annex X") + 7),))),
    ]


def test_each_section_of_the_review_has_its_printed_heading(settings: Settings) -> None:
    seeds: Path = settings.seeds_text_dir
    if not seeds.is_dir():
        pytest.skip(f"source texts not found at {seeds} (set TALL_SEEDS_TEXT_DIR)")
    [path] = seeds.glob("002_*.txt")
    review = read_document(path, "review")
    # The headings its outline lists and the text prints (its "Acknowledgements" has no heading line),
    # and the fixed ones of the journal's layout, in the order printed.
    assert [s.heading for s in review.sections] == [
        "Abstract",
        "To the editor",
        "Nelarabine-based treatment",
        "CAR-T-based treatment",
        "Venetoclax-based treatment",
        "Abbreviations",
        "Competing interests",
        "References",
        "Publisher\u2019s Note",
    ]
    for section in review.sections:
        assert section.heading_place is not None, section.heading
        assert section.heading_place.label == f"Section '{section.heading}' heading"
        assert _text(review, section.heading_place).rstrip(",") == section.heading
        assert section.place.start == section.heading_place.start


def test_a_reviews_references_are_numbered_until_the_next_heading_or_the_outline(tmp_path: Path) -> None:
    text = (
        "References\n1. First reference.\n   its second line\n2. Second reference.\n"
        "Publisher\u2019s Note\nA note.\n\tThe title\n\tReferences\n"
    )
    review = _review(tmp_path, text)
    assert {n: (p.label, _text(review, p)) for n, p in review.references.items()} == {
        1: ("Reference 1", "1. First reference. its second line"),
        2: ("Reference 2", "2. Second reference."),
    }
    assert [s.heading for s in review.sections] == ["References", "Publisher\u2019s Note"]
    # Running into the outline, or to the end of the text.
    review = _review(tmp_path, "References\n1. Only reference.\n\tThe title\n\tReferences\n")
    assert [_text(review, p) for p in review.references.values()] == ["1. Only reference."]
    review = _review(tmp_path, "References\n1. Only reference.\n")
    assert [_text(review, p) for p in review.references.values()] == ["1. Only reference."]


def test_the_reviews_tables_are_read_apart_from_its_paragraphs(settings: Settings) -> None:
    seeds: Path = settings.seeds_text_dir
    if not seeds.is_dir():
        pytest.skip(f"source texts not found at {seeds} (set TALL_SEEDS_TEXT_DIR)")
    [path] = seeds.glob("002_*.txt")
    review = read_document(path, "review")
    assert sorted(review.tables) == [1, 2]
    # One column per abstract the table compares, one cell per column and row label.
    assert review.tables[2].columns == ["Abstract 980", "Abstract 1995", "Abstract 2011", "Abstract 975"]
    for number, table in review.tables.items():
        assert len(table.cells) == len(table.columns) * len(table.rows)
        # The table's place runs from its "Table N" label to its last printed character, holding every cell.
        assert table.number == number and table.place.label == f"Table {number}"
        assert review.text[table.place.start :].startswith(f"Table {number} ")
        assert not review.text[table.place.end - 1].isspace()
        last_cell_end = max(cell.end for cell in table.cells.values())
        assert review.text[last_cell_end : table.place.end].strip() == ""
        assert all(table.place.contains(cell.start, cell.end) for cell in table.cells.values())
    assert _text(review, review.tables[2].cells[("Abstract 1995", "Survival outcome")]) == "CR: 80%"
    assert not any("Selected studies on" in _text(review, p) for p in review.paragraphs)


def _label_at(text: str, label: str, from_index: int = 0) -> tuple[int, str] | None:
    """Where _find_label finds a table's row label: the line it starts on, and the text after it on its last line."""
    from api.provenance.documents import _find_label, _lines

    lines = _lines(text)
    found = _find_label(text, lines, from_index, label=label)
    if found is None:
        return None
    index, after = found
    end = next(line.end for line in lines if line.start <= after <= line.end)
    return index, text[after:end]


def test_a_row_label_is_found_on_one_line_or_wrapped_over_several() -> None:
    assert _label_at("Study agents Nelarabine", "Study agents") == (0, " Nelarabine")
    assert _label_at("Age range,\nyears 18-60", "Age range, years") == (0, " 18-60")
    # The label's words may each sit on a line of their own, and a word may be split by a hyphen.
    assert _label_at("Age\nrange,\nyears 1-9", "Age range, years") == (0, " 1-9")
    assert _label_at(
        "MRD analysis used to assign risk/postremis-\nsion therapy Yes",
        "MRD analysis used to assign risk/postremission therapy",
    ) == (0, " Yes")


def test_a_row_label_is_looked_for_from_the_line_given_on_lines_that_open_a_row() -> None:
    text = "Summary first\nother\nSummary second"
    assert _label_at(text, "Summary") == (0, " first")
    assert _label_at(text, "Summary", from_index=1) == (2, " second")
    # A line opening with a space continues a cell: no row label starts there.
    assert _label_at(" Summary inside a cell\nSummary row", "Summary") == (1, " row")


def test_a_row_label_cut_by_a_blank_line_or_the_end_or_other_words_is_not_found() -> None:
    assert _label_at("Age range,\n\nyears 18-60", "Age range, years") is None
    assert _label_at("Age range,", "Age range, years") is None
    assert _label_at("Age limits, years", "Age range, years") is None
    assert (
        _label_at(
            "MRD analysis used to assign risk/postremis-\nsionary therapy",
            "MRD analysis used to assign risk/postremission therapy",
        )
        is None
    )
    assert _label_at("Study agents", "Summary") is None
    # Cut by white space at the text's end, or by a hyphen on its last line.
    assert _label_at("Age range,   ", "Age range, years") is None
    mrd = "MRD analysis used to assign risk/postremission therapy"
    assert _label_at("MRD analysis used to assign risk/postremis-", mrd) is None


def test_a_row_label_that_fails_on_one_line_is_looked_for_on_the_next() -> None:
    assert _label_at("Age range,\n\nAge range, years 5", "Age range, years") == (2, " 5")
    assert _label_at("Age limits, years\nAge range, years 5", "Age range, years") == (1, " 5")
    mrd = "MRD analysis used to assign risk/postremission therapy"
    assert _label_at(f"MRD analysis used to assign risk/postremis-\nsionary\n{mrd} Yes", mrd) == (2, " Yes")
    # A hyphenated word whose next line does not finish it.
    assert _label_at(f"MRD analysis used to assign risk/postremis-\nother words\n{mrd} Yes", mrd) == (2, " Yes")
    # A word's line ending in spaces wraps onto the next, the last line of the text.
    assert _label_at("Age range,  \nyears 5", "Age range, years") == (0, " 5")


def test_a_row_label_split_by_a_hyphen_must_match_up_to_the_hyphen() -> None:
    # 'Summaq-' + 'y' is not 'Summary', though the next line starts with the rest of the word.
    assert _label_at("Summaq-\ny rest", "Summary") is None
    assert _label_at("Summar-\ny rest", "Summary") == (0, " rest")
