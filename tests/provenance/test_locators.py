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
