"""The structure of a source document's text: places with character ranges [start, end).

The texts are PDF or web extractions, so structure has to be read back from layout traces:
- a blank line (or, in the review, a line starting with a space: a new text block) ends a
  paragraph only when the text before it ends a sentence; otherwise it is a page or column
  break inside the paragraph, and a table or page footer printed in between is skipped;
- the review's tables are flattened row by row: a row starts with its label, cells follow in
  column order, a multi-line cell is its own blank-line separated chunk, and single-line cells
  share a line (see _split_row);
- in the slide deck, slides are separated by three blank lines, and a title may follow the
  bullets (see _slide_title).
"""

import hashlib
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from api.loading.fixture_files import regular_file_bytes

# The largest source text read (the largest of the five documents is about 15 KB): a FIFO, a directory
# or a 3 GiB file named like a document is refused naming it, never read whole or waited on.
DOCUMENT_TEXT_LIMIT = 64 * 1024 * 1024

Segment = tuple[int, int]

# Hyphens and spaces the PDF extraction uses instead of the ASCII ones.
_HYPHENS = "\u2010\u2011\u2012\u2013\u2014\u2212"
_SPACES = "\u00a0\u2009\u202f"
SENTENCE_END = re.compile(r"[.:?!][)\]\"'\u201d]?\s*$")
_BULLETS = ("\u2022", "\u00fc", "-")


def fold(text: str) -> str:
    """Text compared loosely: unusual hyphens and spaces made plain, white space runs made one space."""
    table = str.maketrans({**{h: "-" for h in _HYPHENS}, **{s: " " for s in _SPACES}})
    return re.sub(r"\s+", " ", text.translate(table)).strip()


def heading_key(text: str) -> str:
    """A heading or title compared case-, hyphen- and punctuation-insensitively."""
    return re.sub(r"[^a-z0-9]+", " ", fold(text).lower()).strip()


@dataclass(frozen=True)
class Place:
    """A named part of a document; segments skip what was printed inside it but is not part of it."""

    label: str
    segments: tuple[Segment, ...]

    @property
    def start(self) -> int:
        return self.segments[0][0]

    @property
    def end(self) -> int:
        return self.segments[-1][1]

    def contains(self, start: int, end: int) -> bool:
        """Whether [start, end) lies inside this place, allowing it to run across a skipped gap."""
        if not self.segments or start < self.start or end > self.end:
            return False
        # The span must not reach into a gap with non-place content (a table inside a paragraph).
        return any(s <= start < e for s, e in self.segments) and any(s < end <= e for s, e in self.segments)

    def text(self, document: "Document") -> str:
        return " ".join(document.text[s:e] for s, e in self.segments)


@dataclass
class Section:
    heading: str
    place: Place
    heading_place: Place | None
    paragraphs: list[Place] = field(default_factory=list)
    items: list[Place] = field(default_factory=list)
    aliases: tuple[str, ...] = ()


@dataclass
class Table:
    number: int
    place: Place
    columns: list[str]
    rows: list[str]
    cells: dict[tuple[str, str], Place] = field(default_factory=dict)


@dataclass
class Slide:
    number: int
    title: str | None
    place: Place
    title_place: Place | None
    # Every heading-like block: a running header and the slide's own title after its bullets can
    # both read as the title (slide 22 of deck 004), so a locator may quote either.
    headings: tuple[str, ...] = ()


@dataclass
class Question:
    """An interview question and the paragraphs of its answer (older locators count by these)."""

    number: int
    place: Place
    answer: list[Place]
    items: list[Place]


