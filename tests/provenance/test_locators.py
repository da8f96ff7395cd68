"""Locators parsed into the places of the real documents; a wrong place or an unreadable locator is an error."""

import pytest

from api.provenance.documents import Document, Place, Question, Section, Slide, fold
from api.provenance.locators import LocatorError, resolve, split_parts
from tests.provenance.conftest import by_prefix


def test_parts_split_on_semicolons_outside_quotes_and_parentheses() -> None:
    assert split_parts("Section 'A; B', paragraph 1; Table 1 (x; y); Reference 4") == [
        "Section 'A; B', paragraph 1",
        "Table 1 (x; y)",
        "Reference 4",
    ]


def test_new_grammar_names_one_place_each(documents: dict[str, Document]) -> None:
    review = by_prefix(documents, "002")
    [cell] = resolve(review, "Table 1, column 'Abstract 54', row 'Survival outcome'").places
    assert fold(cell.text(review)).startswith("3-year EFS: 88.6%")
    places = resolve(review, "Section 'CAR-T-based treatment', paragraph 2; Reference 8").places
    assert [p.label for p in places] == ["Section 'CAR-T-based treatment', paragraph 2", "Reference 8"]
    deck = by_prefix(documents, "004")
    [slide] = resolve(deck, "Slide 38 'Take home messages'").places
    assert slide == deck.slides[37].place
    untitled = next(s for s in deck.slides if s.title is None and "Nat Med 2024" in s.place.text(deck))
    assert resolve(deck, f"Slide {untitled.number} 'Pan J et al, Nat Med 2024'").places == [untitled.place]
    letter = by_prefix(documents, "000")
    assert resolve(letter, "Figure 1 legend").places == [letter.figures[1]]


@pytest.mark.parametrize(
    ("prefix", "locator", "why"),
    [
        ("002", "Section 'CAR-T-based treatment', paragraph 5", "has 4 paragraph(s)"),
        ("002", "Table 1, column 'Abstract 980'", "no column"),
        ("002", "Section 'Imaginary', paragraph 1", "no section"),
        ("004", "Slide 38 'CAR-T in T-ALL'", "is titled 'Take home messages'"),
        ("000", "Figure 3 legend", "no Figure 3"),
        ("002", "somewhere near the top", "not a locator"),
    ],
)
def test_wrong_or_unreadable_locators_are_errors(
    documents: dict[str, Document], prefix: str, locator: str, why: str
) -> None:
    with pytest.raises(LocatorError) as raised:
        resolve(by_prefix(documents, prefix), locator)
    assert why in str(raised.value)


def test_older_interview_and_letter_forms(documents: dict[str, Document]) -> None:
    pan = by_prefix(documents, "001")
    [paragraph] = resolve(pan, "Answer to question 1, paragraph 5").places
    assert fold(paragraph.text(pan)).startswith("However, we found that T cells with pre-selection")
    letter = by_prefix(documents, "000")
    [sentence] = resolve(letter, "Case paragraph 1, sentence 9 (Fig. 2d)").places
    assert fold(sentence.text(letter)).startswith("92.6% of blasts were positive for CD7")


def test_interview_questions_with_and_without_their_answers(documents: dict[str, Document]) -> None:
    pan = by_prefix(documents, "001")
    first, fourth = pan.questions[0], pan.questions[3]
    assert resolve(pan, "Question 4").places == [fourth.place]
    assert fold(fourth.place.text(pan)).startswith("4. Based on current findings")
    assert resolve(pan, "Question 4 and its answer").places == [fourth.place, *fourth.answer]
    assert len(fourth.answer) == 2
    assert resolve(pan, "Question 1 and its answer, paragraph 3").places == [first.place, first.answer[2]]
    with pytest.raises(LocatorError, match="has 5 questions"):
        resolve(pan, "Question 6")
    with pytest.raises(LocatorError, match="the answer to question 4 has 2 paragraph"):
        resolve(pan, "Question 4 and its answer, paragraph 3")


