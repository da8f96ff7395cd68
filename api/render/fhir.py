"""FHIR R5 resources from the public response models: pure functions, plain dicts out.

Where our fields go (README, section "FHIR R5", says the same for clients):

- A figure (outcome or adverse event) is an Evidence with one statistic. The figure as
  printed, its source document and the place in it travel together in the extension
  SOURCE_FIGURE (under this service's base URL: printed, source, locator, qualifier, derived,
  derivation, each inferred field with its reason, denominator basis, unlabeled, response
  definition, permalink), are repeated for people in Evidence.note, and the document is linked as
  relatesTo derived-from Citation/<document>. Whatever we computed (a Wilson interval, a
  pooled estimate) says so in its description, never passing for a printed value.
- Recorded conflicts are the extension RECORDED_CONFLICT plus a note on every Evidence whose
  figure takes part, on the ResearchStudy those figures belong to and on the Citation of
  each document they come from.
- Measures, measures at a time point and adverse-event terms are EvidenceVariables; study
  records are ResearchStudy (arms as comparisonGroup, measures as outcomeMeasure); each
  source document and each report of a study is a Citation.
- Codes come from HL7 code systems where one fits (statistic-type, attribute-estimate-type,
  statistic-model-code, research-study-phase, synthesis-type) and from STATO only where the
  identifier was verified; our own vocabularies live under <base>/CodeSystem/<name>.
"""

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from api.render.labels import grade_label, label, time_point_label
from models.adverse_event import AdverseEventPublic
from models.comparison import Comparison
from models.conflict import ConflictPublic
from models.enums import Disease, Measure, Phase, ValueQualifier, ValueUnit
from models.outcome import OutcomePublic, time_point_months
from models.source import SourcePublic
from models.study import ReportPublic
from models.study_views import StudyDetail

Json = dict[str, Any]

FHIR_MEDIA_TYPE = "application/fhir+json"
FHIR_VERSION = "5.0.0"

STATISTIC_TYPE = "http://terminology.hl7.org/CodeSystem/statistic-type"
ATTRIBUTE_ESTIMATE_TYPE = "http://terminology.hl7.org/CodeSystem/attribute-estimate-type"
STATISTIC_MODEL = "http://hl7.org/fhir/statistic-model-code"
SYNTHESIS_TYPE = "http://terminology.hl7.org/CodeSystem/synthesis-type"
VARIABLE_ROLE = "http://terminology.hl7.org/CodeSystem/variable-role"
STUDY_PHASE = "http://terminology.hl7.org/CodeSystem/research-study-phase"
SUMMARY_TYPE = "http://terminology.hl7.org/CodeSystem/contributor-summary-type"
STATO = "http://purl.obolibrary.org/obo/stato.owl"
UCUM = "http://unitsofmeasure.org"
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
CLINICAL_TRIALS = "http://clinicaltrials.gov"
DOI = "https://doi.org"

PROPORTION = {"system": STATISTIC_TYPE, "code": "C44256", "display": "Proportion"}
COUNT = {"system": STATISTIC_TYPE, "code": "C25463", "display": "Count"}
DESCRIPTIVE = {"system": STATISTIC_TYPE, "code": "descriptive", "display": "Descriptive"}
CONFIDENCE_INTERVAL = [
    {"system": ATTRIBUTE_ESTIMATE_TYPE, "code": "C53324", "display": "Confidence interval"},
    {"system": STATO, "code": "STATO_0000196", "display": "confidence interval"},
]
P_VALUE = {"system": ATTRIBUTE_ESTIMATE_TYPE, "code": "C44185", "display": "P-value"}
RANGE = {"system": ATTRIBUTE_ESTIMATE_TYPE, "code": "C38013", "display": "Range"}
I_SQUARED = {"system": ATTRIBUTE_ESTIMATE_TYPE, "code": "0000420", "display": "I-squared"}
TAU_SQUARED = {"system": ATTRIBUTE_ESTIMATE_TYPE, "code": "0000421", "display": "Tau squared"}
COCHRAN_Q = {"system": ATTRIBUTE_ESTIMATE_TYPE, "code": "0000419", "display": "Cochran's Q statistic"}

# NCIt concepts from the project's verified code list (terminology.csv beside the curation
# rules); a concept missing there gets no NCIt code rather than a guessed one.
NCIT_DISEASES: dict[Disease, tuple[str, str]] = {
    Disease.t_all: ("C3183", "T Acute Lymphoblastic Leukemia"),
    Disease.t_lbl: ("C6919", "T Lymphoblastic Lymphoma"),
    Disease.etp_all: ("C130043", "Early T Acute Lymphoblastic Leukemia"),
    Disease.b_all: ("C8644", "B Acute Lymphoblastic Leukemia"),
}
NCIT_MEASURES: dict[Measure, tuple[str, str]] = {
    Measure.cr: ("C4870", "Complete Remission"),
    Measure.cri: ("C103385", "Complete Response with Incomplete Bone Marrow Recovery"),
    Measure.pr: ("C18058", "Partial Remission"),
}

