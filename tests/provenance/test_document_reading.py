"""How each kind of document is read, each test reading the one text it checks.

The real interviews and slide deck (the exact places of their headings, paragraphs, items, questions
and slides, derived here from the text's own lines) or a few lines written for the test. Each test
reads its text itself rather than through the session's `documents`: mutation testing maps a parsing
function only to the tests that reached it, and a document read once per session reaches it once
(docs/testing-mutation.md).
"""

import hashlib
import re
from pathlib import Path

import pytest

from api.loading.fixture_files import FixtureError
from api.provenance.documents import (
    Document,
    Place,
    Question,
    Section,
    Slide,
    Table,
    fold,
    read_document,
    sentence_places,
)
from api.settings import Settings


def _real(settings: Settings, prefix: str, kind: str) -> Document:
    seeds: Path = settings.seeds_text_dir
    if not seeds.is_dir():
        pytest.skip(f"source texts not found at {seeds} (set TALL_SEEDS_TEXT_DIR)")
    [path] = seeds.glob(f"{prefix}_*.txt")
    return read_document(path, kind)


def _written(tmp_path: Path, text: str, kind: str) -> Document:
    path = tmp_path / f"{kind}.txt"
    path.write_text(text, encoding="utf-8")
    return read_document(path, kind)


def _line(text: str, number: int) -> tuple[int, int]:
    """Line `number` (from 1) of the text: where its printed characters start and end."""
    pos = 0
    for n, raw in enumerate(text.split("\n"), 1):
        if n == number:
            lead = len(raw) - len(raw.lstrip())
            return pos + lead, pos + len(raw.rstrip())
        pos += len(raw) + 1
    raise AssertionError(f"no line {number}")


def _lines(text: str, first: int, last: int) -> tuple[int, int]:
    """Lines first..last as one range."""
    return _line(text, first)[0], _line(text, last)[1]


def _heading(text: str, number: int) -> Place:
    start, end = _line(text, number)
    return Place(f"Section '{text[start:end]}' heading", ((start, end),))


# --- interviews ----------------------------------------------------------------------------------------


def test_the_pan_interview_reads_its_title_questions_answers_and_list(settings: Settings) -> None:
    """001: 'Back' (page chrome), the page title (no full stop), three paragraphs, then five numbered
    questions, each followed by its answer's paragraphs; the last answer holds a numbered list whose
    entries are its items; 'Related Articles' ends the interview."""
    pan = _real(settings, "001", "interview")
    text = pan.text
    assert text.split("\n")[0] == "Back" and text.split("\n")[51] == "Related Articles"
    # (heading line, paragraph lines, the next heading's line): the text's own layout, one per blank line.
    layout = [
        (3, [5, 7, 9], 11),
        (11, [13, 15, 17, 19, 21, 23, 25], 27),
        (27, [29], 31),
        (31, [33], 35),
        (35, [37, 39], 41),
    ]
    expected = []
    for heading_line, paragraph_lines, next_line in layout:
        heading = _heading(text, heading_line)
        name = text[heading.start : heading.end]
        paragraphs = [
            Place(f"Section '{name}', paragraph {n}", (_line(text, line),)) for n, line in enumerate(paragraph_lines, 1)
        ]
        place = Place(f"Section '{name}'", ((heading.start, _line(text, next_line)[0]),))
        expected.append(Section(name, place, heading, paragraphs))
    last = "5. What are your next research priorities?"
    items = [Place(f"Section '{last}', item {n}", (_lines(text, 43 + 2 * n, 44 + 2 * n),)) for n in (1, 2, 3)]
    paragraphs = [
        Place(f"Section '{last}', paragraph 1", (_line(text, 43),)),
        Place(f"Section '{last}', paragraph 2", (_lines(text, 45, 50),)),
    ]
    expected.append(Section(last, Place(f"Section '{last}'", ((_line(text, 41)[0], len(text)),)), _heading(text, 41)))
    expected[-1].paragraphs, expected[-1].items = paragraphs, items
    assert pan.sections == expected
    assert [text[s.heading_place.start : s.heading_place.end][:3] for s in expected[1:] if s.heading_place] == [
        "1. ",
        "2. ",
        "3. ",
        "4. ",
        "5. ",
    ]
    assert text[items[1].start : items[1].end].startswith("2. Dose Optimization:")
    # Each numbered heading is a question; its answer is its section's paragraphs and items.
    assert pan.questions == [
        Question(n, s.heading_place, s.paragraphs, s.items)
        for n, s in enumerate(expected[1:], 1)
        if s.heading_place is not None
    ]
    assert pan.figures == {} and pan.tables == {} and pan.slides == [] and pan.references == {}


