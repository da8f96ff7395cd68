"""The projection: every fact a face may show about one figure, and, in one place, what each face leaves out.

A figure's facts are built once, when the dataset is loaded (or built with `tall-evidence build`):
the loader stores each outcome and adverse-event row with everything a reader weighs it by already
filled in (arm label, source kind, cited publication, span and context, permalink, codes), and
the public view of that row (OutcomePublic, AdverseEventPublic) is the projection. Every face
renders that view, read through api.queries.projection; none picks columns of the tables itself.
A fact is a field of the view, under the same name on every face that has field names.

FACE_EXCEPTIONS is the one place a face says which facts it does not show, and why, or under
which other name it shows them. tests/test_projection_conformance.py checks every face against
every fact: a fact added to the view fails it until each face shows it or says here why not.
"""

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel

from models.adverse_event import AdverseEventPublic
from models.outcome import OutcomePublic

FigureFacts = OutcomePublic | AdverseEventPublic
"""The projection of one figure."""

PROJECTIONS: dict[str, type[OutcomePublic] | type[AdverseEventPublic]] = {
    "outcome": OutcomePublic,
    "adverse_event": AdverseEventPublic,
}
"""The projection of each kind of figure, by the kind name conflicts use."""


def fact_names(projection: type[BaseModel]) -> list[str]:
    """The facts of a projection, in the order of its fields."""
    return [*projection.model_fields, *projection.model_computed_fields]


class Face(StrEnum):
    """Every place a figure is shown."""

    json_list = "json_list"  # /v1/outcomes, /v1/adverse-events
    json_detail = "json_detail"  # /v1/outcomes/{id}, /v1/adverse-events/{id}
    study_detail = "study_detail"  # /v1/studies/{id} and /v1/studies/batch
    csv = "csv"  # /v1/outcomes.csv, /v1/adverse-events.csv
    ndjson = "ndjson"  # /v1/outcomes.ndjson, /v1/adverse-events.ndjson
    dataset_json = "dataset_json"  # /v1/dataset
    dataset_zip = "dataset_zip"  # /v1/dataset.zip: outcomes.csv, adverse_events.csv
    comparison_json = "comparison_json"  # /v1/comparison rows (outcomes only)
    comparison_csv = "comparison_csv"  # /v1/comparison.csv study rows
    comparison_svg = "comparison_svg"  # /v1/comparison.svg rows
    fhir_evidence = "fhir_evidence"  # /fhir/Evidence/{id}
    embed_card = "embed_card"  # /embed/studies/{id}
    embed_table = "embed_table"  # /embed/table (outcomes only)
    web_card = "web_card"  # <tall-evidence-card>
    web_table = "web_table"  # <tall-evidence-table> (outcomes only)


# Faces that show only outcomes: a comparison is of one measure; the evidence table lists outcomes.
OUTCOME_ONLY = {Face.comparison_json, Face.comparison_csv, Face.comparison_svg, Face.embed_table, Face.web_table}

TEXT_FACES = {Face.comparison_svg, Face.embed_card, Face.embed_table, Face.web_card, Face.web_table}
"""Faces a person reads: facts are shown as words, marked with data-fact="<name>" so they can be checked."""


@dataclass(frozen=True)
class NotShown:
    """The face does not show the fact; why not."""

    reason: str


@dataclass(frozen=True)
class ShownAs:
    """The face shows the fact under another name; why."""

    name: str
    reason: str


Exception_ = NotShown | ShownAs

# Reasons shared by several faces, said once.
_FOR_PROGRAMS = NotShown("offsets into the document's text and CURIEs are for programs; the JSON faces carry them")
_PARSED = NotShown(
    "a person reads the figure as printed, which carries it; the parsed number is on the JSON faces and the permalink"
)
_IDS = NotShown("an internal id; the figure's permalink and the study's page identify it")
_CURATOR = NotShown("curators' own words, not the document's; on the JSON faces")
_CONTEXT = NotShown("the surrounding words are on the figure's permalink; this face shows the printed words only")
_COMPUTED = NotShown("computed from time_point, which this face shows")
_BASIS_TEXT = NotShown("what the denominator counts is said by the printed words where the document says it")
_CITED = NotShown("the face lists the document that carries the figure; the publication it cites is on the JSON")
_ONE_MEASURE = NotShown("every row is of the one measure the comparison names at its top")
_NO_P = NotShown("a row is a single-arm figure; a p-value of a printed comparison between arms is on /v1/outcomes")
_SOURCE_KIND = NotShown("the source list names each document; its kind is on the JSON faces")