PHASES: dict[Phase, str] = {
    Phase.phase_1: "phase-1",
    Phase.phase_1_2: "phase-1-phase-2",
    Phase.phase_2: "phase-2",
    Phase.phase_3: "phase-3",
    Phase.not_applicable: "n-a",
}
COMPARATORS: dict[ValueQualifier, str] = {
    ValueQualifier.less_than: "<",
    ValueQualifier.at_most: "<=",
    ValueQualifier.more_than: ">",
    ValueQualifier.at_least: ">=",
}
# Measures read as whether a patient had the event by a time: survival curves, not counts.
TIME_TO_EVENT = {Measure.os, Measure.efs, Measure.rfs, Measure.pfs, Measure.dfs, Measure.cir}

_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")

BASE_TOKEN = "https://fhir-base.invalid/fhir"
"""Stands for the serving base URL while resources are built; with_base() puts the real one in.

The resources then do not depend on the Host a request names, so they are mapped once per
dataset; the reserved .invalid domain cannot occur in curated text."""


def with_base(resource: Json, base: str) -> str:
    """The resource as compact JSON, with this service's base URL where the token stands."""
    return json.dumps(resource, ensure_ascii=False, allow_nan=False, separators=(",", ":")).replace(BASE_TOKEN, base)


def fhir_id(raw: str) -> str:
    """A FHIR id ([A-Za-z0-9-.], at most 64) for one of our ids; readable where it can be."""
    candidate = raw.replace("_", "-")
    if _FHIR_ID.match(candidate):
        return candidate
    digest = hashlib.sha256(raw.encode()).hexdigest()[:12]
    return re.sub(r"[^A-Za-z0-9\-.]", "-", raw)[:51] + "-" + digest


def measure_variable_id(measure: str, time_point: str | None = None) -> str:
    base = f"measure-{fhir_id(measure)}"
    return base if time_point is None else fhir_id(f"{base}-at-{time_point}")


def term_variable_id(term: str) -> str:
    return f"adverse-event-{fhir_id(term)}"


def comparison_id(measure: str, time_point: str | None) -> str:
    return fhir_id(f"comparison-{measure}" + ("" if time_point is None else f"-at-{time_point}"))


def ref(resource_type: str, resource_id: str, display: str | None = None) -> Json:
    return _compact({"reference": f"{resource_type}/{resource_id}", "display": display})


def _compact(value: Json) -> Json:
    """Drop empty members: FHIR forbids null, empty strings and empty arrays."""
    return {k: v for k, v in value.items() if v is not None and v != "" and v != [] and v != {}}


def _concept(*codings: Mapping[str, str], text: str | None = None) -> Json:
    return _compact({"coding": [dict(c) for c in codings], "text": text})


def _ncit(concept: tuple[str, str] | None) -> list[dict[str, str]]:
    return [] if concept is None else [{"system": NCIT, "code": concept[0], "display": concept[1]}]


def _note(text: str) -> Json:
    return {"text": text}


def _quantity(value: float, unit: str, code: str, *, comparator: str | None = None) -> Json:
    return _compact({"value": value, "comparator": comparator, "unit": unit, "system": UCUM, "code": code})


@dataclass(frozen=True)
class Urls:
    """Where this service answers FHIR (absolute, no trailing slash) and what it defines there."""

    base: str

    @property
    def source_figure(self) -> str:
        return f"{self.base}/StructureDefinition/source-figure"

    @property
    def recorded_conflict(self) -> str:
        return f"{self.base}/StructureDefinition/recorded-conflict"

    def code_system(self, name: str) -> str:
        return f"{self.base}/CodeSystem/{name}"

    @property
    def source_identifier(self) -> str:
        return f"{self.base}/NamingSystem/source-document"


# --- shared pieces --------------------------------------------------------------------------


def _source_figure(
    urls: Urls,
    figure: OutcomePublic | AdverseEventPublic,
    source_ids: Mapping[str, str],
) -> Json:
    parts: list[Json] = [
        {"url": "printed", "valueString": figure.printed},
        {"url": "source", "valueReference": ref("Citation", source_ids[figure.source_id])},
        {"url": "locator", "valueString": figure.locator},
        {"url": "qualifier", "valueCode": figure.qualifier.value},
        {"url": "derived", "valueBoolean": figure.derived},
    ]
    if figure.derivation:
        parts.append({"url": "derivation", "valueString": figure.derivation})
    # A field the document does not print, with the reason: a reader must not take it as printed.
    for inference in figure.inferred:
        parts.append(
            {
                "url": "inferred",
                "extension": [
                    {"url": "field", "valueString": inference.field},
                    {"url": "reason", "valueString": inference.reason},
                ],
            }
        )
    parts.append({"url": "denominatorBasis", "valueCode": figure.denominator_basis.value})
    parts.append({"url": "unlabeled", "valueBoolean": figure.unlabeled})
    if isinstance(figure, OutcomePublic) and figure.response_definition:
        parts.append({"url": "responseDefinition", "valueString": figure.response_definition})
    parts.append({"url": "permalink", "valueUrl": figure.permalink})
    return {"url": urls.source_figure, "extension": parts}


