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

import re
from collections.abc import Mapping, Sequence

from api.fhir.codes import (
    CLINICAL_TRIALS,
    COCHRAN_Q,
    COMPARATORS,
    CONFIDENCE_INTERVAL,
    COUNT_TYPE,
    DESCRIPTIVE_TYPE,
    DOI,
    EVIDENCE_SYNTHESIS_EVIDENCE,
    EVIDENCE_VARIABLE_DEFINITION,
    I_SQUARED,
    JOURNAL_ARTICLE,
    JOURNAL_ARTICLE_CITATION,
    KNOWLEDGE_ARTIFACT_TYPE,
    NCIT_DISEASES,
    NCIT_MEASURES,
    NON_COMPARATIVE_EVIDENCE,
    NOT_APPLICABLE_SYNTHESIS,
    P_VALUE,
    PHASES,
    PROPORTION_TYPE,
    RANGE,
    SINGLE_STUDY_EVIDENCE,
    STATISTIC_MODEL,
    STATISTIC_MODEL_VALUE_QUANTITY,
    STUDY_GROUP,
    STUDY_PHASE,
    SUMMARY_TYPE,
    SYNTHESIS_TYPE,
    TAU_SQUARED,
    TIME_TO_EVENT,
    VARIABLE_DEFINITION,
)
from api.fhir.elements import (
    Context,
    Json,
    Urls,
    annotation,
    codeable_concept,
    compact,
    comparison_id,
    document_date,
    figure_notes,
    inferred_sentence,
    measure_variable_id,
    ncit_codings,
    population_text,
    provenance_links,
    ref,
    source_figure_extension,
    term_variable_id,
    ucum_quantity,
    variable_definition,
    with_conflicts,
)
from api.render.labels import at_time, grade_label, label, time_point_label
from models.adverse_event import AdverseEventPublic
from models.comparison import Comparison
from models.enums import Measure, SourceKind, ValueUnit
from models.identifiers import fhir_id, group_id
from models.outcome import OutcomePublic, time_point_months
from models.source import SourcePublic
from models.study import ReportPublic
from models.study_views import StudyDetail

# --- Evidence -------------------------------------------------------------------------------


def outcome_statistic(outcome: OutcomePublic, interval: tuple[float, float] | None) -> Json:
    """The one statistic of an outcome figure: the printed value, counts, and any interval we computed."""
    comparator = COMPARATORS.get(outcome.qualifier)
    quantity: Json | None = None
    statistic_type: tuple[Mapping[str, str], ...] = DESCRIPTIVE_TYPE
    if outcome.value is not None and outcome.unit is ValueUnit.percent:
        statistic_type, quantity = PROPORTION_TYPE, ucum_quantity(outcome.value, "%", "%", comparator=comparator)
    elif outcome.value is not None and outcome.unit is ValueUnit.patients:
        statistic_type, quantity = (
            COUNT_TYPE,
            ucum_quantity(outcome.value, "patients", "{patients}", comparator=comparator),
        )
    elif outcome.value is not None and outcome.unit is ValueUnit.months:
        quantity = ucum_quantity(outcome.value, "months", "mo", comparator=comparator)
    elif outcome.numerator is not None and outcome.denominator is not None:
        statistic_type = PROPORTION_TYPE
    estimates: list[Json] = []
    if interval is not None:
        estimates.append(
            {
                "description": "Wilson score 95% interval computed by this service from the counts; "
                "not printed in the source.",
                "type": codeable_concept(*CONFIDENCE_INTERVAL),
                "level": 0.95,
                "range": {
                    "low": ucum_quantity(interval[0], "proportion", "1"),
                    "high": ucum_quantity(interval[1], "proportion", "1"),
                },
            }
        )
    if outcome.value_low is not None and outcome.value_high is not None:
        unit, code = ("%", "%") if outcome.unit is ValueUnit.percent else (outcome.unit.value, "1")
        estimates.append(
            {
                "description": "Range as printed in the source.",
                "type": codeable_concept(RANGE),
                "range": {
                    "low": ucum_quantity(outcome.value_low, unit, code),
                    "high": ucum_quantity(outcome.value_high, unit, code),
                },
            }
        )
    if outcome.p_value is not None:
        estimates.append(
            compact(
                {
                    "description": ", ".join(x for x in (outcome.p_value_printed, outcome.comparison) if x)
                    or "p-value as printed",
                    "type": codeable_concept(P_VALUE),
                    "quantity": {"value": outcome.p_value},
                }
            )
        )
    sample = {"numberOfParticipants": outcome.denominator} if outcome.denominator is not None else None
    return compact(
        {
            "description": f"{label(outcome.measure)} as printed: {outcome.printed}",
            "statisticType": codeable_concept(*statistic_type),
            "quantity": quantity,
            "numberOfEvents": outcome.numerator,
            "sampleSize": sample,
            "attributeEstimate": estimates,
        }
    )


