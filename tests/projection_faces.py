"""What the cross-face conformance tests share: synthetic figures with every combination of flags,
the projection read straight from the database, and how each face is read back into facts.

A face is read back by the names it gives facts: JSON and CSV by field and column name, text
faces (HTML, SVG, the web components) by the data-fact="<name>" marks around the words that show
a fact, FHIR by the extractors below. models.projection.FACE_EXCEPTIONS says, for each face, what
it leaves out or names otherwise; everything else must be there and agree with the projection.
"""

import csv
import io
import itertools
import json
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Container, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from api.queries.projection import project
from api.render.formats import csv_text
from api.render.labels import grade_label, label, time_point_label
from api.settings import PROJECT_ROOT, Settings
from models import AdverseEvent, Outcome
from models.identifiers import fhir_id
from models.projection import FACE_EXCEPTIONS, PROJECTIONS, Face, NotShown, ShownAs, fact_names
from tests.fixture_data import dump_yaml, read_yaml

SYNTHETIC_STUDY = "jplsg-t11"
SYNTHETIC_CONFLICT = "synthetic-flags-conflict"
FLAGS = ("inferred", "derived", "unlabeled", "conflict", "caveat")
FLAG_WORDS = {"inferred": "inferred", "derived": "derived", "unlabeled": "unlabeled", "caveat": "caveat"}


# --- synthetic figures ----------------------------------------------------------------------


def _flagged(base: dict[str, Any], combination: tuple[bool, ...], index: int) -> dict[str, Any]:
    inferred, derived, unlabeled, conflict, caveat = combination
    figure = dict(base)
    if inferred:
        figure["inferred"] = [
            {"field": "denominator", "reason": f"Synthetic {index}: the denominator is read from the enrolment."},
            {"field": "denominator_basis", "reason": f"Synthetic {index}: the basis is read, not printed."},
        ]
    if derived:
        figure["derived"] = True
        figure["derivation"] = f"Synthetic {index}: the count is computed from the printed percentage."
    if unlabeled or caveat:
        figure["unlabeled"] = unlabeled
        figure["caveat"] = f"Synthetic {index}: read with care."
    if conflict:
        figure["conflict_ids"] = [SYNTHETIC_CONFLICT]
    if index % 2:
        figure["subgroup"] = "t_all"
    return figure


def synthetic_figures() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One outcome and one adverse event for each combination of the flags a figure can carry."""
    outcomes, events = [], []
    for index, combination in enumerate(itertools.product((False, True), repeat=len(FLAGS))):
        if combination[2] and not combination[4]:
            continue  # an unlabeled figure always carries a caveat (the loader requires one)
        common = {
            "arm": "nelarabine-l-asp",
            "report": "ash2022-abstract-54",
            "source_id": "002_34437a4f0dbbef9f",
            "locator": f"Synthetic place {index}",
        }
        outcome = {
            "id": f"synthetic-{index}",
            "measure": "cr",
            "time_point": "best" if index % 3 else None,
            "value": 45.0,
            "numerator": 9,
            "denominator": 20,
            "denominator_basis": "treated",
            "printed": f"9/20 (45%) synthetic {index}",
            "response_definition": "CR" if index % 4 == 0 else None,
            **common,
        }
        event = {
            "id": f"synthetic-ae-{index}",
            "term": "cytokine_release_syndrome",
            "grade_min": 3,
            "grading_system": "astct_consensus" if index % 2 else "not_stated",
            "patients": 3,
            "at_risk": 20,
            "percentage": 15.0,
            "printed": f"3 of 20 synthetic {index}",
            **common,
        }
        outcomes.append(_flagged(outcome, combination, index))
        events.append(_flagged(event, combination, index))
    return outcomes, events


def write_synthetic_fixtures(root: Path) -> Settings:
    """A copy of the curated fixtures plus the synthetic figures (in one curated study) and their conflict."""
    fixtures = root / "fixtures"
    shutil.copytree(PROJECT_ROOT / "fixtures", fixtures)
    study_file = fixtures / "studies" / f"{SYNTHETIC_STUDY}.yaml"
    study = read_yaml(study_file.read_text(encoding="utf-8"))
    outcomes, events = synthetic_figures()
    study["outcomes"] += outcomes
    study["adverse_events"] = study.get("adverse_events", []) + events
    study_file.write_text(dump_yaml(study, allow_unicode=True, sort_keys=False), encoding="utf-8")
    conflicts_file = fixtures / "conflicts.yaml"
    conflicts = read_yaml(conflicts_file.read_text(encoding="utf-8"))
    conflicts["conflicts"].append(
        {"id": SYNTHETIC_CONFLICT, "kind": "within_document", "description": "Synthetic figures that disagree."}
    )
    conflicts_file.write_text(dump_yaml(conflicts, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return Settings(fixtures_dir=fixtures, response_cache_enabled=False)


# --- the projection, read without any face --------------------------------------------------


Key = tuple[str, str]  # (kind, figure id)


def projections(session: Session) -> dict[Key, dict[str, Any]]:
    """Every figure's projection as JSON values, straight from the stored rows."""
    found: dict[Key, dict[str, Any]] = {}
    for kind, table in (("outcome", Outcome), ("adverse_event", AdverseEvent)):
        for row in session.exec(select(table)):
            found[(kind, row.id)] = project(row).model_dump(mode="json")
    return found