def test_the_lu_interview_is_numbered_paragraphs_with_the_interviewers_questions(settings: Settings) -> None:
    """003: one line a paragraph, no title (its first line ends a sentence), 'Expert Profile' the one
    heading; each 'Hematology Frontier:' line is a question whose answer runs to the next one, and not
    into the profile."""
    lu = _real(settings, "003", "interview")
    text = lu.text
    lines = text.split("\n")
    profile = lines.index("Expert Profile") + 1
    assert lines[0] == "" and profile == 21
    opening = [Place(f"Paragraph {n}", (_line(text, n + 1),)) for n in range(1, profile - 1)]
    heading = _heading(text, profile)
    closing = [Place(f"Section 'Expert Profile', paragraph {n}", (_line(text, profile + n),)) for n in (1, 2)]
    assert lu.sections == [
        Section("", Place("Section ''", ((0, heading.start),)), None, opening),
        Section("Expert Profile", Place("Section 'Expert Profile'", ((heading.start, len(text)),)), heading, closing),
    ]
    asking = [n for n, line in enumerate(lines[1 : profile - 1], 1) if line.startswith("Hematology Frontier:")]
    assert asking == [2, 6, 10, 16]
    ends = [*(n - 1 for n in asking[1:]), len(opening)]  # an answer's last paragraph, before the next question
    assert lu.questions == [
        Question(k, opening[n - 1], opening[n:end], []) for k, (n, end) in enumerate(zip(asking, ends, strict=True), 1)
    ]


def test_an_interviews_headings_stand_without_paragraphs_and_chrome_is_skipped(tmp_path: Path) -> None:
    text = "Back\nA Title\nFind out more\n1. Why so?\nExpert Profile\nThe expert.\nRelated Articles\nA related line.\n"
    interview = _written(tmp_path, text, "interview")
    assert [(s.heading, s.heading_place, s.paragraphs) for s in interview.sections] == [
        ("A Title", _heading(text, 2), []),
        ("1. Why so?", _heading(text, 4), []),
        ("Expert Profile", _heading(text, 5), [Place("Section 'Expert Profile', paragraph 1", (_line(text, 6),))]),
    ]
    # A section runs to the next heading's line; the last to the end of the text.
    assert [s.place.segments for s in interview.sections] == [
        ((_line(text, 2)[0], _line(text, 4)[0]),),
        ((_line(text, 4)[0], _line(text, 5)[0]),),
        ((_line(text, 5)[0], len(text)),),
    ]
    assert interview.questions == [Question(1, _heading(text, 4), [], [])]


def test_an_interviews_numbered_list_may_open_an_answer_and_ends_at_a_blank_line(tmp_path: Path) -> None:
    text = "1. What next?\n\n  1. One:\n    more of one.\n  2. Two:\n    more of two.\n\nAfter the list.\n"
    interview = _written(tmp_path, text, "interview")
    [section] = interview.sections
    name = "1. What next?"
    assert section.paragraphs == [
        Place(f"Section '{name}', paragraph 1", (_lines(text, 3, 6),)),
        Place(f"Section '{name}', paragraph 2", (_line(text, 8),)),
    ]
    assert section.items == [
        Place(f"Section '{name}', item 1", (_lines(text, 3, 4),)),
        Place(f"Section '{name}', item 2", (_lines(text, 5, 6),)),
    ]


def test_an_interviewers_question_before_any_heading_opens_an_answer(tmp_path: Path) -> None:
    text = "Opening words.\nHematology Frontier: Why?\nBecause.\nAnd so.\nHematology Frontier: How?\nLike this.\n"
    interview = _written(tmp_path, text, "interview")
    paragraphs = [Place(f"Paragraph {n}", (_line(text, n),)) for n in range(1, 7)]
    assert interview.paragraphs == paragraphs
    assert interview.questions == [
        Question(1, paragraphs[1], paragraphs[2:4], []),
        Question(2, paragraphs[4], paragraphs[5:], []),
    ]