ONE_STUDY_FIGURE_PROFILES = [NON_COMPARATIVE_EVIDENCE, SINGLE_STUDY_EVIDENCE]
"""A figure of one study, of one group, with no comparison: the EBM IG profiles it meets."""


def outcome_evidence(
    ctx: Context, outcome: OutcomePublic, study: StudyDetail, *, interval: tuple[float, float] | None
) -> Json:
    population = population_text(study, outcome.arm_id, outcome.subgroup)
    title = f"{label(outcome.measure)}{at_time(outcome.time_point)}: {population}"
    variables = [
        variable_definition(
            "population", population, ref("Group", group_id(study.id, outcome.arm_id, outcome.subgroup), population)
        )
    ]
    if outcome.arm_id is not None:
        arm = next((a for a in study.arms if a.id == outcome.arm_id), None)
        if arm is not None:
            variables.append(variable_definition("exposure", arm.description or arm.label))
    variables.append(
        variable_definition(
            "measuredVariable",
            f"{label(outcome.measure)}{at_time(outcome.time_point)}",
            ref("EvidenceVariable", ctx.outcome_variable_id(outcome.measure, outcome.time_point)),
        )
    )
    resource = compact(
        {
            "resourceType": "Evidence",
            "id": ctx.evidence_ids[("outcome", outcome.id)],
            "meta": {
                "profile": ONE_STUDY_FIGURE_PROFILES
                if has_handling(outcome.measure, outcome.time_point)
                else [SINGLE_STUDY_EVIDENCE]
            },
            "extension": [source_figure_extension(ctx.urls, outcome, ctx.source_ids)],
            "title": title,
            "status": "active",
            "relatedArtifact": provenance_links(ctx, outcome, study),
            "description": f"{label(outcome.measure)} reported for {population}.",
            "note": figure_notes(outcome, ctx.source_titles.get(outcome.source_id, outcome.source_id)),
            "variableDefinition": variables,
            "synthesisType": codeable_concept(NOT_APPLICABLE_SYNTHESIS),
            "studyDesign": [{"text": label(study.design)}],
            "statistic": [outcome_statistic(outcome, interval)],
        }
    )
    return with_conflicts(ctx, resource, outcome.conflict_ids)


def adverse_event_statistic(event: AdverseEventPublic) -> Json:
    grading = "" if event.grading_system.value == "not_stated" else f", {label(event.grading_system)}"
    description = (
        f"{label(event.term)}, {grade_label(event.grade_min, event.grade_max)}{grading}; as printed: {event.printed}"
    )
    comparator = COMPARATORS.get(event.qualifier)
    statistic_type: tuple[Mapping[str, str], ...] = DESCRIPTIVE_TYPE
    quantity: Json | None = None
    if event.percentage is not None:
        statistic_type, quantity = PROPORTION_TYPE, ucum_quantity(event.percentage, "%", "%", comparator=comparator)
    elif event.patients is not None:
        statistic_type, quantity = (
            COUNT_TYPE,
            ucum_quantity(float(event.patients), "patients", "{patients}", comparator=comparator),
        )
    sample = {"numberOfParticipants": event.at_risk} if event.at_risk is not None else None
    return compact(
        {
            "description": description,
            "statisticType": codeable_concept(*statistic_type),
            "quantity": quantity,
            "numberOfEvents": event.patients,
            "sampleSize": sample,
        }
    )