def _conflict_extension(urls: Urls, conflict: ConflictPublic, evidence_ids: Mapping[tuple[str, str], str]) -> Json:
    parts: list[Json] = [
        {"url": "id", "valueString": conflict.id},
        {"url": "kind", "valueCode": conflict.kind.value},
        {"url": "description", "valueString": conflict.description},
    ]
    for member in conflict.members:
        target = evidence_ids.get((member.kind, member.id))
        if target is not None:
            parts.append({"url": "member", "valueReference": ref("Evidence", target, member.printed)})
        else:  # figures FHIR does not serve (descriptive, epidemiological) are named, not linked
            parts.append({"url": "member", "valueString": f"{member.kind} {member.id}: {member.printed}"})
    return {"url": urls.recorded_conflict, "extension": parts}


def _conflict_note(conflict: ConflictPublic) -> Json:
    kind = conflict.kind.value.replace("_", " ")
    return _note(f"Recorded conflict {conflict.id} ({kind}): {conflict.description}")


def _provenance_note(figure: OutcomePublic | AdverseEventPublic, source_title: str) -> Json:
    return _note(f"As printed: '{figure.printed}' in {source_title} ({figure.source_id}), at {figure.locator}.")


def _figure_notes(figure: OutcomePublic | AdverseEventPublic, source_title: str) -> list[Json]:
    notes = [_provenance_note(figure, source_title)]
    for inference in figure.inferred:
        notes.append(_note(f"Inferred by curators, not printed: {inference.field}. {inference.reason}"))
    if figure.derived:
        notes.append(_note(f"Derived by curators, not printed: {figure.derivation or 'see the source'}."))
    if figure.unlabeled:
        notes.append(_note("The source prints this figure without saying exactly what it measures."))
    for text in (figure.caveat, figure.notes):
        if text:
            notes.append(_note(text))
    return notes


def _variable(role: str, description: str | None = None, observed: Json | None = None) -> Json:
    return _compact(
        {
            "description": description,
            "variableRole": _concept({"system": VARIABLE_ROLE, "code": role}),
            "observed": observed,
        }
    )


def _population(study: StudyDetail, arm_id: str | None, subgroup: str | None) -> str:
    who = study.title
    if arm_id is not None:
        arm = next((a for a in study.arms if a.id == arm_id), None)
        who += f", arm '{arm.label if arm else arm_id}'"
    if subgroup is not None:
        who += f", subgroup {label(subgroup)}"
    return who


@dataclass
class Context:
    """What every mapping needs besides the record itself: ids, titles and conflicts by key."""

    urls: Urls
    source_ids: dict[str, str] = field(default_factory=dict)
    source_titles: dict[str, str] = field(default_factory=dict)
    report_ids: dict[str, str] = field(default_factory=dict)
    evidence_ids: dict[tuple[str, str], str] = field(default_factory=dict)
    conflicts: dict[str, ConflictPublic] = field(default_factory=dict)


def _provenance_links(ctx: Context, figure: OutcomePublic | AdverseEventPublic, study: StudyDetail) -> list[Json]:
    links = [
        _compact(
            {
                "type": "derived-from",
                "label": figure.locator,
                "display": ctx.source_titles.get(figure.source_id),
                "resourceReference": ref("Citation", ctx.source_ids[figure.source_id]),
            }
        ),
        {"type": "derived-from", "display": study.title, "resourceReference": ref("ResearchStudy", fhir_id(study.id))},
    ]
    if figure.report_id is not None and figure.report_id in ctx.report_ids:
        links.append({"type": "derived-from", "resourceReference": ref("Citation", ctx.report_ids[figure.report_id])})
    return links


def _with_conflicts(ctx: Context, resource: Json, conflict_ids: Iterable[str]) -> Json:
    conflicts = [ctx.conflicts[c] for c in conflict_ids if c in ctx.conflicts]
    if conflicts:
        resource.setdefault("extension", []).extend(
            _conflict_extension(ctx.urls, c, ctx.evidence_ids) for c in conflicts
        )
        resource.setdefault("note", []).extend(_conflict_note(c) for c in conflicts)
    return resource


# --- Evidence -------------------------------------------------------------------------------