def facts_of(kind: str) -> list[str]:
    return fact_names(PROJECTIONS[kind])


# --- comparing one figure on one face ---------------------------------------------------------


def csv_cells(columns: list[str], values: dict[str, Any]) -> dict[str, str]:
    """How the CSV faces write these values (the one CSV writer every face uses)."""
    return next(csv.DictReader(io.StringIO(csv_text(columns, [values]))))


def declared(face: Face, kind: str, present: Container[str]) -> tuple[list[tuple[str, str, bool]], list[str]]:
    """The facts a face must show, each as (fact, the name it shows it under, renamed), and a problem for
    each fact it declares not shown yet shows (present: the names or marks the face has)."""
    wanted, problems = [], []
    for fact in facts_of(kind):
        rule = FACE_EXCEPTIONS[face].get(fact)
        if isinstance(rule, NotShown):
            if fact in present:
                problems.append(f"{face}: declares {fact} not shown, but shows it")
        else:
            wanted.append((fact, rule.name if isinstance(rule, ShownAs) else fact, isinstance(rule, ShownAs)))
    return wanted, problems


def field_problems(face: Face, kind: str, shown: dict[str, Any], truth: dict[str, Any]) -> list[str]:
    """Facts a face with field names lacks or gets wrong (shown holds its fields for this figure)."""
    wanted, problems = declared(face, kind, shown)
    for fact, name, _ in wanted:
        if name not in shown:
            problems.append(f"{face}: no {name!r} for {truth['id']} ({fact})")
        elif shown[name] != truth[fact]:
            problems.append(f"{face}: {name} of {truth['id']} is {shown[name]!r}, the projection's {truth[fact]!r}")
    return problems