# --- sentences ------------------------------------------------------------------------------------------


def test_sentences_end_at_a_stop_before_a_capital_digit_or_parenthesis_and_run_across_segments() -> None:
    first = "Fig. 2 shows one. Two is here! Three runs on"
    second = "into the next part. (Four) asks? 5 ends. Six vs. seven, et al. Done"
    text = f"{first} [a table] {second}"
    a = (0, len(first))
    b = (text.index(second), len(text))
    document = Document("d", "letter", text, "")
    places = sentence_places(document, Place("Case", (a, b)))

    def at(part: str, segment: tuple[int, int]) -> tuple[int, int]:
        start = text.index(part, segment[0])
        return start, start + len(part)

    assert places == [
        Place("Case, sentence 1", (at("Fig. 2 shows one.", a),)),
        Place("Case, sentence 2", (at("Two is here!", a),)),
        Place("Case, sentence 3", (at("Three runs on", a), at("into the next part.", b))),
        Place("Case, sentence 4", (at("(Four) asks?", b),)),
        Place("Case, sentence 5", (at("5 ends.", b),)),
        Place("Case, sentence 6", (at("Six vs. seven, et al. Done", b),)),
    ]
    # A segment that ends a sentence leaves the next segment's first words a sentence of their own.
    closed = sentence_places(document, Place("P", ((0, text.index(" Two")), b)))
    assert [p.segments for p in closed[:2]] == [(at("Fig. 2 shows one.", a),), (at("into the next part.", b),)]


# --- slides -----------------------------------------------------------------------------------------------


def _slide_bodies(text: str) -> list[tuple[int, int]]:
    """The deck's slides as the text prints them: runs of text between three or more blank lines."""
    out, pos = [], 0
    for gap in [*re.finditer(r"\n(?:[ \t]*\n){3,}", text), None]:
        end = gap.start() if gap else len(text)
        body = text[pos:end]
        if body.strip():
            lead = len(body) - len(body.lstrip())
            out.append((pos + lead, pos + len(body.rstrip())))
        pos = gap.end() if gap else len(text)
    return out


def test_the_decks_slides_are_the_runs_of_text_between_three_blank_lines(settings: Settings) -> None:
    deck = _real(settings, "004", "slide_deck")
    bodies = _slide_bodies(deck.text)
    assert len(bodies) == 38 and deck.text.startswith(" T-ALL in adult patients")
    assert [s.number for s in deck.slides] == list(range(1, 39))
    assert [s.place.segments for s in deck.slides] == [(body,) for body in bodies]
    for slide in deck.slides:
        label = f"Slide {slide.number}" + (f" '{slide.title}'" if slide.title else "")
        assert slide.place.label == label
        if slide.title is None:
            assert slide.title_place is None
        else:
            assert slide.title_place is not None and slide.title_place.label == f"{label} title"


def _title(deck: Document, number: int) -> tuple[str | None, str | None, tuple[str, ...]]:
    """A slide's title, the text its title place covers, and its heading-like blocks."""
    slide = deck.slides[number - 1]
    covered = None if slide.title_place is None else deck.text[slide.title_place.start : slide.title_place.end]
    return slide.title, covered, slide.headings