def outcome_statistic(outcome: OutcomePublic, interval: tuple[float, float] | None) -> Json:
    """The one statistic of an outcome figure: the printed value, counts, and any interval we computed."""
    comparator = COMPARATORS.get(outcome.qualifier)
    quantity: Json | None = None
    statistic_type: Mapping[str, str] = DESCRIPTIVE
    if outcome.value is not None and outcome.unit is ValueUnit.percent:
        statistic_type, quantity = PROPORTION, _quantity(outcome.value, "%", "%", comparator=comparator)
    elif outcome.value is not None and outcome.unit is ValueUnit.patients:
        statistic_type, quantity = COUNT, _quantity(outcome.value, "patients", "{patients}", comparator=comparator)
    elif outcome.value is not None and outcome.unit is ValueUnit.months:
        quantity = _quantity(outcome.value, "months", "mo", comparator=comparator)
    elif outcome.numerator is not None and outcome.denominator is not None:
        statistic_type = PROPORTION
    estimates: list[Json] = []
    if interval is not None:
        estimates.append(
            {
                "description": "Wilson score 95% interval computed by this service from the counts; "
                "not printed in the source.",
                "type": _concept(*CONFIDENCE_INTERVAL),
                "level": 0.95,
                "range": {
                    "low": _quantity(interval[0], "proportion", "1"),
                    "high": _quantity(interval[1], "proportion", "1"),
                },
            }
        )
    if outcome.value_low is not None and outcome.value_high is not None:
        unit, code = ("%", "%") if outcome.unit is ValueUnit.percent else (outcome.unit.value, "1")
        estimates.append(
            {
                "description": "Range as printed in the source.",
                "type": _concept(RANGE),
                "range": {
                    "low": _quantity(outcome.value_low, unit, code),
                    "high": _quantity(outcome.value_high, unit, code),
                },
            }
        )
    if outcome.p_value is not None:
        estimates.append(
            _compact(
                {
                    "description": ", ".join(x for x in (outcome.p_value_printed, outcome.comparison) if x)
                    or "p-value as printed",
                    "type": _concept(P_VALUE),
                    "quantity": {"value": outcome.p_value},
                }
            )
        )
    sample = {"numberOfParticipants": outcome.denominator} if outcome.denominator is not None else None
    return _compact(
        {
            "description": f"{label(outcome.measure)} as printed: {outcome.printed}",
            "statisticType": _concept(statistic_type),
            "quantity": quantity,
            "numberOfEvents": outcome.numerator,
            "sampleSize": sample,
            "attributeEstimate": estimates,
        }
    )


def outcome_evidence(
    ctx: Context, outcome: OutcomePublic, study: StudyDetail, *, interval: tuple[float, float] | None
) -> Json:
    when = time_point_label(outcome.time_point)
    population = _population(study, outcome.arm_id, outcome.subgroup)
    title = f"{label(outcome.measure)}{' at ' + when if when else ''}: {population}"
    variables = [_variable("population", population)]
    if outcome.arm_id is not None:
        arm = next((a for a in study.arms if a.id == outcome.arm_id), None)
        if arm is not None:
            variables.append(_variable("exposure", arm.description or arm.label))
    variables.append(
        _variable(
            "measuredVariable",
            f"{label(outcome.measure)}{' at ' + when if when else ''}",
            ref("EvidenceVariable", measure_variable_id(outcome.measure, outcome.time_point)),
        )
    )
    resource = _compact(
        {
            "resourceType": "Evidence",
            "id": ctx.evidence_ids[("outcome", outcome.id)],
            "extension": [_source_figure(ctx.urls, outcome, ctx.source_ids)],
            "title": title,
            "status": "active",
            "relatedArtifact": _provenance_links(ctx, outcome, study),
            "description": f"{label(outcome.measure)} reported for {population}.",
            "note": _figure_notes(outcome, ctx.source_titles.get(outcome.source_id, outcome.source_id)),
            "variableDefinition": variables,
            "studyDesign": [{"text": label(study.design)}],
            "statistic": [outcome_statistic(outcome, interval)],
        }
    )
    return _with_conflicts(ctx, resource, outcome.conflict_ids)


def adverse_event_statistic(event: AdverseEventPublic) -> Json:
    grading = "" if event.grading_system.value == "not_stated" else f", {label(event.grading_system)}"
    description = (
        f"{label(event.term)}, {grade_label(event.grade_min, event.grade_max)}{grading}; as printed: {event.printed}"
    )
    comparator = COMPARATORS.get(event.qualifier)
    statistic_type: Mapping[str, str] = DESCRIPTIVE
    quantity: Json | None = None
    if event.percentage is not None:
        statistic_type, quantity = PROPORTION, _quantity(event.percentage, "%", "%", comparator=comparator)
    elif event.patients is not None:
        statistic_type, quantity = (
            COUNT,
            _quantity(float(event.patients), "patients", "{patients}", comparator=comparator),
        )
    sample = {"numberOfParticipants": event.at_risk} if event.at_risk is not None else None
    return _compact(
        {
            "description": description,
            "statisticType": _concept(statistic_type),
            "quantity": quantity,
            "numberOfEvents": event.patients,
            "sampleSize": sample,
        }
    )