def expected_words(fact: str, figure: dict[str, Any]) -> list[str] | None:
    """What a person must read for a fact on a text face (words or hover text); None: nothing to show.

    A fact without an entry here cannot be checked on text faces: show it (marked data-fact) and
    say here how it reads, or declare in models.projection.FACE_EXCEPTIONS why the face leaves it out.
    """
    value = figure.get(fact)
    readers: dict[str, Callable[[], list[str] | None]] = {
        "printed": lambda: [value],
        "measure": lambda: [label(value)],
        "term": lambda: [label(value)],
        "arm_label": lambda: [value or "all patients"],
        "subgroup": lambda: [label(value)] if value else None,
        "time_point": lambda: [time_point_label(value)] if value else None,
        "source_id": lambda: [value],
        "locator": lambda: [value],
        "inferred": lambda: ["inferred", *(i["reason"] for i in value)] if value else None,
        "derived": lambda: ["derived"] if value else None,
        "derivation": lambda: [value] if value else None,
        "unlabeled": lambda: ["unlabeled"] if value else None,
        "caveat": lambda: [value] if value else None,
        "conflict_ids": lambda: list(value) if value else None,
        "grade_min": lambda: [grade_label(figure["grade_min"], figure["grade_max"])],
        "grade_max": lambda: [grade_label(figure["grade_min"], figure["grade_max"])],
        "grading_system": lambda: [label(value)] if value != "not_stated" else None,
        "response_definition": lambda: [value] if value else None,
        "denominator_basis": lambda: [str(value).replace("_", " ")],
    }
    if fact not in readers:
        raise LookupError(fact)
    return readers[fact]()


def text_problems(face: Face, kind: str, marked: dict[str, list[str]], truth: dict[str, Any]) -> list[str]:
    """Facts a text face does not show as words (marked maps each fact to the texts marked with it)."""
    wanted, problems = declared(face, kind, marked)
    for fact, _, renamed in wanted:
        if renamed:
            continue  # shown inside another fact's words (the row label, the measure): checked with that one
        try:
            words = expected_words(fact, truth)
        except LookupError:
            problems.append(f"{face}: no way to read {fact!r} on a text face; show it or declare why not")
            continue
        texts = marked.get(fact, [])
        if words is None:
            if fact in FLAG_WORDS or fact == "conflict_ids":
                # A mark must not claim what the figure is not (an 'inferred' mark on a printed value).
                if texts:
                    problems.append(f"{face}: {truth['id']} is marked {fact} but has none")
            continue
        if not texts:
            problems.append(f"{face}: {fact} of {truth['id']} is not shown")
            continue
        joined = " ".join(texts)
        missing = [w for w in words if w not in joined]
        if missing:
            problems.append(f"{face}: {fact} of {truth['id']} lacks {missing!r} in {joined[:200]!r}")
    return problems


class Faces:
    """What each face shows, read back per figure; problems collected, every face counted."""

    def __init__(self, truth: dict[Key, dict[str, Any]]) -> None:
        self.truth = truth
        self.problems: list[str] = []
        self.checked: Counter[Face] = Counter()

    def fields(self, face: Face, kind: str, shown: dict[str, dict[str, Any]]) -> None:
        for (k, figure_id), figure in self.truth.items():
            if k != kind:
                continue
            if figure_id not in shown:
                self.problems.append(f"{face}: figure {figure_id} missing")
                continue
            self.problems += field_problems(face, kind, shown[figure_id], figure)
            self.checked[face] += 1

    def csv(self, face: Face, kind: str, rows: list[dict[str, str]], id_column: str = "id") -> None:
        """A CSV face: each figure's cells as the one CSV writer writes the projection's values."""
        by_id = {row[id_column]: row for row in rows}
        columns = list(rows[0]) if rows else []
        for (k, figure_id), figure in self.truth.items():
            if k != kind:
                continue
            if figure_id not in by_id:
                self.problems.append(f"{face}: figure {figure_id} missing")
                continue
            self.problems += self._csv_problems(face, kind, by_id[figure_id], figure, columns)
            self.checked[face] += 1

    def _csv_problems(
        self, face: Face, kind: str, row: dict[str, str], figure: dict[str, Any], columns: list[str]
    ) -> list[str]:
        wanted, problems = declared(face, kind, columns)
        for fact, column, _ in wanted:
            if column not in columns:
                problems.append(f"{face}: no column {column!r} ({fact})")
                continue
            want = csv_cells([column], {column: figure[fact]})[column]
            if row[column] != want:
                problems.append(f"{face}: {column} of {figure['id']} is {row[column]!r}, should be {want!r}")
        return problems

    def text(self, face: Face, kind: str, marks: dict[str, dict[str, list[str]]], only: set[str] | None = None) -> None:
        for (k, figure_id), figure in self.truth.items():
            if k != kind or (only is not None and figure_id not in only):
                continue
            if figure_id not in marks:
                self.problems.append(f"{face}: figure {figure_id} not shown")
                continue
            self.problems += text_problems(face, kind, marks[figure_id], figure)
            self.checked[face] += 1