def adverse_event_evidence(ctx: Context, event: AdverseEventPublic, study: StudyDetail) -> Json:
    population = population_text(study, event.arm_id, event.subgroup)
    resource = compact(
        {
            "resourceType": "Evidence",
            "id": ctx.evidence_ids[("adverse_event", event.id)],
            "meta": {"profile": ONE_STUDY_FIGURE_PROFILES},
            "extension": [source_figure_extension(ctx.urls, event, ctx.source_ids)],
            "title": f"{label(event.term)} ({grade_label(event.grade_min, event.grade_max)}): {population}",
            "status": "active",
            "relatedArtifact": provenance_links(ctx, event, study),
            "description": f"Patients with {label(event.term)} in {population}; numberOfEvents counts patients.",
            "note": figure_notes(event, ctx.source_titles.get(event.source_id, event.source_id)),
            "variableDefinition": [
                variable_definition(
                    "population", population, ref("Group", group_id(study.id, event.arm_id, event.subgroup), population)
                ),
                variable_definition(
                    "measuredVariable",
                    f"{label(event.term)}, {grade_label(event.grade_min, event.grade_max)}",
                    ref("EvidenceVariable", term_variable_id(event.term)),
                ),
            ],
            "synthesisType": codeable_concept(NOT_APPLICABLE_SYNTHESIS),
            "studyDesign": [{"text": label(study.design)}],
            "statistic": [adverse_event_statistic(event)],
        }
    )
    return with_conflicts(ctx, resource, event.conflict_ids)


def pooled_evidence(ctx: Context, comparison: Comparison) -> Json:
    """The descriptive random-effects pool of GET /v1/comparison, said to be computed here, named
    and described at the time point it pools."""
    pooled = comparison.pooled
    assert pooled is not None, "only comparisons with a pooled estimate become Evidence"
    # The pool's own time point, not the one asked for: a comparison asked for none still pools
    # at one (FA14: else a 2-year proportion read as plain "CR").
    time_point = pooled.time_point
    assert time_point is not None, "a pool is always at a stated time point"
    # Only the rows in the pool: a row can carry an interval and still be shown unpooled (its
    # whole study beside its arms, one population printed twice, another denominator basis).
    counted = [r for r in comparison.rows if r.pooled]
    what = f"{label(comparison.measure)}{at_time(time_point)}"
    notes = [
        annotation(pooled.label),
        annotation(f"Method: {pooled.method}. Computed by this service, not printed anywhere."),
    ]
    notes += [annotation(f"Left out: {e.outcome_id} ('{e.printed}'): {e.reason}.") for e in comparison.excluded]
    notes += [
        annotation(f"Shown but not pooled: {r.outcome_id} ('{r.printed}'): {r.not_pooled_reason}.")
        for r in comparison.rows
        if not r.pooled
    ]
    statistic = {
        "description": f"Pooled proportion of {what}, computed by this service from {pooled.k} rows with counts.",
        "statisticType": codeable_concept(*PROPORTION_TYPE),
        "quantity": ucum_quantity(pooled.proportion, "proportion", "1"),
        "numberOfEvents": sum(r.events or 0 for r in counted),
        "sampleSize": {
            "description": f"{pooled.k} rows (arms or whole studies) with counts",
            "numberOfStudies": len({r.study_id for r in counted}),
            "numberOfParticipants": sum(r.n or 0 for r in counted),
        },
        "attributeEstimate": [
            {
                "description": "95% interval of the pooled proportion, computed by this service.",
                "type": codeable_concept(*CONFIDENCE_INTERVAL),
                "level": 0.95,
                "range": {
                    "low": ucum_quantity(pooled.ci_low, "proportion", "1"),
                    "high": ucum_quantity(pooled.ci_high, "proportion", "1"),
                },
            },
            {"type": codeable_concept(I_SQUARED), "quantity": ucum_quantity(pooled.i_squared, "%", "%")},
            {"type": codeable_concept(TAU_SQUARED), "quantity": {"value": pooled.tau_squared}},
            {"type": codeable_concept(COCHRAN_Q), "quantity": {"value": pooled.q}},
        ],
        "modelCharacteristic": [
            {"code": codeable_concept({"system": STATISTIC_MODEL, "code": "effectsRandom"}, text="random effects")},
            {
                "code": codeable_concept(
                    {"system": STATISTIC_MODEL, "code": "tauDersimonianLaird"}, text="DerSimonian-Laird"
                )
            },
            {
                "code": codeable_concept(
                    {"system": STATISTIC_MODEL, "code": "zeroCellContinuityCorrection"},
                    text="0.5 added to both cells when either is empty",
                ),
                # EvidenceR6 moves modelCharacteristic.value (R5) into this extension.
                "extension": [{"url": STATISTIC_MODEL_VALUE_QUANTITY, "valueQuantity": {"value": 0.5}}],
            },
        ],
    }
    return compact(
        {
            "resourceType": "Evidence",
            "id": comparison_id(comparison.measure, time_point),
            "meta": {"profile": [EVIDENCE_SYNTHESIS_EVIDENCE]},
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
                variable_definition("population", "Whole-population figures of the studies pooled (no subgroup)."),
                variable_definition(
                    "measuredVariable",
                    what,
                    ref("EvidenceVariable", measure_variable_id(comparison.measure, time_point)),
                ),
            ],
            "synthesisType": codeable_concept({"system": SYNTHESIS_TYPE, "code": "std-MA"}, text="descriptive pool"),
            "statistic": [statistic],
        }
    )