def test_a_slides_title_is_its_first_heading_like_block(settings: Settings) -> None:
    deck = _real(settings, "004", "slide_deck")
    # The first block, a citation after it, and a question after that: the first block is the title.
    assert _title(deck, 6) == (
        "GIMEMA 1913 trial",
        "GIMEMA 1913 trial",
        ("GIMEMA 1913 trial", "How can we improve these results?"),
    )
    # A citation first is passed over; a line of 40 characters or more runs on to the next.
    nelarabine = "Nelarabine, Pegylated Asparginase and Venetoclax Incorporated to HCVAD Chemotherapy in"
    wrapped = f"{nelarabine} \nthe Frontline Treatment of Adult Patients with T-ALL/T-LBL"
    title = f"{nelarabine} the Frontline Treatment of Adult Patients with T-ALL/T-LBL"
    assert _title(deck, 13) == (title, wrapped, (title, "ORR"))
    graall = "Frontline Consolidation with Nelarabine for Adults with High-Risk T-Cell Acute Lymphoblastic"
    results = "Leukemia. Results of the Graall-2014/T Atriall Phase 2 Study"
    assert _title(deck, 11)[:2] == (f"{graall} {results}", f"{graall}\n{results}")
    assert _title(deck, 11)[2] == (f"{graall} {results}", "After Nelarabine:")
    # A short line ends the title: the lines under 'Response' are data, not its continuation.
    assert _title(deck, 28) == ("Response", "Response", ("Response",))
    # A block opening with a digit, a parenthesis, or holding '=' or '%' is data, not a title.
    assert _title(deck, 24) == (None, None, ())
    assert _title(deck, 19) == (None, None, ())  # a web address is a citation
    assert _title(deck, 15)[0] == "Experimental approaches in T-ALL"


def test_a_slides_title_after_its_bullets_closes_it(settings: Settings) -> None:
    deck = _real(settings, "004", "slide_deck")
    # The running header 'CAR-T in T-ALL' heads the bullets; the slide's own title closes it.
    assert _title(deck, 22) == (
        "Auto CD7 CAR-T in T-ALL",
        "Auto CD7 CAR-T in T-ALL",
        ("CAR-T in T-ALL", "Auto CD7 CAR-T in T-ALL"),
    )
    assert _title(deck, 23) == ("CAR-T in T-ALL", "CAR-T in T-ALL", ("CAR-T in T-ALL",))
    # A slide that opens with bullets takes its last heading-like block.
    assert _title(deck, 38) == ("Take home messages", "Take home messages", ("Take home messages",))


def test_a_decks_slides_are_numbered_from_one_and_its_first_characters_are_read(tmp_path: Path) -> None:
    text = "\n\n\n\nA\n\n\n\nFirst point\n\n\n\n   \n\n"
    deck = _written(tmp_path, text, "slide_deck")
    a, point = text.index("A"), text.index("First point")
    assert deck.slides == [
        Slide(1, "A", Place("Slide 1 'A'", ((a, a + 1),)), Place("Slide 1 'A' title", ((a, a + 1),)), ("A",)),
        Slide(
            2,
            "First point",
            Place("Slide 2 'First point'", ((point, point + 11),)),
            Place("Slide 2 'First point' title", ((point, point + 11),)),
            ("First point",),
        ),
    ]
    deck = _written(tmp_path, "B\n\n\n\n\u2022 a bullet only", "slide_deck")
    assert deck.slides[0].place == Place("Slide 1 'B'", ((0, 1),))
    assert deck.slides[1] == Slide(2, None, Place("Slide 2", ((5, len(deck.text)),)), None, ())


def test_a_slide_that_opens_with_bullets_takes_its_last_heading_wherever_it_is(tmp_path: Path) -> None:
    text = "\u2022 a point\n\nFirst heading\n\nSecond heading\n\n\u2022 another point"
    deck = _written(tmp_path, text, "slide_deck")
    [slide] = deck.slides
    assert (slide.title, slide.headings) == ("Second heading", ("First heading", "Second heading"))
    start = text.index("Second heading")
    assert slide.title_place == Place("Slide 1 'Second heading' title", ((start, start + 14),))


@pytest.mark.parametrize(("width", "wraps"), [(39, False), (40, True), (41, True)])
def test_a_title_line_of_forty_characters_or_more_runs_on(tmp_path: Path, width: int, wraps: bool) -> None:
    first = ("Title " * 10)[: width - 1] + "x"
    deck = _written(tmp_path, f"{first}\nsecond line", "slide_deck")
    assert deck.slides[0].title == (f"{first} second line" if wraps else first)


# --- what a document lists ----------------------------------------------------------------------------------


