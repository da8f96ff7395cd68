"""The pieces FHIR resources are built from: ids, references, datatypes, this service's URLs and
the extensions, notes and links every figure carries."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from api.fhir.codes import NCIT, UCUM, VARIABLE_ROLE, VARIABLE_ROLE_CODE, VARIABLE_ROLE_TEXT
from api.render.labels import derived_note, inferred_note, label
from models.adverse_event import AdverseEventPublic
from models.conflict import ConflictPublic
from models.figure import Inference
from models.identifiers import fhir_id
from models.outcome import OutcomePublic
from models.source import SourcePublic
from models.study_views import StudyDetail

Json = dict[str, Any]


def measure_variable_id(measure: str, time_point: str | None = None) -> str:
    base = f"measure-{fhir_id(measure)}"
    return base if time_point is None else fhir_id(f"{base}-at-{time_point}")


def term_variable_id(term: str) -> str:
    return f"adverse-event-{fhir_id(term)}"


def comparison_id(measure: str, time_point: str) -> str:
    """A pool's id: a pool is always at one stated time point (docs/comparison.md), so it names it."""
    return fhir_id(f"comparison-{measure}-at-{time_point}")


_ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def document_date(source: SourcePublic) -> str | None:
    """A source document's publication date as a FHIR date: as published when ISO 8601, else its year."""
    if source.published and _ISO_DATE.match(source.published):
        return source.published
    return str(source.year) if source.year else None


def ref(resource_type: str, resource_id: str, display: str | None = None) -> Json:
    return compact({"reference": f"{resource_type}/{resource_id}", "display": display})


def compact(value: Json) -> Json:
    """Drop empty members: FHIR forbids null, empty strings and empty arrays."""
    return {k: v for k, v in value.items() if v is not None and v != "" and v != [] and v != {}}


def codeable_concept(*codings: Mapping[str, str], text: str | None = None) -> Json:
    return compact({"coding": [dict(c) for c in codings], "text": text})


def ncit_codings(concept: tuple[str, str] | None) -> list[dict[str, str]]:
    return [] if concept is None else [{"system": NCIT, "code": concept[0], "display": concept[1]}]


def annotation(text: str) -> Json:
    return {"text": text}


def ucum_quantity(value: float, unit: str, code: str, *, comparator: str | None = None) -> Json:
    return compact({"value": value, "comparator": comparator, "unit": unit, "system": UCUM, "code": code})


@dataclass(frozen=True)
class Urls:
    """The canonical base of this service's FHIR definitions (absolute, no trailing slash) and what it names.

    A configured name (settings.fhir_canonical_base), never the Host of a request."""

    base: str

    def structure_definition(self, name: str) -> str:
        return f"{self.base}/StructureDefinition/{name}"

    @property
    def source_figure(self) -> str:
        return self.structure_definition("source-figure")

    @property
    def recorded_conflict(self) -> str:
        return self.structure_definition("recorded-conflict")

    def code_system(self, name: str) -> str:
        return f"{self.base}/CodeSystem/{name}"

    @property
    def source_identifier(self) -> str:
        return f"{self.base}/NamingSystem/source-document"


# --- shared pieces --------------------------------------------------------------------------