def adverse_event_evidence(ctx: Context, event: AdverseEventPublic, study: StudyDetail) -> Json:
    population = _population(study, event.arm_id, event.subgroup)
    resource = _compact(
        {
            "resourceType": "Evidence",
            "id": ctx.evidence_ids[("adverse_event", event.id)],
            "extension": [_source_figure(ctx.urls, event, ctx.source_ids)],
            "title": f"{label(event.term)} ({grade_label(event.grade_min, event.grade_max)}): {population}",
            "status": "active",
            "relatedArtifact": _provenance_links(ctx, event, study),
            "description": f"Patients with {label(event.term)} in {population}; numberOfEvents counts patients.",
            "note": _figure_notes(event, ctx.source_titles.get(event.source_id, event.source_id)),
            "variableDefinition": [
                _variable("population", population),
                _variable(
                    "measuredVariable",
                    f"{label(event.term)}, {grade_label(event.grade_min, event.grade_max)}",
                    ref("EvidenceVariable", term_variable_id(event.term)),
                ),
            ],
            "studyDesign": [{"text": label(study.design)}],
            "statistic": [adverse_event_statistic(event)],
        }
    )
    return _with_conflicts(ctx, resource, event.conflict_ids)


def pooled_evidence(ctx: Context, comparison: Comparison) -> Json:
    """The descriptive random-effects pool of GET /v1/comparison, said to be computed here."""
    pooled = comparison.pooled
    assert pooled is not None, "only comparisons with a pooled estimate become Evidence"
    counted = [r for r in comparison.rows if r.interval_method == "wilson"]
    when = time_point_label(comparison.time_point)
    what = f"{label(comparison.measure)}{' at ' + when if when else ''}"
    notes = [_note(pooled.label), _note(f"Method: {pooled.method}. Computed by this service, not printed anywhere.")]
    notes += [_note(f"Left out: {e.outcome_id} ('{e.printed}'): {e.reason}.") for e in comparison.excluded]
    statistic = {
        "description": f"Pooled proportion of {what}, computed by this service from {pooled.k} rows with counts.",
        "statisticType": _concept(PROPORTION),
        "quantity": _quantity(pooled.proportion, "proportion", "1"),
        "numberOfEvents": sum(r.events or 0 for r in counted),
        "sampleSize": {
            "description": f"{pooled.k} rows (arms or whole studies) with counts",
            "numberOfStudies": len({r.study_id for r in counted}),
            "numberOfParticipants": sum(r.n or 0 for r in counted),
        },
        "attributeEstimate": [
            {
                "description": "95% interval of the pooled proportion, computed by this service.",
                "type": _concept(*CONFIDENCE_INTERVAL),
                "level": 0.95,
                "range": {
                    "low": _quantity(pooled.ci_low, "proportion", "1"),
                    "high": _quantity(pooled.ci_high, "proportion", "1"),
                },
            },
            {"type": _concept(I_SQUARED), "quantity": _quantity(pooled.i_squared, "%", "%")},
            {"type": _concept(TAU_SQUARED), "quantity": {"value": pooled.tau_squared}},
            {"type": _concept(COCHRAN_Q), "quantity": {"value": pooled.q}},
        ],
        "modelCharacteristic": [
            {"code": _concept({"system": STATISTIC_MODEL, "code": "effectsRandom"}, text="random effects")},
            {"code": _concept({"system": STATISTIC_MODEL, "code": "tauDersimonianLaird"}, text="DerSimonian-Laird")},
            {
                "code": _concept(
                    {"system": STATISTIC_MODEL, "code": "zeroCellContinuityCorrection"},
                    text="0.5 added to both cells when either is empty",
                ),
                "value": {"value": 0.5},
            },
        ],
    }
    return _compact(
        {
            "resourceType": "Evidence",
            "id": comparison_id(comparison.measure, comparison.time_point),
            "title": f"Pooled {what} across studies (descriptive)",
            "status": "active",
            "description": pooled.label,
            "relatedArtifact": [
                {
                    "type": "derived-from",
                    "resourceReference": ref("Evidence", ctx.evidence_ids[("outcome", r.outcome_id)]),
                }
                for r in counted
            ],
            "note": notes,
            "variableDefinition": [
                _variable("population", "Whole-population figures of the studies pooled (no subgroup)."),
                _variable(
                    "measuredVariable",
                    what,
                    ref("EvidenceVariable", measure_variable_id(comparison.measure, comparison.time_point)),
                ),
            ],
            "synthesisType": _concept({"system": SYNTHESIS_TYPE, "code": "std-MA"}, text="descriptive pool"),
            "statistic": [statistic],
        }
    )


# --- EvidenceVariable -----------------------------------------------------------------------


def measure_variable(urls: Urls, measure: Measure) -> Json:
    return _compact(
        {
            "resourceType": "EvidenceVariable",
            "id": measure_variable_id(measure),
            "name": re.sub(r"[^A-Za-z0-9]", "", f"Measure{measure.value.title()}"),
            "title": label(measure),
            "status": "active",
            "description": f"Outcome measure '{label(measure)}' as the sources report it, at any time point.",
            "handling": None if measure in TIME_TO_EVENT else "dichotomous",
            "characteristic": [
                {
                    "description": label(measure),
                    "definitionCodeableConcept": _concept(
                        {"system": urls.code_system("measure"), "code": measure.value, "display": label(measure)},
                        *_ncit(NCIT_MEASURES.get(measure)),
                        text=label(measure),
                    ),
                }
            ],
        }
    )