# --- EvidenceVariable -----------------------------------------------------------------------


def has_handling(measure: Measure, time_point: str | None) -> bool:
    """Whether the variable of a measure (at a time point) has one R5 handling, so it can be an EBM
    VariableDefinition: a time-to-event measure with no time point is a time for some figures (a
    median) and an event by an unstated time for others, and R5 has no time-to-event handling."""
    return time_point is not None or measure not in TIME_TO_EVENT


def _definition(concept: Json) -> Json:
    return {"url": EVIDENCE_VARIABLE_DEFINITION, "valueCodeableReference": {"concept": concept}}


def _measure_concept(urls: Urls, measure: Measure, text: str) -> Json:
    return codeable_concept(
        {"system": urls.code_system("measure"), "code": measure.value, "display": label(measure)},
        *ncit_codings(NCIT_MEASURES.get(measure)),
        text=text,
    )


def measure_variable(urls: Urls, measure: Measure) -> Json:
    claimed = has_handling(measure, None)
    return compact(
        {
            "resourceType": "EvidenceVariable",
            "id": measure_variable_id(measure),
            "meta": {"profile": [VARIABLE_DEFINITION]} if claimed else None,
            "extension": [_definition(_measure_concept(urls, measure, label(measure)))],
            "name": re.sub(r"[^A-Za-z0-9]", "", f"Measure{measure.value.title()}"),
            "title": label(measure),
            "status": "active",
            "description": f"Outcome measure '{label(measure)}' as the sources report it, at any time point.",
            "handling": "dichotomous" if claimed else None,
        }
    )


def measure_at_time_variable(urls: Urls, measure: Measure, time_point: str, *, also: Sequence[str] = ()) -> Json:
    """The measure at a time, named by time_point; also: the other codes its figures write the time with."""
    months = time_point_months(time_point)
    after = f"{time_point_label(time_point)} (code '{time_point}'"
    if also:
        after += ", also written " + " and ".join(f"'{code}'" for code in also)
    if months is not None:
        after += f", {months:g} months"
    elif time_point.startswith("d") and time_point[1:].isascii() and time_point[1:].isdigit():
        after += f", {int(time_point[1:])} days"
    after += "), from the event each source counts from"
    what = f"{label(measure)}{at_time(time_point)}"
    return {
        "resourceType": "EvidenceVariable",
        "id": measure_variable_id(measure, time_point),
        "meta": {"profile": [VARIABLE_DEFINITION]},
        "extension": [_definition(_measure_concept(urls, measure, what))],
        "title": what,
        "status": "active",
        "description": f"Outcome measure '{label(measure)}'{' ' if after.startswith('after ') else ' at '}{after}: "
        "whether each patient had it by then.",
        "relatedArtifact": [
            {"type": "derived-from", "resourceReference": ref("EvidenceVariable", measure_variable_id(measure))}
        ],
        "handling": "dichotomous",
    }


