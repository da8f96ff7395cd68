"""Locators: parsed into the places of a document they name.

The grammar curators write ("; " joins several places):
    Section 'Heading'[, paragraph N | paragraphs N-M | item N]
    Table N[, column 'X'][, row 'Y']
    Figure N legend
    Slide N ['Title']
    Reference N [title]
    Paragraph N                       (body paragraphs counted over the whole document)
Older forms still in the fixtures are read where they name a place without guessing: answers to
numbered interview questions, "Introductory paragraph", "Whole letter", the letter's paragraphs by
role ("Opening paragraph", "Case paragraph 1", "Closing paragraph", ...), sentence selectors, and
slides named by a quoted title or citation. A part that fits none of these is reported unparseable.
"""

import re
from dataclasses import dataclass, field

from api.provenance.documents import (
    SENTENCE_END,
    Document,
    Place,
    Question,
    Section,
    Slide,
    fold,
    heading_key,
    sentence_places,
)


class LocatorError(ValueError):
    """A locator part that cannot be parsed, or names a place the document does not have."""


@dataclass
class Resolved:
    places: list[Place] = field(default_factory=list)
    # Parts read only to the slide or paragraph, not to the bullet or line they name.
    coarse: list[str] = field(default_factory=list)


_NOTE = r"(?P<note>\s*(?:\(.*\))?\s*(?::.*|\s+(?:prints|lists)\b.*)?)$"
_SENTENCE = (
    r"(?:,\s*(?P<sentence>(?:first|last)(?: two)? sentences?|sentences? \d+(?:\s*[-\u2013]\s*\d+)?"
    r"|sentence (?:beginning|on|with) .*))?"
)
_ORDINALS = {"first": 1, "second": 2, "third": 3}
_LETTER_ROLES = {
    "opening paragraph": 1,
    "case paragraph 1": 2,
    "paragraph on toxicity (after fig. 2 legend)": 3,
    "paragraph on response (before the discussion)": 4,
    "paragraph on response": 4,
    "closing paragraph": -1,
}


def split_parts(locator: str) -> list[str]:
    # "; " separates places, but not inside a quoted title or a parenthesis.
    parts, depth, quote, current = [], 0, False, ""
    for i, ch in enumerate(locator):
        if ch == "'" and (
            i == 0 or not locator[i - 1].isalnum() or not (i + 1 < len(locator) and locator[i + 1].isalnum())
        ):
            quote = not quote
        depth += ch == "("
        depth -= ch == ")"
        if ch == ";" and depth <= 0 and not quote:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    parts.append(current.strip())
    return [p for p in parts if p]


def resolve(document: Document, locator: str) -> Resolved:
    """Every place the locator names; raises LocatorError naming the first part that fails."""
    out = Resolved()
    for part in split_parts(locator):
        text = re.sub(r"^also\s+", "", part.strip(), flags=re.I)
        places = _resolve_part(document, text, out)
        if not places:
            raise LocatorError(f"{part!r} names no place in {document.id}")
        out.places.extend(places)
    return out


def _numbered(places: list[Place], first: int, last: int, *, what: str) -> list[Place]:
    """Places first..last, counted from 1 and inclusive; LocatorError naming `what` outside them."""
    if first < 1 or last > len(places) or first > last:
        raise LocatorError(f"{what} has {len(places)} paragraph(s)")
    return places[first - 1 : last]


def _paragraphs(section: Section, first: int, last: int, *, where: str) -> list[Place]:
    return _numbered(section.paragraphs, first, last, what=f"{where}: section '{section.heading[:60]}'")


def _section(document: Document, heading: str, where: str) -> Section:
    section = document.section(heading)
    if section is None:
        raise LocatorError(f"{where}: no section headed {heading!r}")
    return section