def measure_at_time_variable(measure: Measure, time_point: str) -> Json:
    months = time_point_months(time_point)
    offset: Json = {
        "description": f"{time_point_label(time_point)} (code '{time_point}'), from the event each source counts from"
    }
    if months is not None:
        offset["quantity"] = _quantity(months, "months", "mo")
    elif time_point.startswith("d") and time_point[1:].isdigit():
        offset["quantity"] = _quantity(float(time_point[1:]), "days", "d")
    return {
        "resourceType": "EvidenceVariable",
        "id": measure_variable_id(measure, time_point),
        "title": f"{label(measure)} at {time_point_label(time_point)}",
        "status": "active",
        "description": f"Outcome measure '{label(measure)}' at the time point '{time_point}'.",
        "characteristic": [
            {
                "description": f"{label(measure)} at {time_point_label(time_point)}",
                "definitionReference": ref("EvidenceVariable", measure_variable_id(measure)),
                "timeFromEvent": [offset],
            }
        ],
    }


def term_variable(urls: Urls, term: str) -> Json:
    return {
        "resourceType": "EvidenceVariable",
        "id": term_variable_id(term),
        "title": label(term),
        "status": "active",
        "description": f"Adverse event '{label(term)}'; each Evidence states the grades and grading system.",
        "handling": "dichotomous",
        "characteristic": [
            {
                "description": label(term),
                "definitionCodeableConcept": _concept(
                    {"system": urls.code_system("adverse-event-term"), "code": term, "display": label(term)}
                ),
            }
        ],
    }


# --- Citation -------------------------------------------------------------------------------


def source_citation(ctx: Context, source: SourcePublic) -> Json:
    identifiers = [{"system": ctx.urls.source_identifier, "value": source.id}]
    for scheme, value in sorted(source.identifiers.items()):
        identifiers.append(
            _compact({"system": DOI if scheme == "doi" else None, "value": value, "type": {"text": scheme}})
        )
    bits = [
        ", ".join(source.authors),
        source.title,
        source.venue,
        source.published or (str(source.year) if source.year else None),
    ]
    form = _compact(
        {
            "publishedIn": _compact({"title": source.venue}),
            "articleDate": source.published
            if source.published and re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", source.published)
            else (str(source.year) if source.year else None),
            "publicationDateText": source.published,
        }
    )
    return _compact(
        {
            "resourceType": "Citation",
            "id": ctx.source_ids[source.id],
            "title": source.title,
            "status": "active",
            "description": source.summary,
            "summary": [{"text": ". ".join(b for b in bits if b) + "."}],
            "note": [_note(f"SHA-256 of the document's text as curated: {source.sha256}.")],
            "citedArtifact": _compact(
                {
                    "identifier": identifiers,
                    "title": [{"text": source.title}],
                    "classification": [{"classifier": [{"text": label(source.kind)}]}],
                    "publicationForm": [form] if form else [],
                    "contributorship": _compact(
                        {
                            "summary": [
                                {
                                    "type": _concept({"system": SUMMARY_TYPE, "code": "author-string"}),
                                    "value": ", ".join(source.authors),
                                }
                            ]
                            if source.authors
                            else []
                        }
                    ),
                }
            ),
        }
    )


def report_citation(ctx: Context, report: ReportPublic, study: StudyDetail) -> Json:
    source_title = ctx.source_titles.get(report.source_id, report.source_id)
    notes = [_note(f"Named in {source_title} ({report.source_id}), at {report.locator}.")]
    if report.abstract_number:
        notes.append(_note(f"Abstract number as cited: {report.abstract_number}."))
    if report.n_patients is not None:
        notes.append(_note(f"Patients covered by this report, as printed: {report.n_patients}."))
    if report.follow_up:
        notes.append(_note(f"Follow-up as printed: {report.follow_up}."))
    form = _compact(
        {"publishedIn": _compact({"title": report.venue}), "articleDate": str(report.year) if report.year else None}
    )
    return _compact(
        {
            "resourceType": "Citation",
            "id": ctx.report_ids[report.id],
            "title": f"Report of {study.title} cited in {source_title}",
            "status": "active",
            "summary": [{"text": report.citation}] if report.citation else [],
            "note": notes,
            "citedArtifact": _compact(
                {
                    "title": [{"text": report.citation or f"Report of {study.title}"}],
                    "publicationForm": [form] if form else [],
                    "relatesTo": [
                        {
                            "type": "cited-by",
                            "label": report.locator,
                            "resourceReference": ref("Citation", ctx.source_ids[report.source_id], source_title),
                        },
                        {
                            "type": "documentation",
                            "resourceReference": ref("ResearchStudy", fhir_id(study.id), study.title),
                        },
                    ],
                }
            ),
        }
    )


# --- ResearchStudy --------------------------------------------------------------------------