def test_a_documents_places_are_listed_section_by_section_then_tables_figures_references_slides() -> None:
    def place(label: str) -> Place:
        return Place(label, ((0, 1),))

    document = Document("d", "letter", "x", "")
    document.sections = [
        Section("A", place("A"), place("A heading"), [place("A p1")], [place("A i1")]),
        Section("B", place("B"), None, [place("B p1")]),
    ]
    document.tables = {1: Table(1, place("T1"), ["c"], ["r"], {("c", "r"): place("T1 cell")})}
    document.figures = {1: place("F1")}
    document.references = {1: place("R1")}
    document.slides = [Slide(1, "S", place("S1"), place("S1 title")), Slide(2, None, place("S2"), None)]
    assert [p.label for p in document.places()] == [
        "A",
        "A heading",
        "A p1",
        "A i1",
        "B",
        "B p1",
        "T1",
        "T1 cell",
        "F1",
        "R1",
        "S1",
        "S1 title",
        "S2",
    ]


# --- the review's tables ----------------------------------------------------------------------------------

# Every cell of the review's two tables, as printed (read with the text's own line breaks as spaces and its
# non-breaking hyphens and dashes as '-'), row by row, one value per column.
_TABLE_1 = {
    "Authors (references)": ["Goekbuget et al. [4]", "Hatta et al. [5]", "Shimony et al. [6]", "Suo et al. [11]",
                             "Yu et al. [12]"],
    "Study agents": ["Nelarabine + cyclo- phosphamide", "Nelarabine + L-ASP", "Nelarabine monother- apy vs combination",
                     "Venetoclax + HAG", "Venetoclax + HAG"],
    "Analysis": ["N/A", "II", "Retrospective", "N/A", "II"],
    "NCT No": ["NCT02881086", "N/A", "N/A", "N/A", "N/A"],
    "Study period": ["N/A", "2011-2017", "2006-2021", "N/A", "2021-2022"],
    "Age range, years": ["18-55", "15-24", "2-69", "N/A", "15-60"],
    "No. of patients": ["281 (208 T-ALL; 73 T-LBL)", "62", "44 (29 combination; 15 monotherapy)",
                        "7 (3 R/R ETP-ALL; 4 newly diagnosed)", "7"],
    "MRD analysis used to assign risk/postremission therapy": ["Yes", "Yes (< 10-3)", "Yes", "No", "Yes (< 0.01%)"],
    "Outcome measure": ["1-year OS, 3-year OS, OS for SCT", "3-year EFS, 3-year OS, 3-year CIR", "CR, RFS, OS",
                        "CR/CRi rate", "CR/CRi rate"],
    "Survival outcome": ["1-year OS: 89%; 3-year OS: 78%", "3-year EFS: 88.6%; 3-year OS: 93.4%; 3-year CIR: 5.3%",
                         "CR: 55%; 2-year RFS: 60.5%; 2-year OS: 37.6%", "CR/CRi rate: 100%",
                         "CR/CRi rate(after the first cycle): 85.7%; CR: 42.9%; CRi: 42.9%; PR: 14.3%; "
                         "CR/CRi rate(after the second cycle): 100%"],
    "Summary": ["Early T-ALL subgroup appeared poorer outcomes",
                "Risk stratification sys- tem in pediatric regi- men was also effective for AYA patients",
                "Nelarabine combina- tion regimen led to better outcomes than monotherapy",
                "V-HAG regimen in newly diagnosed and R/R ETP-ALL has led to favorable outcomes",
                "VGHA regimen provides a new choice in the treatment of R/R ETP- ALL patients"],
}  # fmt: skip
_TABLE_2 = {
    "Authors (references)": ["Zhang et al. [7]", "Zhang et al. [8]", "Tan et al. [9]", "Wong et al. [10]"],
    "Study agents": ["NS7CAR-T", "CD7 UCAR-T (RD13-01)", "CD7 CAR-T", "PCART7-CD3 PEBL"],
    "Analysis": ["I/II", "I", "II", "N/A"],
    "NCT No": ["NCT04572308, NCT04916860", "NCT04620655", "NCT04689659", "N/A"],
    "Study period": ["2020-2022", "2020-2022", "N/A", "N/A"],
    "Age range, years": ["2-47", "2-27", "2-43", "N/A"],
    "No. of patients": ["53 (34 T-ALL; 18 T/LBL)", "10 (7 T-ALL; 3 T/LBL)", "20", "N/A"],
    "MRD analysis used to assign risk/postremission therapy": ["Yes", "Yes", "No", "N/A"],
    "Outcome measure": ["OS, EFS", "CR", "ORR, 1-year PFS, 1-year OS", "N/A"],
    "Survival outcome": ["18-month OS: 75.0%; 18-month EFS: 53.1%", "CR: 80%",
                         "ORR: 90% at 3 months post- infusion; 1-year PFS: 62.3%; 1-year OS: 60.0%", "N/A"],
    "Summary": ["NS7CAR therapy is safe and effective in R/R T-ALL/ LBL patients with heavy pretreatment",
                "RD13-01 product was safe and dose-dependently effective",
                "Phase 2 trial of donor- derived CD7 CAR T cell therapy showed similar encouraging activity in "
                "treating R/R T-ALL with phase I trial",
                "PCART7-CD3 PEBL showed minimized fratricide and a reduced risk of GvHD in a xenograft model. "
                "Clinical trials are needed to verify the feasibility in humans"],
}  # fmt: skip