@dataclass
class Document:
    id: str
    kind: str
    text: str
    sha256: str
    sections: list[Section] = field(default_factory=list)
    tables: dict[int, Table] = field(default_factory=dict)
    figures: dict[int, Place] = field(default_factory=dict)
    references: dict[int, Place] = field(default_factory=dict)
    slides: list[Slide] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)

    @property
    def whole(self) -> Place:
        return Place("whole document", ((0, len(self.text)),))

    @property
    def paragraphs(self) -> list[Place]:
        """Body paragraphs of the whole document in reading order (for 'Paragraph N')."""
        return [p for s in self.sections for p in s.paragraphs]

    def section(self, heading: str) -> Section | None:
        key = heading_key(heading.replace("...", " "))
        for section in self.sections:
            names = (section.heading, *section.aliases)
            if any(heading_key(n) == key for n in names):
                return section
        # A quoted heading may be shortened with '...' or given as its opening words.
        if heading.rstrip().endswith("...") or len(key) >= 12:
            matches = [s for s in self.sections if heading_key(s.heading).startswith(key)]
            if len(matches) == 1:
                return matches[0]
        return None

    def places(self) -> Iterator[Place]:
        for section in self.sections:
            yield section.place
            if section.heading_place is not None:
                yield section.heading_place
            yield from section.paragraphs
            yield from section.items
        for table in self.tables.values():
            yield table.place
            yield from table.cells.values()
        yield from self.figures.values()
        yield from self.references.values()
        for slide in self.slides:
            yield slide.place
            if slide.title_place is not None:
                yield slide.title_place


_ABBREVIATION = re.compile(r"\b(?:Fig|Figs|al|vs|No|Dr|Prof|approx|e\.g|i\.e)\.$")


def sentence_places(document: Document, place: Place) -> list[Place]:
    """The sentences of a paragraph: '.', '?' or '!' then space and a capital, digit or '(' ends one.

    A sentence interrupted by a table or page footer (the paragraph's next segment) continues there.
    """
    pieces: list[list[tuple[int, int]]] = []
    open_sentence = False
    for seg_start, seg_end in place.segments:
        text = document.text[seg_start:seg_end]
        bounds, start = [], 0
        for m in re.finditer(r"(?<=[.!?])\s+(?=[A-Z(0-9])", text):
            if _ABBREVIATION.search(text, 0, m.start()):
                continue  # "Fig. 2a", "et al. [4]", "vs. 8%" do not end a sentence
            bounds.append((seg_start + start, seg_start + m.start()))
            start = m.end()
        bounds.append((seg_start + start, seg_end))
        for i, bound in enumerate(bounds):
            if i == 0 and open_sentence:
                pieces[-1].append(bound)
            else:
                pieces.append([bound])
        open_sentence = not re.search(r"[.!?][)\]\"'\u201d]?\s*$", text)
    return [Place(f"{place.label}, sentence {i}", tuple(p)) for i, p in enumerate(pieces, 1)]


@dataclass(frozen=True)
class _Line:
    start: int
    end: int  # end of the text, without the newline
    text: str

    @property
    def blank(self) -> bool:
        return not self.text.strip()

    @property
    def content(self) -> Segment:
        """The line's characters without its leading and trailing white space."""
        stripped = self.text.strip()
        lead = len(self.text) - len(self.text.lstrip())
        return (self.start + lead, self.start + lead + len(stripped))


def _lines(text: str) -> list[_Line]:
    out, pos = [], 0
    for raw in text.split("\n"):
        out.append(_Line(pos, pos + len(raw), raw))
        pos += len(raw) + 1
    return out


def read_document(path: Path, kind: str) -> Document:
    """The document in `path` (id = file name without '.txt') read as a `kind` document; FixtureError
    naming the file when it is not a regular file of at most DOCUMENT_TEXT_LIMIT bytes."""
    raw = regular_file_bytes(path, str(path), max_bytes=DOCUMENT_TEXT_LIMIT)
    document = Document(path.stem, kind, raw.decode("utf-8"), hashlib.sha256(raw).hexdigest())
    readers = {"slide_deck": _read_slides, "review": _read_review, "letter": _read_letter, "interview": _read_interview}
    readers.get(kind, _read_letter)(document)
    return document