def test_an_interviews_introduction_is_its_prose_before_the_first_question(documents: dict[str, Document]) -> None:
    pan = by_prefix(documents, "001")
    # The dateline (2025-4-15) and the title before the first question are not prose.
    introduction = [fold(p.text(pan)) for p in resolve(pan, "Interview introduction").places]
    assert [text[:40] for text in introduction] == [
        "T-cell acute lymphoblastic leukemia (T-A",
        "Autologous CD7 CAR-T therapy holds promi",
    ]
    assert resolve(pan, "Introductory paragraph").places == resolve(pan, "Interview introduction").places[:1]
    # A document without questions: its prose paragraphs, the first of them for the introductory one.
    letter = by_prefix(documents, "000")
    [opening] = resolve(letter, "Introductory paragraph").places
    assert fold(opening.text(letter)).startswith("Early T cell precursor lymphoblastic leukemia/lymphoma (ETP-")


def test_a_paragraph_of_the_abstract(documents: dict[str, Document]) -> None:
    review = by_prefix(documents, "002")
    [paragraph] = resolve(review, "Abstract, paragraph 1").places
    assert fold(paragraph.text(review)).startswith("T-cell acute lymphoblastic leukemia (T-ALL) occurs in approx")
    with pytest.raises(LocatorError, match="has 1 paragraph"):
        resolve(review, "Abstract, paragraph 2")


@pytest.mark.parametrize(
    ("locator", "numbers", "coarse"),
    [
        ("'Italian Campus ALL experience' slides", [8, 9, 10], False),
        ("Three 'Italian Campus ALL experience' slides", [8, 9, 10], False),  # "three" picks no one
        ("Second 'Italian Campus ALL experience' slide", [9], False),
        ("first 'GIMEMA 1913 trial' slide", [4], False),
        ("Third 'GIMEMA 1913 trial' slide", [6], False),
        ("'GIMEMA 1913 trial' slides, bullet 2", [4, 5, 6], True),  # read to the slides only
        ("'Frontline Consolidation with Nelarabine...' slides", [11, 12], False),  # a title's opening
        ("Take home messages slide", [38], False),  # unquoted words before "slide"
        ("Slide titled 'Take home messages'", [38], False),  # quoted after it
        ("Slide citing (Take home messages)", [38], False),  # or in parentheses
        # Two titles: each slide once, in the deck's order, though slide 36 is named first.
        ("'ASH 2025' and 'Take home messages' slides", [36, 38], False),
    ],
)
def test_slides_named_by_title_or_citation(
    documents: dict[str, Document], locator: str, numbers: list[int], coarse: bool
) -> None:
    deck = by_prefix(documents, "004")
    resolved = resolve(deck, locator)
    assert resolved.places == [deck.slides[n - 1].place for n in numbers]
    assert resolved.coarse == ([locator] if coarse else [])


def test_a_slide_named_by_the_citation_it_prints_when_it_has_no_title(documents: dict[str, Document]) -> None:
    deck = by_prefix(documents, "004")
    untitled = next(s for s in deck.slides if s.title is None and "Nat Med 2024" in s.place.text(deck))
    assert untitled.place in resolve(deck, "Slide citing 'Pan J et al, Nat Med 2024'").places
    with pytest.raises(LocatorError, match="names no slide title or citation"):
        resolve(deck, "Slides")


def test_a_slide_named_by_two_terms_is_listed_once(documents: dict[str, Document]) -> None:
    deck = by_prefix(documents, "004")
    # Slide 9 is headed 'Italian Campus ALL experience' and prints SCT too.
    printing_sct = [s.number for s in deck.slides if "SCT" in s.place.text(deck)]
    assert 9 in printing_sct
    expected = sorted({8, 9, 10, *printing_sct})
    places = resolve(deck, "'Italian Campus ALL experience' and 'SCT' slides").places
    assert places == [deck.slides[n - 1].place for n in expected]


_LETTER, _INTERVIEW, _REVIEW, _DECK = (
    "000_ce0d31675345fdf7",
    "001_2475ac8e1eadeadb",
    "002_34437a4f0dbbef9f",
    "004_76887cb5a060c388",
)
_RESEARCH = "Section '5. What are your next research priorities?'"  # the interview's one section with items