# --- reading text faces -------------------------------------------------------------------------


class _FigureMarks(HTMLParser):
    """For each element with data-figure-id (or data-outcome-id), the words and hover texts of each
    fact marked inside it: an element's text and every title within it."""

    def __init__(self, id_attribute: str) -> None:
        super().__init__(convert_charrefs=True)
        self.id_attribute = id_attribute
        self.figures: dict[str, dict[str, list[str]]] = {}
        self.stack: list[tuple[str, str | None, list[str] | None]] = []  # tag, figure, open fact buffer
        self.open: list[tuple[list[str], list[str], str]] = []  # (facts, buffer, figure) per open marked element
        self.current: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        figure = attributes.get(self.id_attribute) or (self.stack[-1][1] if self.stack else None)
        facts = (attributes.get("data-fact") or "").split()
        buffer: list[str] | None = None
        if facts and figure is not None:
            buffer = []
            self.open.append((facts, buffer, figure))
        if attributes.get("title"):
            for _, open_buffer, _ in self.open:
                open_buffer.append(" " + (attributes["title"] or "") + " ")
        if tag in {"br", "img", "link", "meta", "input", "hr"}:
            if buffer is not None:
                self._close(buffer)
            return
        self.stack.append((tag, figure, buffer))

    def _close(self, buffer: list[str]) -> None:
        for i, (facts, open_buffer, figure) in enumerate(self.open):
            if open_buffer is buffer:
                del self.open[i]
                text = " ".join("".join(buffer).split())
                for fact in facts:
                    self.figures.setdefault(figure, {}).setdefault(fact, []).append(text)
                return

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            open_tag, _, buffer = self.stack.pop()
            if buffer is not None:
                self._close(buffer)
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, buffer, _ in self.open:
            buffer.append(data)


def html_marks(html: str) -> dict[str, dict[str, list[str]]]:
    """Figure id -> fact -> the texts marked with it, from an HTML page or fragment."""
    parser = _FigureMarks("data-figure-id")
    parser.feed(html)
    parser.close()
    return parser.figures


def svg_marks(svg: str) -> dict[str, dict[str, list[str]]]:
    """Outcome id -> fact -> the texts marked with it (titles included), from the forest plot."""
    found: dict[str, dict[str, list[str]]] = {}
    for group in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g"):
        figure = group.get("data-outcome-id")
        if figure is None:
            continue
        for element in group.iter():
            for fact in (element.get("data-fact") or "").split():
                text = " ".join(" ".join(element.itertext()).split())
                found.setdefault(figure, {}).setdefault(fact, []).append(text)
    return found


# --- FHIR ---------------------------------------------------------------------------------------


def _parts(evidence: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for e in evidence.get("extension", []) if e["url"].endswith("/source-figure") for p in e["extension"]]


def _part(evidence: dict[str, Any], name: str) -> Any:
    found = [
        next((v for k, v in p.items() if k.startswith("value")), None) for p in _parts(evidence) if p["url"] == name
    ]
    return found[0] if found else None


def _inferred(evidence: dict[str, Any]) -> list[dict[str, str]]:
    """Each inferred part, 'field: reason', as the projection's {field, reason}."""
    pairs = [p["valueString"].split(": ", 1) for p in _parts(evidence) if p["url"] == "inferred"]
    return [{"field": field, "reason": reason} for field, reason in pairs]


def _statistic(evidence: dict[str, Any]) -> dict[str, Any]:
    return dict(evidence["statistic"][0])