def _resolve_part(document: Document, part: str, out: Resolved) -> list[Place]:
    for pattern, handler in _HANDLERS:
        match = re.match(pattern, part, flags=re.I)
        if match:
            places = handler(document, match, part, out=out)
            sentence = match.groupdict().get("sentence")
            return _sentences(document, places, sentence, part=part) if sentence else places
    raise LocatorError(f"{part!r} is not a locator this resolver can read")


def _h_section(document: Document, m: re.Match[str], part: str, *, out: Resolved) -> list[Place]:
    section = _section(document, m["heading"], part)
    if m["item"]:
        n = int(m["item"])
        if not 1 <= n <= len(section.items):
            raise LocatorError(f"{part}: section has {len(section.items)} item(s)")
        return [section.items[n - 1]]
    if m["n"]:
        return _paragraphs(section, int(m["n"]), int(m["m"] or m["n"]), where=part)
    return [section.place]


def _h_table(document: Document, m: re.Match[str], part: str, *, out: Resolved) -> list[Place]:
    table = document.tables.get(int(m["t"]))
    if table is None:
        raise LocatorError(f"{part}: {document.id} has no Table {m['t']}")
    column, row = m["column"], m["row"]
    if column and fold(column) not in {fold(c) for c in table.columns}:
        raise LocatorError(
            f"{part}: Table {table.number} has no column {column!r} (columns: {', '.join(table.columns)})"
        )
    if row and heading_key(row) not in {heading_key(r) for r in table.rows}:
        raise LocatorError(f"{part}: Table {table.number} has no row {row!r}")
    if not column and not row:
        return [table.place]
    return [
        place
        for (c, r), place in table.cells.items()
        if (not column or fold(c) == fold(column)) and (not row or heading_key(r) == heading_key(row))
    ]


def _h_figure(document: Document, m: re.Match[str], part: str, *, out: Resolved) -> list[Place]:
    place = document.figures.get(int(m["f"]))
    if place is None:
        raise LocatorError(f"{part}: {document.id} has no Figure {m['f']} legend")
    return [place]


def _h_reference(document: Document, m: re.Match[str], part: str, *, out: Resolved) -> list[Place]:
    place = document.references.get(int(m["r"]))
    if place is None:
        raise LocatorError(f"{part}: {document.id} has no Reference {m['r']}")
    return [place]


def _h_slide_number(document: Document, m: re.Match[str], part: str, *, out: Resolved) -> list[Place]:
    n = int(m["n"])
    if not 1 <= n <= len(document.slides):
        raise LocatorError(f"{part}: {document.id} has {len(document.slides)} slides")
    slide = document.slides[n - 1]
    quoted = m["title"]
    if quoted and not _names_slide(document, slide, quoted):
        raise LocatorError(f"{part}: slide {n} is titled {slide.title!r}")
    return [slide.place]


def _names_slide(document: Document, slide: Slide, quoted: str) -> bool:
    """The quoted title is one of the slide's headings (or its opening, cut with '...').

    An untitled slide is named by its citation.
    """
    if slide.title is None:
        return heading_key(quoted) in heading_key(slide.place.text(document))
    if "..." in quoted:
        head = heading_key(quoted.split("...")[0])
        return any(heading_key(h).startswith(head) for h in slide.headings)
    return any(heading_key(quoted) == heading_key(h) for h in slide.headings)


def _h_paragraph(document: Document, m: re.Match[str], part: str, *, out: Resolved) -> list[Place]:
    paragraphs = document.paragraphs
    first, last = int(m["n"]), int(m["m"] or m["n"])
    if first < 1 or last > len(paragraphs):
        raise LocatorError(f"{part}: {document.id} has {len(paragraphs)} body paragraphs")
    return paragraphs[first - 1 : last]


def _questions(document: Document, numbers: str, part: str) -> list[Question]:
    found = []
    for a, b in re.findall(r"(\d+)(?:\s*[-\u2013]\s*(\d+))?", numbers):
        for n in range(int(a), int(b or a) + 1):
            if not 1 <= n <= len(document.questions):
                raise LocatorError(f"{part}: {document.id} has {len(document.questions)} questions")
            found.append(document.questions[n - 1])
    return found