@pytest.mark.parametrize(
    ("source", "locator", "message"),
    [
        (_REVIEW, "Table 9", f"Table 9: {_REVIEW} has no Table 9"),
        (_REVIEW, "Table 1, column 'Nope'", "Table 1, column 'Nope': Table 1 has no column 'Nope' (columns: "
         "Abstract 51, Abstract 54, Abstract 4053, Abstract 942, Abstract 1414)"),
        (_REVIEW, "Table 1, row 'Nope'", "Table 1, row 'Nope': Table 1 has no row 'Nope'"),
        (_REVIEW, "Reference 13", f"Reference 13: {_REVIEW} has no Reference 13"),
        (_REVIEW, "Figure 9 legend", f"Figure 9 legend: {_REVIEW} has no Figure 9 legend"),
        (_DECK, "Slide 39", f"Slide 39: {_DECK} has 38 slides"),
        (_LETTER, "Paragraph 6", f"Paragraph 6: {_LETTER} has 5 body paragraphs"),
        (_LETTER, "Paragraph 0", f"Paragraph 0: {_LETTER} has 5 body paragraphs"),
        (_REVIEW, "Section 'CAR-T-based treatment', paragraph 5",
         "Section 'CAR-T-based treatment', paragraph 5: section 'CAR-T-based treatment' has 4 paragraph(s)"),
        (_INTERVIEW, f"{_RESEARCH}, item 4", f"{_RESEARCH}, item 4: section has 3 item(s)"),
        (_INTERVIEW, f"{_RESEARCH}, item 0", f"{_RESEARCH}, item 0: section has 3 item(s)"),
        (_INTERVIEW, "Answer to question 1, item 1", "Answer to question 1, item 1: the answer has 0 item(s)"),
        (_INTERVIEW, "Answer to question 5, item 4", "Answer to question 5, item 4: the answer has 3 item(s)"),
        (_INTERVIEW, "Answer to question 5, item 0", "Answer to question 5, item 0: the answer has 3 item(s)"),
        (_INTERVIEW, "Answer to question 6", f"Answer to question 6: {_INTERVIEW} has 5 questions"),
        (_INTERVIEW, "Answers to questions 4-6", f"Answers to questions 4-6: {_INTERVIEW} has 5 questions"),
        (_INTERVIEW, "Answer to question 1, paragraphs 7-8",
         "Answer to question 1, paragraphs 7-8: the answer to question 1 has 7 paragraph(s)"),
        (_INTERVIEW, "Question 4 and its answer, paragraph 3",
         "Question 4 and its answer, paragraph 3: the answer to question 4 has 2 paragraph(s)"),
        (_DECK, "Closing paragraph", f"Closing paragraph: {_DECK} has 0 body paragraphs"),
        (_REVIEW, "Abstract, paragraph 2", "Abstract, paragraph 2: section 'Abstract' has 1 paragraph(s)"),
        (_LETTER, "Case paragraph 1, sentence 13",
         "Case paragraph 1, sentence 13: Section 'To the editor', paragraph 2 has 12 sentence(s)"),
        (_LETTER, "Abstract, paragraph 1", "Abstract, paragraph 1: no section headed 'Abstract'"),
        (_REVIEW, "Section 'Imaginary', item 1", "Section 'Imaginary', item 1: no section headed 'Imaginary'"),
        (_INTERVIEW, "Question 6", f"Question 6: {_INTERVIEW} has 5 questions"),
        # A long heading is named by its first 60 characters.
        (_INTERVIEW, "Section '1. Your team has conducted several', paragraph 9",
         "Section '1. Your team has conducted several', paragraph 9: section '1. Your team has conducted several "
         "studies on donor-derived ' has 7 paragraph(s)"),
        (_DECK, "Slide 11 'Frontline Nope...'", "Slide 11 'Frontline Nope...': slide 11 is titled 'Frontline "
         "Consolidation with Nelarabine for Adults with High-Risk T-Cell Acute Lymphoblastic Leukemia. Results of "
         "the Graall-2014/T Atriall Phase 2 Study'"),
        (_DECK, "Slide 1; 'No such title' slides", f"\"'No such title' slides\" names no place in {_DECK}"),
    ],
)  # fmt: skip
def test_each_wrong_place_is_named_in_full(
    documents: dict[str, Document], source: str, locator: str, message: str
) -> None:
    if source not in documents:
        pytest.skip(f"{source} not among the texts")
    with pytest.raises(LocatorError) as raised:
        resolve(documents[source], locator)
    assert str(raised.value) == message