def term_variable(urls: Urls, term: str) -> Json:
    concept = codeable_concept(
        {"system": urls.code_system("adverse-event-term"), "code": term, "display": label(term)}, text=label(term)
    )
    return {
        "resourceType": "EvidenceVariable",
        "id": term_variable_id(term),
        "meta": {"profile": [VARIABLE_DEFINITION]},
        "extension": [_definition(concept)],
        "title": label(term),
        "status": "active",
        "description": f"Adverse event '{label(term)}'; each Evidence states the grades and grading system.",
        "handling": "dichotomous",
    }


# --- Group ----------------------------------------------------------------------------------


def study_group(study: StudyDetail, arm_id: str | None, subgroup: str | None) -> Json:
    """The patients of a study, an arm or a subgroup: the population an Evidence is about (EBM StudyGroup)."""
    arm = next((a for a in study.arms if a.id == arm_id), None) if arm_id is not None else None
    size = study.n_enrolled if arm_id is None else (arm.n if arm is not None else None)
    return compact(
        {
            "resourceType": "Group",
            "id": group_id(study.id, arm_id, subgroup),
            "meta": {"profile": [STUDY_GROUP]},
            "name": population_text(study, arm_id, subgroup),
            "description": arm.description if arm is not None and subgroup is None else None,
            "type": "person",
            "membership": "enumerated",
            "quantity": size if subgroup is None else None,
        }
    )


# --- Citation -------------------------------------------------------------------------------


JOURNAL_KINDS = {SourceKind.journal_article, SourceKind.review}
"""Kinds of document that are journal articles when a journal (venue) is named: the EBM IG's
JournalArticleCitation. Letters with no venue, interviews, slide decks and conference abstracts
have no profile in the ballot that fits (docs/fhir.md)."""