def _answer_paragraphs(question: Question, first: int, last: int, *, where: str) -> list[Place]:
    return _numbered(question.answer, first, last, what=f"{where}: the answer to question {question.number}")


def _h_answer(document: Document, m: re.Match[str], part: str, *, out: Resolved) -> list[Place]:
    questions = _questions(document, m["numbers"], part)
    if len(questions) > 1 or not (m["n"] or m["last"] or m["item"]):
        return [p for q in questions for p in (*q.answer, *q.items)]
    question = questions[0]
    if m["item"]:
        n = int(m["item"])
        if not 1 <= n <= len(question.items):
            raise LocatorError(f"{part}: the answer has {len(question.items)} item(s)")
        return [question.items[n - 1]]
    if m["last"]:
        return question.answer[-1:]
    return _answer_paragraphs(question, int(m["n"]), int(m["m"] or m["n"]), where=part)


def _h_question(document: Document, m: re.Match[str], part: str, *, out: Resolved) -> list[Place]:
    [question] = _questions(document, m["q"], part)
    places = [question.place]
    if m["answer"]:
        n = int(m["n"]) if m["n"] else None
        places += _answer_paragraphs(question, n, n, where=part) if n else question.answer
    return places


def _h_intro(document: Document, m: re.Match[str], part: str, *, out: Resolved) -> list[Place]:
    """The paragraphs before the first question that read as prose (not a title or dateline)."""
    first_question = document.questions[0].place.start if document.questions else len(document.text)
    prose = [
        p
        for p in document.paragraphs
        if p.end <= first_question and len(p.text(document)) > 80 and SENTENCE_END.search(p.text(document))
    ]
    return prose[:1] if m[0].lower().startswith("introductory paragraph") else prose


def _h_whole(document: Document, m: re.Match[str], part: str, *, out: Resolved) -> list[Place]:
    return [document.whole]


def _h_abstract(document: Document, m: re.Match[str], part: str, *, out: Resolved) -> list[Place]:
    return _paragraphs(_section(document, "Abstract", part), int(m["n"]), int(m["n"]), where=part)


def _h_letter_role(document: Document, m: re.Match[str], part: str, *, out: Resolved) -> list[Place]:
    paragraphs = document.paragraphs
    n = _LETTER_ROLES[fold(m["role"]).lower()]
    if not paragraphs or n > len(paragraphs):
        raise LocatorError(f"{part}: {document.id} has {len(paragraphs)} body paragraphs")
    return [paragraphs[n - 1 if n > 0 else -1]]


def _h_slides_named(document: Document, m: re.Match[str], part: str, *, out: Resolved) -> list[Place]:
    """Slides named by quoted titles or citations, or by words before 'slide'; an ordinal picks one."""
    words = (m["words"] or "").strip()
    quoted_before = re.findall(r"'([^']+)'", words)
    if quoted_before:
        terms = quoted_before
    elif words:
        terms = [words]
    else:
        terms = re.findall(r"'([^']+(?:'s[^']*)?)'", part) or re.findall(r"\(([^)]+)\)", part)
    if not terms:
        raise LocatorError(f"{part!r} names no slide title or citation")
    matches = []
    for slide in document.slides:
        body = heading_key(slide.place.text(document))
        title = heading_key(slide.title or "")
        for term in terms:
            head = heading_key(term.split("...")[0])
            if (title and (title == heading_key(term) or ("..." in term and title.startswith(head)))) or head in body:
                matches.append(slide)
                break
    ordinal = m["ordinal"]
    if ordinal and ordinal.lower() in _ORDINALS:  # "Three slides ..." names them all
        n = _ORDINALS[ordinal.lower()]
        matches = matches[n - 1 : n]
    if m["detail"]:
        out.coarse.append(part)
    return [s.place for s in matches]