def test_items_last_paragraphs_and_several_answers(documents: dict[str, Document]) -> None:
    pan = by_prefix(documents, "001")
    research = pan.section("5. What are your next research priorities?")
    assert research is not None and len(research.items) == 3
    assert resolve(pan, f"{_RESEARCH}, item 1").places == [research.items[0]]
    assert resolve(pan, f"{_RESEARCH}, item 3").places == [research.items[2]]
    first, fourth, fifth = pan.questions[0], pan.questions[3], pan.questions[4]
    assert resolve(pan, "Answer to question 5, item 1").places == [fifth.items[0]]
    assert resolve(pan, "Answer to question 5, item 3").places == [fifth.items[2]]
    assert resolve(pan, "Answer to question 4, last paragraph").places == [fourth.answer[1]]
    assert resolve(pan, "Answer to question 1, last paragraph").places == [first.answer[6]]
    # Several questions: their whole answers, whatever paragraph is named after them.
    assert resolve(pan, "Answers to questions 4 and 5, paragraph 1").places == [
        *fourth.answer,
        *fifth.answer,
        *fifth.items,
    ]
    assert resolve(pan, "Answer to question 1, paragraphs 2-3").places == first.answer[1:3]
    assert resolve(pan, "Answers to questions 4 and 5").places == [*fourth.answer, *fifth.answer, *fifth.items]
    assert resolve(pan, "Answer to question 5").places == [*fifth.answer, *fifth.items]


def test_the_letters_paragraphs_by_role(documents: dict[str, Document]) -> None:
    letter = by_prefix(documents, "000")
    paragraphs = letter.paragraphs
    assert len(paragraphs) == 5
    assert resolve(letter, "Opening paragraph").places == [paragraphs[0]]
    assert resolve(letter, "Case paragraph 1").places == [paragraphs[1]]
    assert resolve(letter, "Paragraph on response").places == [paragraphs[3]]
    assert resolve(letter, "Closing paragraph").places == [paragraphs[4]]
    # "Also" before a part is read past, in any case.
    assert resolve(letter, "Also Opening paragraph; ALSO closing paragraph").places == [paragraphs[0], paragraphs[4]]


def test_sentences_of_a_paragraph(documents: dict[str, Document]) -> None:
    from api.provenance.documents import sentence_places

    letter = by_prefix(documents, "000")
    case = letter.paragraphs[1]
    sentences = sentence_places(letter, case)
    assert len(sentences) == 12

    def text(locator: str) -> list[str]:
        return [fold(p.text(letter)) for p in resolve(letter, locator).places]

    assert resolve(letter, "Case paragraph 1, first sentence").places == sentences[:1]
    assert resolve(letter, "Case paragraph 1, last sentence").places == sentences[-1:]
    assert resolve(letter, "Case paragraph 1, sentence 12").places == sentences[-1:]
    [last_two] = resolve(letter, "Case paragraph 1, last two sentences").places
    assert last_two.label == "Section 'To the editor', paragraph 2, last two sentences"
    assert last_two.segments == (*sentences[10].segments, *sentences[11].segments)
    [middle] = resolve(letter, "Case paragraph 1, sentences 2-4").places
    assert middle.label == "Section 'To the editor', paragraph 2, sentences 2-4"
    assert middle.segments == tuple(seg for s in sentences[1:4] for seg in s.segments)
    assert text("Case paragraph 1, sentence beginning 'An 11-year-old'") == [fold(case.text(letter))]
    assert text("Case paragraph 1, sentence 1") == [fold(sentences[0].text(letter))]


@pytest.mark.parametrize(
    ("locator", "parts"),
    [
        ("'A; B' slides; Table 1", ["'A; B' slides", "Table 1"]),  # a quote opening the locator
        ("Table 1; 'C; D'", ["Table 1", "'C; D'"]),  # and one closing it
        ("x 'it's; one' y; z", ["x 'it's; one' y", "z"]),  # an apostrophe inside a word
    ],
)
def test_parts_split_where_quotes_open_and_close(locator: str, parts: list[str]) -> None:
    assert split_parts(locator) == parts


def test_a_numbered_slide_named_by_the_opening_of_its_title(documents: dict[str, Document]) -> None:
    deck = by_prefix(documents, "004")
    assert resolve(deck, "Slide 11 'Frontline Consolidation with Nelarabine...'").places == [deck.slides[10].place]
    with pytest.raises(LocatorError, match="slide 11 is titled 'Frontline Consolidation"):
        resolve(deck, "Slide 11 'Consolidation with Nelarabine...'")


def test_a_table_whole_by_column_or_by_row(documents: dict[str, Document]) -> None:
    review = by_prefix(documents, "002")
    table = review.tables[1]
    assert resolve(review, "Table 1").places == [table.place]
    column = [place for (c, _), place in table.cells.items() if c == "Abstract 54"]
    row = [place for (_, r), place in table.cells.items() if r == "Survival outcome"]
    assert len(column) > 1 and len(row) == len(table.columns) == 5
    assert resolve(review, "Table 1, column 'Abstract 54'").places == column
    assert resolve(review, "Table 1, row 'Survival outcome'").places == row