def research_study(ctx: Context, study: StudyDetail) -> Json:
    identifiers = [
        _compact({"system": CLINICAL_TRIALS if re.match(r"^NCT\d{8}$", r) else None, "value": r})
        for r in study.registry_ids
    ]
    period = _compact(
        {
            "start": str(study.period_start) if study.period_start else None,
            "end": str(study.period_end) if study.period_end else None,
        }
    )
    measures = sorted({(o.measure.value, o.time_point or "") for o in study.outcomes})
    notes = [_note(study.notes)] if study.notes else []
    if study.enrolled_printed:
        notes.append(_note(f"Enrolment as printed: {study.enrolled_printed}."))
    phase = PHASES.get(study.phase)
    resource = _compact(
        {
            "resourceType": "ResearchStudy",
            "id": fhir_id(study.id),
            "identifier": identifiers,
            "title": study.title,
            "label": [{"value": study.acronym}] if study.acronym else [],
            "status": "active",
            "relatedArtifact": [
                {
                    "type": "derived-from",
                    "resourceReference": ref("Citation", ctx.source_ids[s], ctx.source_titles.get(s)),
                }
                for s in study.source_ids
                if s in ctx.source_ids
            ]
            + [
                _compact(
                    {
                        "type": "predecessor" if link.relation.value == "follow_up_of" else "similar-to",
                        "label": label(link.relation),
                        "display": link.note,
                        "resourceReference": ref("ResearchStudy", fhir_id(link.related_study_id)),
                    }
                )
                for link in study.related_studies
            ],
            "phase": _concept({"system": STUDY_PHASE, "code": phase}) if phase else None,
            "studyDesign": [{"text": label(study.design)}],
            "focus": [{"concept": {"text": label(a)}} for a in study.agents],
            "condition": [_concept(*_ncit(NCIT_DISEASES.get(d)), text=d.value) for d in study.diseases],
            "keyword": [{"text": label(t)} for t in study.therapy_classes],
            "descriptionSummary": study.summary,
            "period": period,
            "note": notes,
            "recruitment": _compact({"actualNumber": study.n_enrolled}),
            "comparisonGroup": [
                _compact({"linkId": fhir_id(arm.id), "name": arm.label, "description": arm.description})
                for arm in study.arms
            ],
            "outcomeMeasure": [
                {
                    "name": f"{label(m)}{' at ' + time_point_label(t) if t else ''}",
                    "reference": ref("EvidenceVariable", measure_variable_id(m, t or None)),
                }
                for m, t in measures
            ],
            "result": [ref("Citation", ctx.report_ids[r.id]) for r in study.reports if r.id in ctx.report_ids],
        }
    )
    return _with_conflicts(ctx, resource, [c.id for c in study.conflicts])


# --- the whole set, and search --------------------------------------------------------------


@dataclass
class FhirIndex:
    """Every resource the service serves, by type and id, with the values each search matches."""

    resources: dict[str, dict[str, Json]] = field(default_factory=lambda: defaultdict(dict))
    keys: dict[tuple[str, str], dict[str, set[str]]] = field(default_factory=dict)

    def add(self, resource: Json, **keys: Iterable[str]) -> None:
        kind, rid = resource["resourceType"], resource["id"]
        if rid in self.resources[kind]:
            raise ValueError(f"two {kind} resources map to the id {rid!r}")
        self.resources[kind][rid] = resource
        wanted = {name: set(values) for name, values in keys.items()}
        wanted.setdefault("_id", set()).add(rid)
        self.keys[(kind, rid)] = wanted

    def search(self, kind: str, criteria: Mapping[str, Sequence[str]]) -> list[Json]:
        """Resources of kind matching every criterion (any of its values), in id order."""
        found = []
        for rid in sorted(self.resources[kind]):
            keys = self.keys[(kind, rid)]
            if all(keys.get(name, set()) & set(values) for name, values in criteria.items()):
                found.append(self.resources[kind][rid])
        return found


def _both(*raw: str) -> set[str]:
    """A search value matches our id or its FHIR form."""
    return {*raw, *(fhir_id(r) for r in raw)}