class _ParagraphBuilder:
    """Collects content lines into paragraphs, joining across page breaks."""

    def __init__(self, section: Section, *, split_on_indent: bool) -> None:
        self.section = section
        self.split_on_indent = split_on_indent
        self.segments: list[Segment] = []
        self.gap = False  # a blank line, a skipped block or a new text block came since the last line

    def _closed_sentence(self, document: Document) -> bool:
        return bool(self.segments) and bool(
            SENTENCE_END.search(document.text[self.segments[-1][0] : self.segments[-1][1]])
        )

    def add(self, document: Document, line: _Line) -> None:
        new_block = self.gap or (self.split_on_indent and line.text.startswith(" "))
        if self.segments and new_block and self._closed_sentence(document):
            self.flush()
        start, end = line.content
        if self.segments and not self.gap:
            self.segments[-1] = (self.segments[-1][0], end)  # the next line of the same run
        else:
            self.segments.append((start, end))
        self.gap = False

    def skip(self) -> None:
        self.gap = True

    def take(self, document: Document, line: _Line) -> None:
        """A line of running text: a blank one only marks a gap."""
        if line.blank:
            self.skip()
        else:
            self.add(document, line)

    def flush(self) -> None:
        if self.segments:
            n = len(self.section.paragraphs) + 1
            label = f"Section '{self.section.heading}', paragraph {n}"
            self.section.paragraphs.append(Place(label, tuple(self.segments)))
        self.segments = []
        self.gap = False


def _close_section(section: Section, end: int) -> None:
    start = section.heading_place.start if section.heading_place else section.place.start
    section.place = Place(f"Section '{section.heading}'", ((start, max(start, end)),))


def _new_section(heading: str, line: _Line | None, start: int, *, aliases: tuple[str, ...] = ()) -> Section:
    heading_place = Place(f"Section '{heading}' heading", (line.content,)) if line is not None else None
    return Section(heading, Place(f"Section '{heading}'", ((start, start),)), heading_place, aliases=aliases)


# --- review (002): outline headings, tables, references, page furniture -----------------------------------

_TABLE_START = re.compile(r"^\s?Table (\d+) ")
_FOOTER_START = re.compile(r"^Page \d+ of \d+")
_FOOTER_END = "Choose BMC and benefit from"
_REFERENCE = re.compile(r"^\s?(\d+)\. \S")
_EXTRA_HEADINGS = ("Abbreviations", "Competing interests", "References", "Publisher\u2019s Note")
# Row labels of the review's tables, in order; a label may wrap over lines in the text.
_TABLE_ROWS = (
    "Abstract #",
    "Authors (references)",
    "Study agents",
    "Analysis",
    "NCT No",
    "Study period",
    "Age range, years",
    "No. of patients",
    "MRD analysis used to assign risk/postremission therapy",
    "Outcome measure",
    "Survival outcome",
    "Summary",
)


def _outline(lines: list[_Line]) -> list[str]:
    """The PDF outline printed at the end of the text as tab-indented lines."""
    return [fold(line.text) for line in lines if line.text.startswith("\t")]


def _read_review(document: Document) -> None:
    lines = _lines(document.text)
    outline = _outline(lines)
    headings = {heading_key(h) for h in outline[1:]} | {heading_key(h) for h in _EXTRA_HEADINGS}
    section = _new_section("(before the first heading)", None, 0)
    builder = _ParagraphBuilder(section, split_on_indent=True)
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.text.startswith("\t"):  # the outline itself
            break
        key = heading_key(line.text)
        if not line.blank and key in headings:
            builder.flush()
            _close_section(section, lines[i - 1].end if i else 0)
            if section.paragraphs or section.heading_place:
                document.sections.append(section)
            section = _new_section(fold(line.text).rstrip(","), line, line.content[0])
            builder = _ParagraphBuilder(section, split_on_indent=True)
            i += 1
            continue
        table = _TABLE_START.match(line.text)
        if table:
            end = _table_end(lines, i)
            document.tables[int(table.group(1))] = _read_table(document, int(table.group(1)), lines[i:end])
            builder.skip()
            i = end
            continue
        if _FOOTER_START.match(line.text.strip()):
            while i < len(lines) and _FOOTER_END not in lines[i].text:
                i += 1
            builder.skip()
            i = min(i + 1, len(lines))  # past the footer's last line; a footer the text ends in has none
            continue
        if section.heading == "References":
            i = _read_references(document, lines, i)
            continue
        builder.take(document, line)
        i += 1
    builder.flush()
    _close_section(section, lines[i - 1].end if i else 0)
    document.sections.append(section)


