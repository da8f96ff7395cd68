"""The printed words are looked up literally, in each of find_printed's three passes.

A record printing "47.53" must not be found in a text reading "47/53": read as a pattern, the
dot matches any character. Each pass (exact, white space, hyphen or dash) is reached by its
own case here, with a control that the same words printed correctly are found by that pass.
"""

import pytest

from api.provenance.check import find_printed
from api.provenance.documents import Document

TEXT = "Of the patients, 47/53 (88.7%) had\nmild CRS; at 12\u2010month follow-up, 40/53 were alive."


@pytest.fixture
def document() -> Document:
    return Document(id="doc", kind="review", text=TEXT, sha256="")


@pytest.mark.parametrize(
    ("printed", "variant"),
    [
        ("47/53 (88.7%)", ""),  # the exact pass
        ("(88.7%) had mild", "white space"),  # a line break where the record has a space
        ("12-month follow-up, 40/53", "hyphen or dash"),  # a dash other than the record's hyphen
    ],
)
def test_each_pass_finds_the_words_as_printed(document: Document, printed: str, variant: str) -> None:
    span = find_printed(document, printed, [])
    assert span is not None and span.variant == variant
    assert TEXT[span.start : span.end].replace("\n", " ").replace("\u2010", "-") == printed


@pytest.mark.parametrize(
    "printed",
    [
        "47.53",  # the exact pass
        "47.53 (88.7%) had mild",  # the white-space pass
        "12-month follow-up, 40.53",  # the hyphen-or-dash pass
        "47/53 .88.7%.",  # parentheses are characters, not a group
        "4+7/53",  # nor a repetition
    ],
)
def test_pattern_characters_in_the_printed_words_match_only_themselves(document: Document, printed: str) -> None:
    assert find_printed(document, printed, []) is None


def test_a_word_broken_at_a_line_end_is_found_but_a_number_is_never_split() -> None:
    document = Document(id="doc", kind="review", text="Of 4\u2010\n7/53 pa\u2010\ntients, 12\u2010month EFS", sha256="")
    # A letter may be followed by a hyphen and a line break (a word hyphenated at the line end)...
    span = find_printed(document, "tients, 12-month", [])
    assert span is not None and span.variant == "hyphen or dash"
    broken = find_printed(document, "7/53 patients, 12-month", [])
    assert broken is not None and "pa\u2010\ntients" in document.text[broken.start : broken.end]
    # ...but a digit is not: "4-7/53" printed across a line is not "47/53".
    assert find_printed(document, "47/53 patients", []) is None


def test_two_spaces_in_the_printed_words_match_any_white_space(document: Document) -> None:
    span = find_printed(document, "12-month  follow-up", [])
    assert span is not None and span.variant == "hyphen or dash"