def build_index(
    urls: Urls,
    *,
    studies: Sequence[StudyDetail],
    sources: Sequence[SourcePublic],
    comparisons: Sequence[Comparison],
    intervals: Mapping[str, tuple[float, float]],
) -> FhirIndex:
    """Every FHIR resource for the dataset: one pass over the public models, no database."""
    ctx = Context(urls)
    for s in sources:
        ctx.source_ids[s.id] = fhir_id(s.id)
        ctx.source_titles[s.id] = s.title
    for study in studies:
        for r in study.reports:
            ctx.report_ids[r.id] = fhir_id(r.id)
        for o in study.outcomes:
            ctx.evidence_ids[("outcome", o.id)] = fhir_id(o.id)
        for e in study.adverse_events:
            ctx.evidence_ids[("adverse_event", e.id)] = fhir_id(e.id)
        for c in study.conflicts:
            ctx.conflicts[c.id] = c

    index = FhirIndex()
    reports_in: dict[str, set[str]] = defaultdict(set)  # source id -> studies it reports on
    measures_of: dict[str, set[str]] = defaultdict(set)  # study id -> measures
    variables_used: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for study in studies:
        for source_id in study.source_ids:
            reports_in[source_id].add(study.id)
        for o in study.outcomes:
            measures_of[study.id].add(o.measure.value)
            for vid in (measure_variable_id(o.measure), measure_variable_id(o.measure, o.time_point)):
                variables_used[vid]["study"] |= _both(study.id)
                variables_used[vid]["source"] |= _both(o.source_id)
            index.add(
                outcome_evidence(ctx, o, study, interval=intervals.get(o.id)),
                study=_both(study.id),
                measure={o.measure.value},
                source=_both(o.source_id),
            )
        for e in study.adverse_events:
            vid = term_variable_id(e.term)
            variables_used[vid]["study"] |= _both(study.id)
            variables_used[vid]["source"] |= _both(e.source_id)
            index.add(adverse_event_evidence(ctx, e, study), study=_both(study.id), source=_both(e.source_id))
        index.add(
            research_study(ctx, study),
            study=_both(study.id),
            measure=measures_of[study.id],
            source=_both(*study.source_ids),
        )
        for r in study.reports:
            index.add(report_citation(ctx, r, study), study=_both(study.id), source=_both(r.source_id))
    for s in sources:
        touching = [c.id for c in ctx.conflicts.values() if any(m.source_id == s.id for m in c.members)]
        citation = _with_conflicts(ctx, source_citation(ctx, s), touching)
        index.add(citation, study=_both(*reports_in[s.id]), source=_both(s.id))

    rows_by_outcome = {o.id: (study, o) for study in studies for o in study.outcomes}
    for comparison in comparisons:
        used = [rows_by_outcome[r.outcome_id] for r in comparison.rows if r.interval_method == "wilson"]
        index.add(
            pooled_evidence(ctx, comparison),
            study=_both(*(s.id for s, _ in used)),
            measure={comparison.measure.value},
            source=_both(*(o.source_id for _, o in used)),
        )

    measures = sorted({o.measure for study in studies for o in study.outcomes})
    for m in measures:
        index.add(measure_variable(urls, m), measure={m.value}, **variables_used[measure_variable_id(m)])
        for tp in sorted(
            {o.time_point for study in studies for o in study.outcomes if o.measure is m and o.time_point}
        ):
            index.add(measure_at_time_variable(m, tp), measure={m.value}, **variables_used[measure_variable_id(m, tp)])
    for term in sorted({e.term.value for study in studies for e in study.adverse_events}):
        index.add(term_variable(urls, term), **variables_used[term_variable_id(term)])
    return index


# --- capability, bundles, outcomes ----------------------------------------------------------

SEARCH_PARAMETERS: dict[str, str] = {
    "_id": "The resource id.",
    "study": "Study id (ours or its FHIR id): resources about that study.",
    "measure": "Outcome measure code, e.g. cr: Evidence, ResearchStudy and EvidenceVariable about it.",
    "source": "Source document id (ours or its FHIR id): resources drawn from that document.",
}
RESOURCE_TYPES = ("Evidence", "EvidenceVariable", "Citation", "ResearchStudy")
CONTROL_PARAMETERS = ("_count", "_offset", "_format")


def capability_statement(urls: Urls, *, software_version: str, dataset_version: str, date: str) -> Json:
    return {
        "resourceType": "CapabilityStatement",
        "id": "tall-evidence",
        "name": "TallEvidenceFhir",
        "title": "T-ALL Evidence API, FHIR R5 face",
        "status": "active",
        "date": date,
        "publisher": "T-ALL Evidence API",
        "description": "Read-only FHIR R5 view of curated T-ALL/LBL therapy evidence (dataset version "
        f"{dataset_version}): Evidence per outcome and adverse-event figure and per pooled comparison, "
        "EvidenceVariable per measure, time point and adverse-event term, Citation per source document and "
        f"report, ResearchStudy per study. Extensions defined here: {urls.source_figure} (the figure as printed, "
        f"its document and locator) and {urls.recorded_conflict} (a recorded disagreement between figures).",
        "kind": "instance",
        "software": {"name": "tall-evidence", "version": software_version},
        "implementation": {"description": "T-ALL Evidence API", "url": urls.base},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Search results are Bundles of type searchset, paged with _count (1-500, default "
                "50) and _offset; unknown parameters and bad values are answered with an OperationOutcome.",
                "resource": [
                    {
                        "type": kind,
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "searchParam": [
                            {"name": name, "type": "token", "documentation": text}
                            for name, text in SEARCH_PARAMETERS.items()
                        ],
                    }
                    for kind in RESOURCE_TYPES
                ],
            }
        ],
    }


def searchset(entries: Sequence[Json], *, base: str, total: int, links: Mapping[str, str]) -> Json:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": [{"relation": relation, "url": url} for relation, url in links.items()],
        "entry": [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
            for r in entries
        ],
    }


def operation_outcome(code: str, diagnostics: str, expression: Sequence[str] = ()) -> Json:
    issue = _compact({"severity": "error", "code": code, "diagnostics": diagnostics, "expression": list(expression)})
    return {"resourceType": "OperationOutcome", "issue": [issue]}