def _table_end(lines: list[_Line], start: int) -> int:
    """Index of the first line after the table: a new text block, a page footer or the outline."""
    for j in range(start + 1, len(lines)):
        text = lines[j].text
        if _FOOTER_START.match(text.strip()) or text.startswith("\t"):
            return j
        if text.startswith(" ") and text.strip() and not _TABLE_START.match(text):
            return j
    return len(lines)


def _read_references(document: Document, lines: list[_Line], i: int) -> int:
    """Numbered references until the next heading; returns the index after them."""
    number, segments = 0, list[Segment]()
    while i < len(lines):
        line = lines[i]
        stripped = line.text.strip()
        if line.text.startswith("\t") or heading_key(stripped) in {heading_key(h) for h in _EXTRA_HEADINGS}:
            break  # the next heading (e.g. "Publisher's Note") or the outline ends the list
        match = _REFERENCE.match(line.text)
        if match:
            if number:
                document.references[number] = Place(f"Reference {number}", tuple(segments))
            number, segments = int(match.group(1)), [line.content]
        elif stripped and number:
            segments.append(line.content)
        i += 1
    if number:
        document.references[number] = Place(f"Reference {number}", tuple(segments))
    return i


def _chunks(lines: list[_Line]) -> list[list[_Line]]:
    out: list[list[_Line]] = [[]]
    for line in lines:
        if line.blank:
            if out[-1]:
                out.append([])
        else:
            out[-1].append(line)
    return [c for c in out if c]


def _read_table(document: Document, number: int, lines: list[_Line]) -> Table:
    text = document.text
    place = Place(f"Table {number}", ((lines[0].content[0], max(line.content[1] for line in lines if not line.blank)),))
    # Find each row label's start by matching the folded label against the folded lines from there on.
    body = lines[1:]
    starts: list[tuple[str, int, int]] = []  # (label, line index, offset after the label)
    j = 0
    for label in _TABLE_ROWS:
        found = _find_label(text, body, j, label=label)
        if found is None:
            continue
        j, after = found
        starts.append((label, j, after))
    table = Table(number, place, [], [label for label, _, _ in starts if label != "Abstract #"])
    rows: dict[str, list[Segment]] = {}
    for k, (label, line_index, after) in enumerate(starts):
        end_index = starts[k + 1][1] if k + 1 < len(starts) else len(body)
        row_lines = body[line_index:end_index]
        rows[label] = _row_cells(
            text,
            row_lines,
            after,
            openings=_SHARED_LINE_CELLS.get((number, label)),
            columns=len(rows.get("Abstract #", [])) or None,
        )
    header = rows.pop("Abstract #", [])
    table.columns = [f"Abstract {text[s:e]}" for s, e in header]
    for label, cells in rows.items():
        if len(cells) != len(table.columns):
            raise ValueError(
                f"{document.id}: Table {number} row {label!r} has {len(cells)} cells for {len(table.columns)} columns"
            )
        for column, (s, e) in zip(table.columns, cells, strict=True):
            table.cells[(column, label)] = Place(f"Table {number}, column '{column}', row '{label}'", ((s, e),))
    return table