_TEXT_COMMON: dict[str, Exception_] = {
    **dict.fromkeys(("span_start", "span_end", "codes"), _FOR_PROGRAMS),
    **dict.fromkeys(
        ("value", "value_low", "value_high", "unit", "numerator", "denominator", "qualifier"),
        _PARSED,
    ),
    **dict.fromkeys(("patients", "at_risk", "percentage", "p_value"), _PARSED),
    **dict.fromkeys(("id", "study_id", "arm_id", "report_id"), _IDS),
    "notes": _CURATOR,
    "context": _CONTEXT,
    "time_point_months": _COMPUTED,
    "denominator_basis": _BASIS_TEXT,
    "cited_publication": _CITED,
    "cited_venue": _CITED,
    "source_kind": _SOURCE_KIND,
    "p_value_printed": _NO_P,
    "comparison": _NO_P,
    "response_definition": NotShown("the printed words carry the document's definition where it gives one"),
    "permalink": NotShown("the page links the study's JSON; each figure's permalink is on the JSON faces"),
}

_COMPARISON: dict[str, Exception_] = {
    "id": ShownAs("outcome_id", "a row names the figure it draws, beside the pooled and excluded rows"),
    "numerator": ShownAs("events", "the interval's inputs, named as in a forest plot since the first release"),
    "denominator": ShownAs("n", "the interval's inputs, named as in a forest plot since the first release"),
    "measure": _ONE_MEASURE,
    "notes": _CURATOR,
    "p_value": _NO_P,
    "p_value_printed": _NO_P,
    "comparison": _NO_P,
    "time_point_months": _COMPUTED,
    "span_start": NotShown("offsets are on the figure's permalink, which every row carries"),
    "span_end": NotShown("offsets are on the figure's permalink, which every row carries"),
    "context": _CONTEXT,
    "unlabeled": NotShown("an unlabeled figure is never a row: it is listed under excluded, with the reason"),
    "conflict_ids": NotShown("a figure in a recorded conflict is never a row: it is listed under excluded"),
}

FACE_EXCEPTIONS: dict[Face, dict[str, Exception_]] = {
    Face.json_list: {},
    Face.json_detail: {},
    Face.study_detail: {},
    Face.csv: {},
    Face.ndjson: {},
    Face.dataset_json: {},
    Face.dataset_zip: {},
    Face.comparison_json: _COMPARISON,
    Face.comparison_csv: _COMPARISON,
    Face.comparison_svg: {
        **{
            fact: rule
            for fact, rule in _TEXT_COMMON.items()
            if fact not in ("denominator_basis", "response_definition")
        },
        "measure": _ONE_MEASURE,
        "unlabeled": _COMPARISON["unlabeled"],
        "conflict_ids": _COMPARISON["conflict_ids"],
        "caveat": NotShown("a row is one line of a plot; the caveat is on the comparison's JSON row"),
    },
    Face.fhir_evidence: {
        "id": NotShown("the Evidence has its own FHIR id, made from this one (see fhir_id)"),
        "study_id": ShownAs("relatesTo ResearchStudy", "a reference to the study's ResearchStudy"),
        "arm_id": ShownAs("variableDefinition population", "the arm is named in the population it describes"),
        "report_id": ShownAs("relatesTo Citation", "a reference to the report's Citation"),
        "notes": _CURATOR,
        "time_point_months": _COMPUTED,
        "span_start": _FOR_PROGRAMS,
        "span_end": _FOR_PROGRAMS,
        "context": _CONTEXT,
        "source_kind": NotShown("the Citation of the document says what kind of document it is"),
        "cited_publication": NotShown("the report's Citation carries the publication it cites"),
        "cited_venue": NotShown("the report's Citation carries the publication it cites"),
        "codes": NotShown("the measured variable's EvidenceVariable carries the codes of the measure or term"),
    },
    Face.embed_card: _TEXT_COMMON,
    Face.embed_table: {**_TEXT_COMMON, "subgroup": ShownAs("measure", "in brackets after the measure")},
    Face.web_card: _TEXT_COMMON,
    Face.web_table: {**_TEXT_COMMON, "subgroup": ShownAs("measure", "in brackets after the measure")},
}