_ROLE_NAMES = "|".join(re.escape(k) for k in sorted(_LETTER_ROLES, key=len, reverse=True))
_HANDLERS = [
    (
        r"section '(?P<heading>.+?)'"
        r"(?:,\s*(?:paragraphs? (?P<n>\d+)(?:\s*[-\u2013]\s*(?P<m>\d+))?|item (?P<item>\d+)))?" + _SENTENCE + _NOTE,
        _h_section,
    ),
    (r"table (?P<t>\d+)(?:,\s*column '(?P<column>[^']+)')?(?:,\s*row '(?P<row>[^']+)')?" + _NOTE, _h_table),
    # "Fig. 2b, c, e" cites panels of a figure; its only text is the legend.
    (
        r"fig(?:ure|\.)\s*(?P<f>\d+)(?:[a-z](?:[-\u2013][a-z])?(?:, [a-z](?:[-\u2013][a-z])?)*)?"
        r"(?: legend)?(?: \([a-z, \u2013-]+\))?" + _NOTE,
        _h_figure,
    ),
    (r"reference (?P<r>\d+)(?: title)?" + _NOTE, _h_reference),
    (r"slide (?P<n>\d+)(?: '(?P<title>.+)')?" + _NOTE, _h_slide_number),
    (r"paragraphs? (?P<n>\d+)(?:\s*[-\u2013]\s*(?P<m>\d+))?" + _SENTENCE + _NOTE, _h_paragraph),
    (
        r"answers? to questions? (?P<numbers>\d+(?:(?:\s*[-\u2013]\s*|, | and )\d+)*)"
        r"(?:,\s*(?:paragraphs? (?P<n>\d+)(?:\s*[-\u2013]\s*(?P<m>\d+))?|(?P<last>last paragraph)|item (?P<item>\d+)))?"
        + _NOTE,
        _h_answer,
    ),
    (r"question (?P<q>\d+)(?P<answer> and its answer)?(?:,\s*paragraph (?P<n>\d+))?" + _NOTE, _h_question),
    (r"(?:introductory paragraph|interview introduction)" + _NOTE, _h_intro),
    (r"whole (?:letter|interview|document)" + _NOTE, _h_whole),
    (r"abstract, paragraph (?P<n>\d+)" + _NOTE, _h_abstract),
    (r"(?P<role>" + _ROLE_NAMES + r")" + _SENTENCE + _NOTE, _h_letter_role),
    (
        r"(?:(?P<ordinal>first|second|third|three) )?(?P<words>.*?)\s*\b"
        r"(?:slides?|slide title|slide citation|slides? citing)\b.*?"
        r"(?P<detail>,\s*(?:bullets?|lines?|under|message|title|body|chart|citation)\b.*)?$",
        _h_slides_named,
    ),
]


def _sentences(document: Document, places: list[Place], selector: str, *, part: str) -> list[Place]:
    out = []
    for place in places:
        sentences = sentence_places(document, place)
        sel = selector.lower()
        if sel.startswith("first"):
            chosen = sentences[:1]
        elif sel.startswith("last two"):
            chosen = sentences[-2:]
        elif sel.startswith("last"):
            chosen = sentences[-1:]
        elif re.match(r"sentences? \d", sel):
            numbers = [int(n) for n in re.findall(r"\d+", sel)]
            first, last = numbers[0], numbers[-1]
            if last > len(sentences):
                raise LocatorError(f"{part}: {place.label} has {len(sentences)} sentence(s)")
            chosen = sentences[first - 1 : last]
        else:
            chosen = [place]  # "sentence beginning '...'", "sentence on ...": the paragraph is checked
        if len(chosen) > 1:
            chosen = [Place(f"{place.label}, {selector}", tuple(seg for c in chosen for seg in c.segments))]
        out.extend(chosen)
    return out