def _find_label(text: str, lines: list[_Line], from_index: int, *, label: str) -> tuple[int, int] | None:
    """(line index, offset just after the label) of the row label, which may wrap over lines."""
    words = label.split()
    for i in range(from_index, len(lines)):
        if lines[i].blank or lines[i].text.startswith(" "):
            continue
        pos = lines[i].start
        k = i
        ok = True
        for word in words:
            while k < len(lines) and pos >= lines[k].end:
                k += 1
                if k >= len(lines) or lines[k].blank:
                    ok = False
                    break
                pos = lines[k].start
            if not ok:
                break
            while not text[pos : lines[k].end].strip() and k + 1 < len(lines) and not lines[k + 1].blank:
                k += 1  # the label wraps onto the next line
                pos = lines[k].start
            segment = text[pos : lines[k].end]
            stripped = segment.lstrip()
            pos += len(segment) - len(stripped)
            # PDF hyphenation splits a word over two lines: "postremis-" + "sion".
            target = word
            if stripped.startswith(target):
                pos += len(target)
            elif fold(stripped).endswith("-") and target.startswith(fold(stripped)[:-1]) and k + 1 < len(lines):
                rest = target[len(fold(stripped)) - 1 :]
                k += 1
                if not lines[k].text.startswith(rest):
                    ok = False
                    break
                pos = lines[k].start + len(rest)
            else:
                ok = False
                break
        if ok:
            return i, pos
    return None


# Cell boundaries the flattened line does not show (several one-line cells share a line). Each
# entry names the opening words of every cell after the first on that line, left to right.
_SHARED_LINE_CELLS: dict[tuple[int, str], tuple[str, ...]] = {
    (1, "Authors (references)"): ("Hatta", "Shimony", "Suo", "Yu"),
    (2, "Authors (references)"): ("Zhang et al. [8]", "Tan", "Wong"),
    (2, "Study agents"): ("CD7 UCAR", "CD7 CAR", "PCART7"),
}


def _row_cells(
    text: str, lines: list[_Line], after_label: int, *, openings: tuple[str, ...] | None, columns: int | None
) -> list[Segment]:
    """The cells of one flattened row, left to right, as character ranges."""
    chunks: list[list[Segment]] = []
    for chunk_lines in _chunks(lines):
        segments: list[Segment] = []
        for line in chunk_lines:
            s, e = line.content
            if e <= after_label:
                continue  # a line of the wrapped row label
            s = max(s, after_label)
            while s < e and text[s].isspace():
                s += 1
            if s < e:
                segments.append((s, e))
        if segments:
            chunks.append(segments)
    if columns is not None and len(chunks) == columns:
        return [(chunk[0][0], chunk[-1][1]) for chunk in chunks]  # every cell has its own chunk
    cells: list[Segment] = []
    for chunk in chunks:
        first_s, first_e = chunk[0]
        words = _split_line(text, first_s, first_e, openings=openings if chunk is chunks[0] else None)
        cells.extend(words[:-1])
        last_s = words[-1][0]
        cells.append((last_s, chunk[-1][1]))
    return cells


def _split_line(text: str, start: int, end: int, *, openings: tuple[str, ...] | None) -> list[Segment]:
    """Cells printed on one line. Boundaries fall where a value ends and a new one begins, or at `openings`."""
    # Tokens separated by single spaces; a new cell starts after a token that ends a value.
    tokens = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    cells: list[list[Segment]] = [[tokens[0]]]
    depth = 0  # open parentheses in the current cell: "281 (208 T-ALL; ..." is one cell
    for prev, token in itertools.pairwise(tokens):
        before, word = text[prev[0] : prev[1]], text[token[0] : token[1]]
        depth += before.count("(") - before.count(")")
        if openings is not None:
            boundary = len(cells) <= len(openings) and text.startswith(openings[len(cells) - 1], token[0])
        else:
            boundary = depth <= 0 and _cell_boundary(before, word)
        if boundary:
            depth = 0
            cells.append([token])
        else:
            cells[-1].append(token)
    return [(c[0][0], c[-1][1]) for c in cells]