@pytest.mark.parametrize(
    ("number", "abstracts", "printed", "lines"),
    [
        (1, ["51", "54", "4053", "942", "1414"], _TABLE_1, (97, 186)),
        (2, ["980", "1995", "2011", "975"], _TABLE_2, (230, 293)),
    ],
)
def test_every_cell_of_the_reviews_tables(
    settings: Settings, number: int, abstracts: list[str], printed: dict[str, list[str]], lines: tuple[int, int]
) -> None:
    review = _real(settings, "002", "review")
    table = review.tables[number]
    columns = [f"Abstract {a}" for a in abstracts]
    assert (table.number, table.columns, table.rows) == (number, columns, list(printed))
    # From its 'Table N' label to the end of its last row (table 1 is printed inside a paragraph, which
    # goes on after it; table 2 ends at a page footer).
    assert table.place == Place(f"Table {number}", (_lines(review.text, *lines),))
    read = {}
    for (column, row), cell in table.cells.items():
        assert cell.label == f"Table {number}, column '{column}', row '{row}'" and len(cell.segments) == 1
        read[(column, row)] = fold(cell.text(review))
    assert read == {(column, row): values[k] for row, values in printed.items() for k, column in enumerate(columns)}


def _review_table(tmp_path: Path, table: str) -> Document:
    return _written(tmp_path, f"Opening words.\n{table}", "review")


def test_a_table_is_read_from_its_label_to_the_next_text_block(tmp_path: Path) -> None:
    table = (
        "Table 3 A small table\n\nAbstract #\n\n10 20\n\nAnalysis I II\n\n"
        "Age range,\nyears 18-60 20-30\n\nSummary Good \nresult\n\nBad result\n Body text after the table.\n"
    )
    review = _review_table(tmp_path, table)
    text = review.text
    [read] = review.tables.values()
    assert (read.number, read.columns, read.rows) == (
        3,
        ["Abstract 10", "Abstract 20"],
        ["Analysis", "Age range, years", "Summary"],
    )
    start = text.index("Table 3")
    assert read.place == Place("Table 3", ((start, text.index("Bad result") + len("Bad result")),))

    def at(printed: str) -> tuple[int, int]:
        begin = text.index(printed, start)
        return begin, begin + len(printed)

    assert {key: cell.segments for key, cell in read.cells.items()} == {
        ("Abstract 10", "Analysis"): (at("I"),),
        ("Abstract 20", "Analysis"): (at("II"),),
        ("Abstract 10", "Age range, years"): (at("18-60"),),
        ("Abstract 20", "Age range, years"): (at("20-30"),),
        ("Abstract 10", "Summary"): (at("Good \nresult"),),
        ("Abstract 20", "Summary"): (at("Bad result"),),
    }
    assert [text[p.start : p.end] for p in review.paragraphs] == ["Opening words.", "Body text after the table."]


def test_a_tables_header_row_may_follow_its_label_directly(tmp_path: Path) -> None:
    review = _review_table(tmp_path, "Table 4 Tight\nAbstract #\n7 8\nSummary Yes No\n")
    [read] = review.tables.values()
    assert (read.columns, read.rows) == (["Abstract 7", "Abstract 8"], ["Summary"])
    assert [fold(c.text(review)) for c in read.cells.values()] == ["Yes", "No"]