def source_figure_extension(
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
        parts.append({"url": "inferred", "valueString": f"{inference.field}: {inference.reason}"})
    parts.append({"url": "denominatorBasis", "valueCode": figure.denominator_basis.value})
    parts.append({"url": "unlabeled", "valueBoolean": figure.unlabeled})
    if isinstance(figure, OutcomePublic) and figure.response_definition:
        parts.append({"url": "responseDefinition", "valueString": figure.response_definition})
    parts.append({"url": "permalink", "valueUrl": figure.permalink})
    return {"url": urls.source_figure, "extension": parts}


def conflict_extension(urls: Urls, conflict: ConflictPublic, evidence_ids: Mapping[tuple[str, str], str]) -> Json:
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


def conflict_note(conflict: ConflictPublic) -> Json:
    kind = conflict.kind.value.replace("_", " ")
    return annotation(f"Recorded conflict {conflict.id} ({kind}): {conflict.description}")


def _sentence(text: str) -> str:
    """The text ending as a sentence does, once (a derivation may already end with a full stop)."""
    return text if text.endswith((".", "!", "?")) else text + "."


def inferred_sentence(inference: Inference) -> str:
    """One inferred field and why, in the words of the HTML and SVG marks."""
    return _sentence(inferred_note([inference]))


def provenance_note(figure: OutcomePublic | AdverseEventPublic, source_title: str) -> Json:
    return annotation(f"As printed: '{figure.printed}' in {source_title} ({figure.source_id}), at {figure.locator}.")


def figure_notes(figure: OutcomePublic | AdverseEventPublic, source_title: str) -> list[Json]:
    notes = [provenance_note(figure, source_title)]
    # The same words as the marks' hover text on the HTML and SVG faces (api.render.labels).
    for inference in figure.inferred:
        notes.append(annotation(inferred_sentence(inference)))
    if figure.derived:
        notes.append(annotation(_sentence(derived_note(figure.derivation))))
    if figure.unlabeled:
        notes.append(annotation("The source prints this figure without saying exactly what it measures."))
    for text in (figure.caveat, figure.notes):
        if text:
            notes.append(annotation(text))
    return notes


# The EBM IG's role codes for R5's variable roles (measuredVariable is the IG's outcome).
EBM_ROLES = {"population": "population", "exposure": "exposure", "measuredVariable": "outcome"}


def variable_definition(role: str, description: str | None = None, observed: Json | None = None) -> Json:
    """An Evidence.variableDefinition, in R5's terms and the EBM IG's (role-code extension, note slice)."""
    ebm_role = EBM_ROLES[role]
    return compact(
        {
            "extension": [{"url": VARIABLE_ROLE_CODE, "valueCode": ebm_role}],
            "description": description,
            "note": [{"text": ebm_role}],
            "variableRole": codeable_concept({"system": VARIABLE_ROLE, "code": role}, text=VARIABLE_ROLE_TEXT),
            "observed": observed,
        }
    )


def population_text(study: StudyDetail, arm_id: str | None, subgroup: str | None) -> str:
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
    source_dates: dict[str, str | None] = field(default_factory=dict)
    report_ids: dict[str, str] = field(default_factory=dict)
    evidence_ids: dict[tuple[str, str], str] = field(default_factory=dict)
    conflicts: dict[str, ConflictPublic] = field(default_factory=dict)
    time_names: dict[tuple[str, str], str] = field(default_factory=dict)
    """(measure, time-point code) -> the code its time is named by, where a measure's figures write one time two
    ways (24m, 2y): the time has one EvidenceVariable, so a pooled row's outcome variable is its pool's."""

    def time_name(self, measure: str, time_point: str | None) -> str | None:
        return time_point and self.time_names.get((measure, time_point), time_point)

    def outcome_variable_id(self, measure: str, time_point: str | None) -> str:
        """The EvidenceVariable of a measure at a figure's time (the measure alone for none)."""
        return measure_variable_id(measure, self.time_name(measure, time_point))


def provenance_links(ctx: Context, figure: OutcomePublic | AdverseEventPublic, study: StudyDetail) -> list[Json]:
    links = [
        compact(
            {
                "type": "derived-from",
                "label": figure.locator,
                "display": ctx.source_titles.get(figure.source_id),
                "resourceReference": ref("Citation", ctx.source_ids[figure.source_id]),
                "publicationDate": ctx.source_dates.get(figure.source_id),
            }
        ),
        {"type": "derived-from", "display": study.title, "resourceReference": ref("ResearchStudy", fhir_id(study.id))},
    ]
    if figure.report_id is not None and figure.report_id in ctx.report_ids:
        links.append({"type": "derived-from", "resourceReference": ref("Citation", ctx.report_ids[figure.report_id])})
    return links


def with_conflicts(ctx: Context, resource: Json, conflict_ids: Iterable[str]) -> Json:
    conflicts = [ctx.conflicts[c] for c in conflict_ids if c in ctx.conflicts]
    if conflicts:
        resource.setdefault("extension", []).extend(
            conflict_extension(ctx.urls, c, ctx.evidence_ids) for c in conflicts
        )
        resource.setdefault("note", []).extend(conflict_note(c) for c in conflicts)
    return resource