def _cell_boundary(before: str, word: str) -> bool:
    if before.endswith((",", ";", "+", ":", "(", "\u2011", "-")) or word.startswith(("(", "[", "+", "vs", "rate")):
        return False
    value_end = bool(
        re.search(r"(\d%?|N/A|\]|\)|[A-Z]{2,}|Retrospective|II|I|Yes|No|HAG|ASP|combination|rate)$", before)
    )
    value_start = bool(re.match(r"(\d|N/A|Yes|No\b|[A-Z]|CR|ORR)", word))
    return value_end and value_start


# --- prose without headings: letter (000), interviews (001, 003) ----------------------------------------------

_FIG_LABEL = re.compile(r"^Fig\. (\d+)$")


def _read_letter(document: Document) -> None:
    lines = _lines(document.text)
    section = _new_section("To the editor", None, 0, aliases=("Letter",))
    builder = _ParagraphBuilder(section, split_on_indent=False)
    i = 0
    while i < len(lines):
        line = lines[i]
        figure = _FIG_LABEL.match(line.text.strip())
        if figure:
            # "Fig. N" / "figure N" / blank / the legend paragraph.
            j = i + 1
            while j < len(lines) and (lines[j].blank or lines[j].text.strip().lower().startswith("figure ")):
                j += 1
            if j < len(lines):
                document.figures[int(figure.group(1))] = Place(f"Figure {figure.group(1)} legend", (lines[j].content,))
            builder.skip()
            i = j + 1
            continue
        if line.text.strip() == "To the editor:":  # the salutation heads the letter's one section
            section.heading_place = Place("Section 'To the editor' heading", (line.content,))
            i += 1
            continue
        builder.take(document, line)
        i += 1
    builder.flush()
    _close_section(section, len(document.text))
    document.sections.append(section)


_QUESTION_001 = re.compile(r"^(\d+)\. \S.*\?\s*$")
_ITEM = re.compile(r"^ {2}(\d+)\. ")
_INTERVIEWER = "Hematology Frontier:"
_CHROME = {"Back", "Find out more"}
_TAIL = {"Related Articles"}  # page chrome from here to the end
_INTERVIEW_HEADINGS = {"Expert Profile"}


def _read_interview(document: Document) -> None:
    """Headings and their paragraphs, plus the questions and answers older locators name.

    Headings: a first line that ends no sentence (the web page's title), numbered questions, and
    'Expert Profile'. A paragraph is a line, or a blank-line separated block of indented lines (a
    numbered list, whose entries are its items). An interviewer's question that is not numbered
    ('Hematology Frontier: ...') is a paragraph; its answer runs to the next question.
    """
    lines = _lines(document.text)
    section = _new_section("", None, 0)
    sections = [section]
    first_content = True
    previous_blank = True
    for line in lines:
        stripped = line.text.strip()
        if stripped in _TAIL:
            break
        if line.blank or stripped in _CHROME:
            previous_blank = True
            continue
        is_title = first_content and not SENTENCE_END.search(stripped)
        first_content = False
        if is_title or _QUESTION_001.match(stripped) or stripped in _INTERVIEW_HEADINGS:
            _close_section(section, line.start)
            section = _new_section(stripped, line, line.content[0])
            sections.append(section)
            previous_blank = True
            continue
        item = _ITEM.match(line.text)
        if line.text.startswith(" ") and section.paragraphs and not previous_blank:
            last = section.paragraphs[-1]  # the next line of an indented block
            section.paragraphs[-1] = Place(last.label, ((last.start, line.content[1]),))
        else:
            n = len(section.paragraphs) + 1
            # Before any heading the interview is addressed by 'Paragraph N'.
            label = f"Section '{section.heading}', paragraph {n}" if section.heading else f"Paragraph {n}"
            section.paragraphs.append(Place(label, (line.content,)))
        if item:
            section.items.append(Place(f"Section '{section.heading}', item {item.group(1)}", (line.content,)))
        elif line.text.startswith(" ") and section.items:
            last = section.items[-1]
            section.items[-1] = Place(last.label, ((last.start, line.content[1]),))
        previous_blank = False
    _close_section(section, len(document.text))
    document.sections.extend(s for s in sections if s.heading or s.paragraphs)
    document.questions = _questions(document)