def test_a_title_opening_and_closing_around_an_ellipsis(documents: dict[str, Document]) -> None:
    deck = by_prefix(documents, "004")
    frontline = [deck.slides[10].place, deck.slides[11].place]
    assert resolve(deck, "Slide 11 'Frontline Consolidation...Phase 2 Study'").places == frontline[:1]
    assert resolve(deck, "'Frontline Consolidation with Nelarabine...Phase 2 Study' slides").places == frontline


def test_the_last_body_paragraph_by_number(documents: dict[str, Document]) -> None:
    letter = by_prefix(documents, "000")
    assert len(letter.paragraphs) == 5
    assert resolve(letter, "Paragraph 5").places == [letter.paragraphs[4]]
    assert resolve(letter, "Paragraphs 4-5").places == letter.paragraphs[3:5]


# --- the boundaries the real documents do not reach, on documents written for the test -----------------------------


def _document(kind: str, blocks: list[str]) -> tuple[Document, list[Place]]:
    """A document of the blocks, separated by blank lines, and the place of each block."""
    text = "\n\n".join(blocks)
    places, at = [], 0
    for number, block in enumerate(blocks, start=1):
        places.append(Place(f"block {number}", ((at, at + len(block)),)))
        at += len(block) + 2
    return Document("synthetic", kind, text, "0" * 64), places


def _prose(length: int) -> str:
    """Words ending a sentence, exactly `length` characters long."""
    return ("prose " * 20)[: length - 1] + "."


def test_an_interview_introduction_is_prose_longer_than_eighty_characters_up_to_the_first_question() -> None:
    eighty, eighty_one, last = _prose(80), _prose(81), _prose(90)
    assert (len(eighty), len(eighty_one), len(last)) == (80, 81, 90)
    question = "1. What did the trial find?"
    document, places = _document("interview", [eighty, eighty_one, last])
    document.text += question  # the question starts exactly where the last paragraph ends
    asked_at = places[2].end
    document.sections = [Section("Interview", document.whole, None, paragraphs=places)]
    document.questions = [Question(1, Place("Question 1", ((asked_at, asked_at + len(question)),)), [], [])]
    # 80 characters read as a title or a dateline, 81 as prose; a paragraph ending where the question
    # starts is before it.
    assert resolve(document, "Interview introduction").places == [places[1], places[2]]
    assert resolve(document, "Introductory paragraph").places == [places[1]]


def test_a_letters_paragraph_by_role_may_be_its_last() -> None:
    blocks = [f"Paragraph {n} of the letter, long enough to read as one." for n in range(1, 5)]
    document, places = _document("letter", blocks)
    document.sections = [Section("Letter", document.whole, None, paragraphs=places)]
    # The roles count the letter's paragraphs from the first: the fourth is there in a letter of four.
    assert resolve(document, "Paragraph on response (before the discussion)").places == [places[3]]
    document.sections[0].paragraphs = places[:3]
    with pytest.raises(LocatorError, match="synthetic has 3 body paragraphs"):
        resolve(document, "Paragraph on response (before the discussion)")


def _deck(slides: list[tuple[str | None, str]]) -> Document:
    document, places = _document("slide_deck", [body for _, body in slides])
    document.slides = [
        Slide(number, title, place, None)
        for number, ((title, _), place) in enumerate(zip(slides, places, strict=True), start=1)
    ]
    return document


def test_a_quoted_slide_title_keeps_a_possessive_s() -> None:
    deck = _deck([("Children's outcomes", "Children's outcomes\nEFS 80% at 2 years"), (None, "Adults and children")])
    # The whole title, apostrophe and all, names the first slide; 'Children' alone would name both.
    assert resolve(deck, "Slide titled 'Children's outcomes'").places == [deck.slides[0].place]


def test_a_shortened_title_names_no_untitled_slide() -> None:
    deck = _deck([("Xenograft models", "Xenograft models\nMice given blasts"), (None, "Data on 12 patients")])
    # An untitled slide has no title to open with 'X': only its text could name it, and that has no 'x'.
    assert resolve(deck, "Slide 'X...'").places == [deck.slides[0].place]