def test_a_table_without_rows_has_no_columns_and_one_with_a_cell_too_many_is_refused(tmp_path: Path) -> None:
    review = _review_table(tmp_path, "Table 5 Empty\n")
    assert (review.tables[5].columns, review.tables[5].rows, review.tables[5].cells) == ([], [], {})
    with pytest.raises(ValueError, match=r"^review: Table 6 row 'Analysis' has 3 cells for 2 columns$"):
        _review_table(tmp_path, "Table 6 Wrong\n\nAbstract #\n\n1 2\n\nAnalysis I II III\n")


def test_a_tables_cell_openings_apply_to_its_first_line_only(tmp_path: Path) -> None:
    """Table 2's 'Study agents' cells share a line told apart by their openings; a later chunk is split by
    value, and not inside parentheses."""
    table = "Table 2 Agents\n\nAbstract #\n\n1 2 3 4\n\nStudy agents NS7CAR CD7 UCAR CD7 CAR\n\n(with CD7 UCAR)\n"
    review = _review_table(tmp_path, table)
    cells = review.tables[2].cells
    assert [fold(cells[(f"Abstract {n}", "Study agents")].text(review)) for n in (1, 2, 3, 4)] == [
        "NS7CAR",
        "CD7 UCAR",
        "CD7 CAR",
        "(with CD7 UCAR)",
    ]


@pytest.mark.parametrize(
    ("after", "table_lines"),
    [
        (" Body text.\n", 1),  # a new text block right after the label
        ("\nAbstract #\n\n1\nPage 1 of 2 running header\nChoose BMC and benefit from\n", 5),  # a page footer
        ("\nAbstract #\n\n1\n\tThe title\n\tIntro\n", 5),  # the outline
    ],
)
def test_a_table_ends_at_a_text_block_a_page_footer_or_the_outline(
    tmp_path: Path, after: str, table_lines: int
) -> None:
    text = f" Opening words.\nTable 7 Label\n{after}"
    review = _written(tmp_path, text, "review")
    lines = text.split("\n")
    last = max(n for n in range(2, 2 + table_lines) if lines[n - 1].strip())
    assert review.tables[7].place == Place("Table 7", (_lines(text, 2, last),))


# --- places and sections ----------------------------------------------------------------------------------


def test_a_place_contains_a_span_inside_its_segments_even_across_a_gap_but_not_into_it() -> None:
    place = Place("p", ((10, 20), (30, 40)))
    inside = [(10, 15), (10, 20), (15, 20), (30, 40), (15, 35), (10, 40)]
    outside = [(9, 15), (35, 41), (20, 35), (15, 25), (25, 35), (15, 30)]
    assert [place.contains(*span) for span in inside] == [True] * len(inside)
    assert [place.contains(*span) for span in outside] == [False] * len(outside)
    assert Place("nothing", ()).contains(0, 0) is False


def _sectioned(*headings: str) -> Document:
    document = Document("d", "review", "", "")
    document.sections = [Section(h, Place(f"Section '{h}'", ((0, 0),)), None) for h in headings]
    document.sections[0].aliases = ("Letter",)
    return document


def test_a_section_is_named_by_its_heading_an_alias_or_its_unique_opening() -> None:
    document = _sectioned(
        "To the editor", "Nelarabine\u2011based treatment", "Venetoclax-based treatment", "Venetoclax dosing"
    )
    to_editor, nelarabine, venetoclax, _ = document.sections
    assert document.section("to the EDITOR:") is to_editor and document.section("letter") is to_editor
    assert document.section("Nelarabine-based treatment") is nelarabine
    # Shortened with '...' (before trailing spaces too), or its opening words of 12 characters or more.
    assert document.section("Nelarabine...") is nelarabine
    assert document.section("Nelarabine...  ") is nelarabine
    assert document.section("Venetoclax-b") is venetoclax  # 12 characters: 'venetoclax b'
    assert document.section("Venetoclax-b...") is venetoclax
    # Shorter than that, without '...', the opening names nothing; nor does one that several headings share.
    assert document.section("Nelarabine") is None
    assert document.section("Venetoclax...") is None
    assert document.section("Nelarabine based...treatment") is nelarabine
    assert document.section("Treatment...") is None