def _questions(document: Document) -> list["Question"]:
    """Numbered questions (headings) or interviewer's lines, each with the answer after it."""
    out: list[Question] = []
    for section in document.sections:
        match = _QUESTION_001.match(section.heading)
        if match and section.heading_place is not None:
            out.append(Question(int(match.group(1)), section.heading_place, section.paragraphs, section.items))
            continue
        current: Question | None = None
        for paragraph in section.paragraphs:
            if document.text.startswith(_INTERVIEWER, paragraph.start):
                current = Question(len(out) + 1, paragraph, [], [])
                out.append(current)
            elif current is not None:
                current.answer.append(paragraph)
    return out


# --- slide deck (004) ------------------------------------------------------------------------------------------

_SLIDE_BREAK = re.compile(r"\n[ \t]*\n[ \t]*\n[ \t]*\n(?:[ \t]*\n)*")
_CITATION = re.compile(r"et al|^\S+ \. [A-Z]+\. \d{4}|^www\.")


def _read_slides(document: Document) -> None:
    text = document.text
    pos = 0
    bounds: list[Segment] = []
    for match in _SLIDE_BREAK.finditer(text):
        bounds.append((pos, match.start()))
        pos = match.end()
    bounds.append((pos, len(text)))
    number = 0
    for start, end in bounds:
        body = text[start:end]
        if not body.strip():
            continue
        number += 1
        lead = len(body) - len(body.lstrip())
        seg = (start + lead, start + len(body.rstrip()))
        title, title_seg, headings = _slide_title(text, seg)
        label = f"Slide {number}" + (f" '{title}'" if title else "")
        title_place = Place(f"{label} title", (title_seg,)) if title_seg else None
        document.slides.append(Slide(number, title, Place(label, (seg,)), title_place, headings))


def _slide_title(text: str, seg: Segment) -> tuple[str | None, Segment | None, tuple[str, ...]]:
    """The first block that is neither a citation, a bullet nor a figure; the last such block when the
    slide opens with bullets or closes with it after them (a title printed below its bullets).

    A title may wrap: a long line (40 characters or more) continues on the next unless that is a bullet.
    """
    lines = _lines(text[seg[0] : seg[1]])
    blocks = _chunks(lines)
    candidates = []
    bullets_seen = False
    title_last = False
    for index, block in enumerate(blocks):
        first = block[0].text.strip()
        after_bullets = bullets_seen
        bullets_seen = bullets_seen or any(line.text.strip().startswith(_BULLETS) for line in block)
        if _CITATION.search(first) or first.startswith(_BULLETS) or re.search(r"[=%]|^\d|^\(", first):
            continue
        # A heading that closes a slide after its bullets is the slide's own title; one before the
        # bullets can be a running header shared by several slides (slide 22 of deck 004).
        title_last = after_bullets and index == len(blocks) - 1
        title_lines = [block[0]]
        for line in block[1:]:
            if len(title_lines[-1].text.strip()) < 40 or line.text.strip().startswith(_BULLETS):
                break
            title_lines.append(line)
        candidates.append(title_lines)
    if not candidates:
        return None, None, ()
    headings = tuple(fold(" ".join(line.text for line in c)) for c in candidates)
    has_bullets_first = bool(blocks) and blocks[0][0].text.strip().startswith(_BULLETS)
    chosen = candidates[-1] if has_bullets_first or title_last else candidates[0]
    s = seg[0] + chosen[0].content[0]
    e = seg[0] + chosen[-1].content[1]
    return fold(" ".join(line.text for line in chosen)), (s, e), headings
