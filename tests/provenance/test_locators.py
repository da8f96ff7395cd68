"""Locators parsed into the places of the real documents; a wrong place or an unreadable locator is an error."""

import pytest

from api.provenance.documents import Document, fold
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