# --- the review's references --------------------------------------------------------------------------------


def test_a_reviews_references_are_only_its_numbered_entries_and_their_printed_lines(tmp_path: Path) -> None:
    text = "References\n1. First.\n   its second line\n\n2. Second.\n"
    review = _written(tmp_path, text, "review")
    assert review.references == {
        1: Place("Reference 1", (_line(text, 2), _line(text, 3))),  # the blank line between is no part of it
        2: Place("Reference 2", (_line(text, 5),)),
    }
    # Words under the heading before any numbered entry belong to no reference.
    review = _written(tmp_path, "References\nSee the journal's site.\n", "review")
    assert review.references == {}


def test_a_cell_on_a_shared_line_ends_where_a_value_ends_and_a_capital_or_digit_opens_the_next() -> None:
    from api.provenance.documents import _cell_boundary

    # Lower-case 'vs' and 'rate' go on with the cell ('monotherapy vs combination', 'CR/CRi rate'); an
    # upper-case word opens a value as any capital does.
    assert [_cell_boundary("12", word) for word in ("vs", "rate", "VS", "RATE", "(3", "[4]", "+5")] == [
        False,
        False,
        True,
        True,
        False,
        False,
        False,
    ]


# --- reading a file -----------------------------------------------------------------------------------------


def test_a_document_is_named_by_its_file_and_keeps_its_kind_and_checksum(tmp_path: Path) -> None:
    path = tmp_path / "009_letter.txt"
    raw = "Caf\u00e9 au lait.\n".encode()
    path.write_bytes(raw)
    document = read_document(path, "letter")
    assert (document.id, document.kind, document.text) == ("009_letter", "letter", "Caf\u00e9 au lait.\n")
    assert document.sha256 == hashlib.sha256(raw).hexdigest()


def test_a_document_of_a_kind_without_a_reader_of_its_own_is_read_as_a_letter(tmp_path: Path) -> None:
    path = tmp_path / "010_poster.txt"
    path.write_text("To the editor:\nOne paragraph.\n", encoding="utf-8")
    poster = read_document(path, "poster")
    assert poster.kind == "poster"
    assert [(s.heading, [p.label for p in s.paragraphs]) for s in poster.sections] == [
        ("To the editor", ["Section 'To the editor', paragraph 1"])
    ]


def test_a_document_that_is_not_a_regular_file_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "011_folder.txt"
    path.mkdir()
    with pytest.raises(FixtureError) as refused:
        read_document(path, "letter")
    assert [str(issue) for issue in refused.value.issues] == [f"{path}: (file): is not a regular file"]


# --- sections and paragraphs ----------------------------------------------------------------------------------


def test_a_letters_section_runs_from_its_salutation(tmp_path: Path) -> None:
    text = "The letterhead of the journal.\n\nTo the editor:\nThe first line of the letter.\n"
    [section] = _written(tmp_path, text, "letter").sections
    assert section.place == Place("Section 'To the editor'", ((text.index("To the editor:"), len(text)),))


def test_in_each_section_of_a_review_a_new_text_block_after_a_full_stop_starts_a_paragraph(tmp_path: Path) -> None:
    text = "Intro\nA sentence ends.\n A new block starts\nand runs on.\n\tThe title\n\tIntro\n"
    review = _written(tmp_path, text, "review")
    [intro] = review.sections
    assert [review.text[p.start : p.end] for p in intro.paragraphs] == [
        "A sentence ends.",
        "A new block starts\nand runs on.",
    ]


def test_the_reviews_nelarabine_section_has_three_paragraphs(settings: Settings) -> None:
    review = _real(settings, "002", "review")
    section = review.section("Nelarabine-based treatment")
    assert section is not None
    # The second opens a text block (a line starting with a space) right after a full stop; the third
    # follows a blank line.
    openings = ["The GMALL trial enrolled 281", "An intergroup phase II study", "A retrospective study was"]
    assert [fold(p.text(review))[: len(o)] for p, o in zip(section.paragraphs, openings, strict=True)] == openings
    second = section.paragraphs[1].start
    assert review.text[second - 6 : second] == "68%.\n "