def _estimate(evidence: dict[str, Any], code: str) -> dict[str, Any] | None:
    for estimate in _statistic(evidence).get("attributeEstimate", []):
        if any(c.get("code") == code for c in estimate["type"].get("coding", [])):
            return dict(estimate)
    return None


def _population(evidence: dict[str, Any]) -> str:
    return str(
        next(
            v["description"]
            for v in evidence["variableDefinition"]
            if v["variableRole"]["coding"][0]["code"] == "population"
        )
    )


def _measured(evidence: dict[str, Any]) -> str:
    return str(
        next(
            v["observed"]["reference"]
            for v in evidence["variableDefinition"]
            if v["variableRole"]["coding"][0]["code"] == "measuredVariable"
        )
    )


def _linked(evidence: dict[str, Any]) -> list[str]:
    return [
        a["resourceReference"]["reference"] for a in evidence.get("relatedArtifact", []) if "resourceReference" in a
    ]


def _notes(evidence: dict[str, Any]) -> str:
    return " ".join(n["text"] for n in evidence.get("note", []))


def _conflicts(evidence: dict[str, Any]) -> list[str]:
    return [
        p["valueString"]
        for e in evidence.get("extension", [])
        if e["url"].endswith("/recorded-conflict")
        for p in e["extension"]
        if p["url"] == "id"
    ]


# How each fact reads back from an Evidence: a value to compare with the projection's.
FHIR_FACTS: dict[str, Callable[[dict[str, Any], dict[str, Any]], Any]] = {
    "printed": lambda ev, f: _part(ev, "printed"),
    "study_id": lambda ev, f: f["study_id"] if f"ResearchStudy/{fhir_id(f['study_id'])}" in _linked(ev) else None,
    "report_id": lambda ev, f: (
        f["report_id"] if f["report_id"] and f"Citation/{fhir_id(f['report_id'])}" in _linked(ev) else None
    ),
    "arm_id": lambda ev, f: f["arm_id"] if f["arm_id"] is None or f["arm_label"] in _population(ev) else None,
    "locator": lambda ev, f: _part(ev, "locator"),
    "source_id": lambda ev, f: (
        f["source_id"]
        if _part(ev, "source")["reference"] == f"Citation/{fhir_id(f['source_id'])}"
        else _part(ev, "source")
    ),
    "qualifier": lambda ev, f: _part(ev, "qualifier"),
    "derived": lambda ev, f: _part(ev, "derived"),
    "derivation": lambda ev, f: _part(ev, "derivation"),
    "inferred": lambda ev, f: _inferred(ev),
    "denominator_basis": lambda ev, f: _part(ev, "denominatorBasis"),
    "unlabeled": lambda ev, f: _part(ev, "unlabeled"),
    "caveat": lambda ev, f: f["caveat"] if f["caveat"] and f["caveat"] in _notes(ev) else None,
    "conflict_ids": lambda ev, f: _conflicts(ev),
    "permalink": lambda ev, f: _part(ev, "permalink"),
    "response_definition": lambda ev, f: _part(ev, "responseDefinition"),
    "measure": lambda ev, f: (
        f["measure"] if _measured(ev).startswith(f"EvidenceVariable/measure-{fhir_id(f['measure'])}") else _measured(ev)
    ),
    "term": lambda ev, f: (
        f["term"] if _measured(ev) == f"EvidenceVariable/adverse-event-{fhir_id(f['term'])}" else _measured(ev)
    ),
    "time_point": lambda ev, f: (
        (f["time_point"] if _measured(ev).endswith(fhir_id(f"-at-{f['time_point']}")) else _measured(ev))
        if f["time_point"]
        else None
    ),
    "subgroup": lambda ev, f: (
        (f["subgroup"] if label(f["subgroup"]) in _population(ev) else _population(ev)) if f["subgroup"] else None
    ),
    "arm_label": lambda ev, f: (
        (f["arm_label"] if f["arm_label"] in _population(ev) else _population(ev)) if f["arm_label"] else None
    ),
    "value": lambda ev, f: _statistic(ev).get("quantity", {}).get("value"),
    "unit": lambda ev, f: {"%": "percent", "patients": "patients", "months": "months"}.get(
        _statistic(ev).get("quantity", {}).get("unit"), f["unit"] if "quantity" not in _statistic(ev) else None
    ),
    "value_low": lambda ev, f: (_estimate(ev, "C38013") or {}).get("range", {}).get("low", {}).get("value"),
    "value_high": lambda ev, f: (_estimate(ev, "C38013") or {}).get("range", {}).get("high", {}).get("value"),
    "numerator": lambda ev, f: _statistic(ev).get("numberOfEvents"),
    "denominator": lambda ev, f: _statistic(ev).get("sampleSize", {}).get("numberOfParticipants"),
    "p_value": lambda ev, f: (_estimate(ev, "C44185") or {}).get("quantity", {}).get("value"),
    "p_value_printed": lambda ev, f: (
        f["p_value_printed"]
        if f["p_value_printed"] and f["p_value_printed"] in ((_estimate(ev, "C44185") or {}).get("description", ""))
        else None
    ),
    "comparison": lambda ev, f: (
        f["comparison"]
        if f["comparison"] and f["comparison"] in ((_estimate(ev, "C44185") or {}).get("description", ""))
        else None
    ),
    "patients": lambda ev, f: _statistic(ev).get("numberOfEvents"),
    "at_risk": lambda ev, f: _statistic(ev).get("sampleSize", {}).get("numberOfParticipants"),
    "percentage": lambda ev, f: (
        _statistic(ev).get("quantity", {}).get("value")
        if _statistic(ev).get("quantity", {}).get("unit") == "%"
        else None
    ),
    "grade_min": lambda ev, f: (
        f["grade_min"] if grade_label(f["grade_min"], f["grade_max"]) in ev["title"] else ev["title"]
    ),
    "grade_max": lambda ev, f: (
        f["grade_max"] if grade_label(f["grade_min"], f["grade_max"]) in ev["title"] else ev["title"]
    ),
    "grading_system": lambda ev, f: (
        f["grading_system"]
        if f["grading_system"] == "not_stated" or label(f["grading_system"]) in _statistic(ev)["description"]
        else _statistic(ev)["description"]
    ),
}