def source_citation(ctx: Context, source: SourcePublic) -> Json:
    identifiers = [{"system": ctx.urls.source_identifier, "value": source.id}]
    for scheme, value in sorted(source.identifiers.items()):
        identifiers.append(
            compact({"system": DOI if scheme == "doi" else None, "value": value, "type": {"text": scheme}})
        )
    bits = [
        ", ".join(source.authors),
        source.title,
        source.venue,
        source.published or (str(source.year) if source.year else None),
    ]
    form = compact(
        {
            "publishedIn": compact({"title": source.venue}),
            "articleDate": document_date(source),
            "publicationDateText": source.published,
        }
    )
    classifier: list[Json] = [{"text": label(source.kind)}]
    journal_article = source.kind in JOURNAL_KINDS and bool(source.venue)
    if journal_article:
        classifier.insert(0, {"coding": [JOURNAL_ARTICLE]})
    classification = compact(
        {
            "type": codeable_concept(KNOWLEDGE_ARTIFACT_TYPE) if journal_article else None,
            "classifier": classifier,
        }
    )
    return compact(
        {
            "resourceType": "Citation",
            "id": ctx.source_ids[source.id],
            "meta": {"profile": [JOURNAL_ARTICLE_CITATION]} if journal_article else None,
            "title": source.title,
            "status": "active",
            "description": source.summary,
            "summary": [{"text": ". ".join(b for b in bits if b) + "."}],
            "note": [annotation(f"SHA-256 of the document's text as curated: {source.sha256}.")],
            "citedArtifact": compact(
                {
                    "identifier": identifiers,
                    "title": [{"text": source.title}],
                    "classification": [classification],
                    "publicationForm": [form] if form else [],
                    "contributorship": compact(
                        {
                            "summary": [
                                {
                                    "type": codeable_concept({"system": SUMMARY_TYPE, "code": "author-string"}),
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
    notes = [annotation(f"Named in {source_title} ({report.source_id}), at {report.locator}.")]
    if report.abstract_number:
        notes.append(annotation(f"Abstract number as cited: {report.abstract_number}."))
    if report.n_patients is not None:
        notes.append(annotation(f"Patients covered by this report, as printed: {report.n_patients}."))
    if report.follow_up:
        notes.append(annotation(f"Follow-up as printed: {report.follow_up}."))
    form = compact(
        {"publishedIn": compact({"title": report.venue}), "articleDate": str(report.year) if report.year else None}
    )
    return compact(
        {
            "resourceType": "Citation",
            "id": ctx.report_ids[report.id],
            "title": f"Report of {study.title} cited in {source_title}",
            "status": "active",
            "summary": [{"text": report.citation}] if report.citation else [],
            "note": notes,
            "citedArtifact": compact(
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
        compact({"system": CLINICAL_TRIALS if re.match(r"^NCT\d{8}$", r) else None, "value": r})
        for r in study.registry_ids
    ]
    period = compact(
        {
            "start": str(study.period_start) if study.period_start else None,
            "end": str(study.period_end) if study.period_end else None,
        }
    )
    measures = sorted({(o.measure.value, ctx.time_name(o.measure, o.time_point) or "") for o in study.outcomes})
    notes = [annotation(study.notes)] if study.notes else []
    if study.enrolled_printed:
        notes.append(annotation(f"Enrolment as printed: {study.enrolled_printed}."))
    # The study's and its products' fields the documents do not print (design, phase...), said as on every face.
    for record in (study, *study.car_products):
        notes += [annotation(inferred_sentence(inference)) for inference in record.inferred]
    phase = PHASES.get(study.phase)
    resource = compact(
        {
            "resourceType": "ResearchStudy",
            "id": fhir_id(study.id),
            "identifier": identifiers,
            "title": study.title,
            "label": [{"value": study.acronym}] if study.acronym else [],
            "status": "active",
            "relatedArtifact": [
                compact(
                    {
                        "type": "derived-from",
                        "resourceReference": ref("Citation", ctx.source_ids[s], ctx.source_titles.get(s)),
                        "publicationDate": ctx.source_dates.get(s),
                    }
                )
                for s in study.source_ids
                if s in ctx.source_ids
            ]
            + [
                compact(
                    {
                        "type": "predecessor" if link.relation.value == "follow_up_of" else "similar-to",
                        "label": label(link.relation),
                        "display": link.note,
                        "resourceReference": ref("ResearchStudy", fhir_id(link.related_study_id)),
                    }
                )
                for link in study.related_studies
            ],
            "phase": codeable_concept({"system": STUDY_PHASE, "code": phase}) if phase else None,
            "studyDesign": [{"text": label(study.design)}],
            "focus": [{"concept": {"text": label(a)}} for a in study.agents],
            "condition": [codeable_concept(*ncit_codings(NCIT_DISEASES.get(d)), text=d.value) for d in study.diseases],
            "keyword": [{"text": label(t)} for t in study.therapy_classes],
            "descriptionSummary": study.summary,
            "period": period,
            "note": notes,
            "recruitment": compact(
                {"actualNumber": study.n_enrolled, "actualGroup": ref("Group", group_id(study.id, None, None))}
            ),
            "comparisonGroup": [
                compact(
                    {
                        "linkId": fhir_id(arm.id),
                        "name": arm.label,
                        "description": arm.description,
                        "observedGroup": ref("Group", group_id(study.id, arm.id, None)),
                    }
                )
                for arm in study.arms
            ],
            "outcomeMeasure": [
                {
                    "name": f"{label(m)}{at_time(t)}",
                    "reference": ref("EvidenceVariable", measure_variable_id(m, t or None)),
                }
                for m, t in measures
            ],
            "result": [ref("Citation", ctx.report_ids[r.id]) for r in study.reports if r.id in ctx.report_ids],
        }
    )
    return with_conflicts(ctx, resource, [c.id for c in study.conflicts])