def fhir_problems(kind: str, evidence: dict[str, Any], truth: dict[str, Any]) -> list[str]:
    problems = []
    exceptions = FACE_EXCEPTIONS[Face.fhir_evidence]
    for fact in facts_of(kind):
        if isinstance(exceptions.get(fact), NotShown):
            continue
        if fact not in FHIR_FACTS:
            problems.append(f"fhir_evidence: no way to read {fact!r} from an Evidence; map it or declare why not")
            continue
        got = FHIR_FACTS[fact](evidence, truth)
        want = truth[fact]
        if fact == "unit" and truth.get("value") is None:
            continue  # no value, no quantity: the unit has nothing to qualify
        if fact == "percentage" and want is None and got is not None:
            continue
        if got != want and not (want in (None, [], False) and got in (None, [], False)):
            problems.append(f"fhir_evidence: {fact} of {truth['id']} reads {got!r}, the projection's {want!r}")
    return problems


def every_face_checked(checked: dict[Face, int]) -> list[str]:
    """Faces that were never compared with a figure (each must be, or it could drop anything)."""
    return [f"{face}: no figure compared" for face in Face if not checked.get(face)]


def exceptions_name_facts() -> list[str]:
    """Declarations about facts no projection has (left behind when a fact is renamed or removed)."""
    every = {fact for kind in PROJECTIONS for fact in facts_of(kind)}
    return [
        f"{face}: {fact!r} is no fact" for face, rules in FACE_EXCEPTIONS.items() for fact in rules if fact not in every
    ]


def json_lines(text: str) -> Iterator[dict[str, Any]]:
    return (json.loads(line) for line in text.splitlines() if line)
