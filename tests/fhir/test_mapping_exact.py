"""Each figure's Evidence, each population's Group and each study's ResearchStudy, built from the
curated data, compared whole with what the /v1 answers for the same records say.

The expected resources are written here from the mapping docs/fhir.md and api/fhir/resources.py
document (where each field goes, which code system, which profile), reading every value from the
/v1 JSON; the words the faces share (labels, the inferred and derived marks) come from
api.render.labels, as on the HTML and SVG faces. Each test maps the resources afresh (see
tests.fhir_checks.fresh_index).
"""

import hashlib
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.render.labels import derived_note, grade_label, inferred_note, label, time_point_label
from api.settings import FHIR_CANONICAL_BASE_PLACEHOLDER
from models.enums import Measure
from models.figure import Inference
from models.outcome import time_point_months
from tests.fhir_checks import fresh_index

Json = dict[str, Any]
BASE = FHIR_CANONICAL_BASE_PLACEHOLDER
UCUM = "http://unitsofmeasure.org"
EBM = "http://hl7.org/fhir/uv/ebm/StructureDefinition"
STATISTIC_TYPE = "http://terminology.hl7.org/CodeSystem/statistic-type"
STATO = "http://purl.obolibrary.org/obo/stato.owl"
PROPORTION = [
    {"system": STATISTIC_TYPE, "code": "C44256", "display": "Proportion"},
    {"system": STATO, "code": "STATO_0000607", "display": "proportion"},
]
COUNT = [
    {"system": STATISTIC_TYPE, "code": "C25463", "display": "Count"},
    {"system": STATO, "code": "STATO_0000047", "display": "count"},
]
DESCRIPTIVE = [{"system": STATISTIC_TYPE, "code": "descriptive", "display": "Descriptive"}]
CONFIDENCE_INTERVAL = [
    {
        "system": "http://terminology.hl7.org/CodeSystem/attribute-estimate-type",
        "code": "C53324",
        "display": "Confidence interval",
    },
    {"system": STATO, "code": "STATO_0000196", "display": "confidence interval"},
]
P_VALUE = [
    {"system": "http://terminology.hl7.org/CodeSystem/attribute-estimate-type", "code": "C44185", "display": "P-value"}
]
NOT_APPLICABLE = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/synthesis-type",
            "code": "NotApplicable",
            "display": "not applicable",
        }
    ]
}
COMPARATORS = {"less_than": "<", "at_most": "<=", "more_than": ">", "at_least": ">="}
TIME_TO_EVENT = {"os", "efs", "rfs", "pfs", "dfs", "cir"}
ROLE_TEXT = "Use extension:variableRoleCode instead."
UNLABELED = "The source prints this figure without saying exactly what it measures."


def _at(time_point: str | None) -> str:
    """A time point after a measure's name, as the resources word it: ' at 2 years', but ' after cycle 1'."""
    words = time_point_label(time_point)
    return "" if not words else f" {words}" if words.startswith("after ") else f" at {words}"


def fid(raw: str) -> str:
    """Our ids in FHIR form, as fhir_id documents them: '-' for '_' where that makes a FHIR id, else the first 51
    characters made safe and 12 hex digits of the id's SHA-256."""
    candidate = raw.replace("_", "-")
    if re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", candidate):
        return candidate
    return re.sub(r"[^A-Za-z0-9\-.]", "-", raw)[:51] + "-" + hashlib.sha256(raw.encode()).hexdigest()[:12]


def ref(resource_type: str, resource_id: str, display: str | None = None) -> Json:
    return {"reference": f"{resource_type}/{resource_id}", **({"display": display} if display else {})}


def sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def variable(role: str, description: str | None = None, observed: Json | None = None) -> Json:
    ebm_role = {"population": "population", "exposure": "exposure", "measuredVariable": "outcome"}[role]
    return {
        "extension": [{"url": f"{EBM}/variable-definition-variable-role-code", "valueCode": ebm_role}],
        **({"description": description} if description else {}),
        "note": [{"text": ebm_role}],
        "variableRole": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/variable-role", "code": role}],
            "text": ROLE_TEXT,
        },
        **({"observed": observed} if observed else {}),
    }


class Data:
    """What /v1 says: every study in full, every source, and the Wilson interval of every figure."""

    def __init__(self, client: TestClient) -> None:
        ids = [s["id"] for s in client.get("/v1/studies", params={"limit": 500}).json()["items"]]
        self.studies = [client.get(f"/v1/studies/{i}").json() for i in ids]
        self.sources = {s["id"]: s for s in client.get("/v1/sources", params={"limit": 500}).json()["items"]}
        self.conflicts = {c["id"]: c for s in self.studies for c in s["conflicts"]}
        self.intervals: dict[str, tuple[float, float]] = {}
        for measure in Measure:
            rows = client.get("/v1/comparison", params={"measure": measure.value, "subgroup": "any"}).json()["rows"]
            for row in rows:
                if row["interval_method"] == "wilson":
                    self.intervals[row["outcome_id"]] = (row["ci_low"], row["ci_high"])

    def date(self, source_id: str) -> str | None:
        source = self.sources[source_id]
        if source["published"] and re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", source["published"]):
            return str(source["published"])
        return str(source["year"]) if source["year"] else None


@pytest.fixture(scope="module")
def data(client: TestClient) -> Data:
    return Data(client)


def population(study: Json, arm_id: str | None, subgroup: str | None) -> str:
    who = study["title"]
    if arm_id is not None:
        who += f", arm '{next(a['label'] for a in study['arms'] if a['id'] == arm_id)}'"
    if subgroup is not None:
        who += f", subgroup {label(subgroup)}"
    return str(who)


def group_id(study: Json, arm_id: str | None, subgroup: str | None) -> str:
    return fid(f"group-{arm_id or study['id']}" + ("" if subgroup is None else f"-in-{subgroup}"))


def conflict_parts(data: Data, conflict: Json, figure_ids: set[tuple[str, str]]) -> Json:
    parts: list[Json] = [
        {"url": "id", "valueString": conflict["id"]},
        {"url": "kind", "valueCode": conflict["kind"]},
        {"url": "description", "valueString": conflict["description"]},
    ]
    for member in conflict["members"]:
        if (member["kind"], member["id"]) in figure_ids:
            parts.append({"url": "member", "valueReference": ref("Evidence", fid(member["id"]), member["printed"])})
        else:
            parts.append({"url": "member", "valueString": f"{member['kind']} {member['id']}: {member['printed']}"})
    return {"url": f"{BASE}/StructureDefinition/recorded-conflict", "extension": parts}


def conflict_note(conflict: Json) -> Json:
    kind = conflict["kind"].replace("_", " ")
    return {"text": f"Recorded conflict {conflict['id']} ({kind}): {conflict['description']}"}


def figure_ids(data: Data) -> set[tuple[str, str]]:
    return {("outcome", o["id"]) for s in data.studies for o in s["outcomes"]} | {
        ("adverse_event", e["id"]) for s in data.studies for e in s["adverse_events"]
    }


def source_figure(figure: Json) -> Json:
    parts: list[Json] = [
        {"url": "printed", "valueString": figure["printed"]},
        {"url": "source", "valueReference": ref("Citation", fid(figure["source_id"]))},
        {"url": "locator", "valueString": figure["locator"]},
        {"url": "qualifier", "valueCode": figure["qualifier"]},
        {"url": "derived", "valueBoolean": figure["derived"]},
    ]
    if figure["derivation"]:
        parts.append({"url": "derivation", "valueString": figure["derivation"]})
    parts += [{"url": "inferred", "valueString": f"{i['field']}: {i['reason']}"} for i in figure["inferred"]]
    parts.append({"url": "denominatorBasis", "valueCode": figure["denominator_basis"]})
    parts.append({"url": "unlabeled", "valueBoolean": figure["unlabeled"]})
    if figure.get("response_definition"):
        parts.append({"url": "responseDefinition", "valueString": figure["response_definition"]})
    parts.append({"url": "permalink", "valueUrl": figure["permalink"]})
    return {"url": f"{BASE}/StructureDefinition/source-figure", "extension": parts}


def notes(data: Data, figure: Json) -> list[Json]:
    source = data.sources[figure["source_id"]]
    found = [
        {"text": f"As printed: '{figure['printed']}' in {source['title']} ({source['id']}), at {figure['locator']}."}
    ]
    found += [{"text": sentence(inferred_note([Inference.model_validate(i)]))} for i in figure["inferred"]]
    if figure["derived"]:
        found.append({"text": sentence(derived_note(figure["derivation"]))})
    if figure["unlabeled"]:
        found.append({"text": UNLABELED})
    found += [{"text": text} for text in (figure["caveat"], figure["notes"]) if text]
    return found


def provenance(data: Data, figure: Json, study: Json) -> list[Json]:
    source = data.sources[figure["source_id"]]
    links: list[Json] = [
        {
            "type": "derived-from",
            "label": figure["locator"],
            "display": source["title"],
            "resourceReference": ref("Citation", fid(source["id"])),
            **({"publicationDate": data.date(source["id"])} if data.date(source["id"]) else {}),
        },
        {
            "type": "derived-from",
            "display": study["title"],
            "resourceReference": ref("ResearchStudy", fid(study["id"])),
        },
    ]
    if figure.get("report_id"):
        links.append({"type": "derived-from", "resourceReference": ref("Citation", fid(figure["report_id"]))})
    return links


def with_conflicts(data: Data, resource: Json, conflict_ids: list[str]) -> Json:
    conflicts = [data.conflicts[c] for c in conflict_ids]
    if conflicts:
        members = figure_ids(data)
        resource.setdefault("extension", []).extend(conflict_parts(data, c, members) for c in conflicts)
        resource.setdefault("note", []).extend(conflict_note(c) for c in conflicts)
    return resource


def quantity(value: float, unit: str, code: str, comparator: str | None = None) -> Json:
    return {
        "value": value,
        **({"comparator": comparator} if comparator else {}),
        "unit": unit,
        "system": UCUM,
        "code": code,
    }


def outcome_statistic(data: Data, outcome: Json) -> Json:
    comparator = COMPARATORS.get(outcome["qualifier"])
    value, unit = outcome["value"], outcome["unit"]
    statistic: Json = {"description": f"{label(outcome['measure'])} as printed: {outcome['printed']}"}
    if value is not None and unit == "percent":
        statistic |= {"statisticType": {"coding": PROPORTION}, "quantity": quantity(value, "%", "%", comparator)}
    elif value is not None and unit == "patients":
        statistic |= {
            "statisticType": {"coding": COUNT},
            "quantity": quantity(value, "patients", "{patients}", comparator),
        }
    elif value is not None and unit == "months":
        statistic |= {"statisticType": {"coding": DESCRIPTIVE}, "quantity": quantity(value, "months", "mo", comparator)}
    elif outcome["numerator"] is not None and outcome["denominator"] is not None:
        statistic["statisticType"] = {"coding": PROPORTION}
    else:
        statistic["statisticType"] = {"coding": DESCRIPTIVE}
    if outcome["numerator"] is not None:
        statistic["numberOfEvents"] = outcome["numerator"]
    if outcome["denominator"] is not None:
        statistic["sampleSize"] = {"numberOfParticipants": outcome["denominator"]}
    estimates = []
    if outcome["id"] in data.intervals:
        low, high = data.intervals[outcome["id"]]
        estimates.append(
            {
                "description": "Wilson score 95% interval computed by this service from the counts; "
                "not printed in the source.",
                "type": {"coding": CONFIDENCE_INTERVAL},
                "level": 0.95,
                "range": {"low": quantity(low, "proportion", "1"), "high": quantity(high, "proportion", "1")},
            }
        )
    assert outcome["value_low"] is None, "the curated data print no range (tests/render/test_fhir.py has one)"
    if outcome["p_value"] is not None:
        said = ", ".join(x for x in (outcome["p_value_printed"], outcome["comparison"]) if x)
        estimates.append(
            {
                "description": said or "p-value as printed",
                "type": {"coding": P_VALUE},
                "quantity": {"value": outcome["p_value"]},
            }
        )
    if estimates:
        statistic["attributeEstimate"] = estimates
    return statistic


def outcome_evidence(data: Data, outcome: Json, study: Json) -> Json:
    what = f"{label(outcome['measure'])}{_at(outcome['time_point'])}"
    who = population(study, outcome["arm_id"], outcome["subgroup"])
    variables = [
        variable("population", who, ref("Group", group_id(study, outcome["arm_id"], outcome["subgroup"]), who))
    ]
    if outcome["arm_id"] is not None:
        arm = next(a for a in study["arms"] if a["id"] == outcome["arm_id"])
        variables.append(variable("exposure", arm["description"] or arm["label"]))
    measure_id = f"measure-{fid(outcome['measure'])}"
    if outcome["time_point"]:
        measure_id = fid(f"{measure_id}-at-{outcome['time_point']}")
    variables.append(variable("measuredVariable", what, ref("EvidenceVariable", measure_id)))
    one_handling = outcome["time_point"] is not None or outcome["measure"] not in TIME_TO_EVENT
    profiles = ["non-comparative-evidence", "single-study-evidence"] if one_handling else ["single-study-evidence"]
    resource = {
        "resourceType": "Evidence",
        "id": fid(outcome["id"]),
        "meta": {"profile": [f"{EBM}/{p}|1.0.0-ballot" for p in profiles]},
        "extension": [source_figure(outcome)],
        "title": f"{what}: {who}",
        "status": "active",
        "relatedArtifact": provenance(data, outcome, study),
        "description": f"{label(outcome['measure'])} reported for {who}.",
        "note": notes(data, outcome),
        "variableDefinition": variables,
        "synthesisType": NOT_APPLICABLE,
        "studyDesign": [{"text": label(study["design"])}],
        "statistic": [outcome_statistic(data, outcome)],
    }
    return with_conflicts(data, resource, outcome["conflict_ids"])


def adverse_event_evidence(data: Data, event: Json, study: Json) -> Json:
    who = population(study, event["arm_id"], event["subgroup"])
    grades = grade_label(event["grade_min"], event["grade_max"])
    grading = "" if event["grading_system"] == "not_stated" else f", {label(event['grading_system'])}"
    comparator = COMPARATORS.get(event["qualifier"])
    statistic: Json = {"description": f"{label(event['term'])}, {grades}{grading}; as printed: {event['printed']}"}
    if event["percentage"] is not None:
        statistic |= {
            "statisticType": {"coding": PROPORTION},
            "quantity": quantity(event["percentage"], "%", "%", comparator),
        }
    elif event["patients"] is not None:
        statistic |= {
            "statisticType": {"coding": COUNT},
            "quantity": quantity(float(event["patients"]), "patients", "{patients}", comparator),
        }
    else:
        statistic["statisticType"] = {"coding": DESCRIPTIVE}
    if event["patients"] is not None:
        statistic["numberOfEvents"] = event["patients"]
    if event["at_risk"] is not None:
        statistic["sampleSize"] = {"numberOfParticipants": event["at_risk"]}
    resource = {
        "resourceType": "Evidence",
        "id": fid(event["id"]),
        "meta": {"profile": [f"{EBM}/{p}|1.0.0-ballot" for p in ("non-comparative-evidence", "single-study-evidence")]},
        "extension": [source_figure(event)],
        "title": f"{label(event['term'])} ({grades}): {who}",
        "status": "active",
        "relatedArtifact": provenance(data, event, study),
        "description": f"Patients with {label(event['term'])} in {who}; numberOfEvents counts patients.",
        "note": notes(data, event),
        "variableDefinition": [
            variable("population", who, ref("Group", group_id(study, event["arm_id"], event["subgroup"]), who)),
            variable(
                "measuredVariable",
                f"{label(event['term'])}, {grades}",
                ref("EvidenceVariable", f"adverse-event-{fid(event['term'])}"),
            ),
        ],
        "synthesisType": NOT_APPLICABLE,
        "studyDesign": [{"text": label(study["design"])}],
        "statistic": [statistic],
    }
    return with_conflicts(data, resource, event["conflict_ids"])


def test_each_outcome_figure_is_its_evidence_exactly(client: TestClient, data: Data) -> None:
    evidence = fresh_index(client).resources["Evidence"]
    checked = 0
    for study in data.studies:
        for outcome in study["outcomes"]:
            assert evidence[fid(outcome["id"])] == outcome_evidence(data, outcome, study), outcome["id"]
            checked += 1
    assert checked > 0 and any(data.intervals), "no outcome figure, or none with an interval"


def test_each_adverse_event_figure_is_its_evidence_exactly(client: TestClient, data: Data) -> None:
    evidence = fresh_index(client).resources["Evidence"]
    events = [(e, s) for s in data.studies for e in s["adverse_events"]]
    assert events
    for event, study in events:
        assert evidence[fid(event["id"])] == adverse_event_evidence(data, event, study), event["id"]


def test_each_population_a_figure_is_about_is_a_group_of_its_size(client: TestClient, data: Data) -> None:
    groups = fresh_index(client).resources["Group"]
    expected = {}
    for study in data.studies:
        populations = {(None, None), *((a["id"], None) for a in study["arms"])}
        populations |= {(f["arm_id"], f["subgroup"]) for f in [*study["outcomes"], *study["adverse_events"]]}
        for arm_id, subgroup in populations:
            arm = next((a for a in study["arms"] if a["id"] == arm_id), None)
            size = study["n_enrolled"] if arm_id is None else arm["n"] if arm else None
            description = arm["description"] if arm is not None and subgroup is None else None
            group: Json = {
                "resourceType": "Group",
                "id": group_id(study, arm_id, subgroup),
                "meta": {"profile": [f"{EBM}/study-group|1.0.0-ballot"]},
                "name": population(study, arm_id, subgroup),
                **({"description": description} if description else {}),
                "type": "person",
                "membership": "enumerated",
                **({"quantity": size} if size is not None and subgroup is None else {}),
            }
            expected[group["id"]] = group
    assert groups == expected


NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
# The NCIt concepts of the project's verified code list (terminology.csv beside the curation rules).
DISEASES = {
    "T-ALL": ("C3183", "T Acute Lymphoblastic Leukemia"),
    "T-LBL": ("C6919", "T Lymphoblastic Lymphoma"),
    "ETP-ALL": ("C130043", "Early T Acute Lymphoblastic Leukemia"),
    "B-ALL": ("C8644", "B Acute Lymphoblastic Leukemia"),
}
# R5's research-study-phase codes for the phases a source states.
PHASES = {"I": "phase-1", "I/II": "phase-1-phase-2", "II": "phase-2", "III": "phase-3", "not_applicable": "n-a"}


def research_study(data: Data, study: Json) -> Json:
    identifiers = [
        {**({"system": "http://clinicaltrials.gov"} if re.fullmatch(r"NCT\d{8}", r) else {}), "value": r}
        for r in study["registry_ids"]
    ]
    links: list[Json] = [
        {
            "type": "derived-from",
            "resourceReference": ref("Citation", fid(s), data.sources[s]["title"]),
            **({"publicationDate": data.date(s)} if data.date(s) else {}),
        }
        for s in study["source_ids"]
    ]
    links += [
        {
            "type": "predecessor" if link["relation"] == "follow_up_of" else "similar-to",
            "label": label(link["relation"]),
            **({"display": link["note"]} if link["note"] else {}),
            "resourceReference": ref("ResearchStudy", fid(link["related_study_id"])),
        }
        for link in study["related_studies"]
    ]
    notes = [{"text": study["notes"]}] if study["notes"] else []
    if study["enrolled_printed"]:
        notes.append({"text": f"Enrolment as printed: {study['enrolled_printed']}."})
    for record in (study, *study["car_products"]):
        notes += [{"text": sentence(inferred_note([Inference.model_validate(i)]))} for i in record["inferred"]]
    measures = sorted({(o["measure"], o["time_point"] or "") for o in study["outcomes"]})
    period = {k: str(study[f"period_{k}"]) for k in ("start", "end") if study[f"period_{k}"]}
    resource: Json = {
        "resourceType": "ResearchStudy",
        "id": fid(study["id"]),
        "identifier": identifiers,
        "title": study["title"],
        "label": [{"value": study["acronym"]}] if study["acronym"] else [],
        "status": "active",
        "relatedArtifact": links,
        "studyDesign": [{"text": label(study["design"])}],
        "focus": [{"concept": {"text": label(a)}} for a in study["agents"]],
        "condition": [
            {
                **(
                    {"coding": [{"system": NCIT, "code": DISEASES[d][0], "display": DISEASES[d][1]}]}
                    if d in DISEASES
                    else {}
                ),
                "text": d,
            }
            for d in study["diseases"]
        ],
        "keyword": [{"text": label(t)} for t in study["therapy_classes"]],
        "descriptionSummary": study["summary"],
        "period": period,
        "note": notes,
        "recruitment": {
            **({"actualNumber": study["n_enrolled"]} if study["n_enrolled"] is not None else {}),
            "actualGroup": ref("Group", group_id(study, None, None)),
        },
        "comparisonGroup": [
            {
                "linkId": fid(arm["id"]),
                "name": arm["label"],
                **({"description": arm["description"]} if arm["description"] else {}),
                "observedGroup": ref("Group", group_id(study, arm["id"], None)),
            }
            for arm in study["arms"]
        ],
        "outcomeMeasure": [
            {
                "name": f"{label(m)}{_at(t)}",
                "reference": ref("EvidenceVariable", fid(f"measure-{fid(m)}-at-{t}") if t else f"measure-{fid(m)}"),
            }
            for m, t in measures
        ],
        "result": [ref("Citation", fid(r["id"])) for r in study["reports"]],
    }
    if study["phase"] in PHASES:
        resource["phase"] = {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/research-study-phase", "code": PHASES[study["phase"]]}
            ]
        }
    resource = {k: v for k, v in resource.items() if v not in ([], {}, None, "")}
    return with_conflicts(data, resource, [c["id"] for c in study["conflicts"]])


def test_each_study_is_its_research_study_exactly(client: TestClient, data: Data) -> None:
    studies = fresh_index(client).resources["ResearchStudy"]
    assert set(studies) == {fid(s["id"]) for s in data.studies}
    for study in data.studies:
        assert studies[fid(study["id"])] == research_study(data, study), study["id"]
    assert any(s["conflicts"] for s in data.studies) and any(s["arms"] for s in data.studies)


def source_citation(data: Data, source: Json) -> Json:
    journal_article = source["kind"] in ("journal_article", "review") and bool(source["venue"])
    identifiers = [{"system": f"{BASE}/NamingSystem/source-document", "value": source["id"]}]
    identifiers += [
        {**({"system": "https://doi.org"} if scheme == "doi" else {}), "value": value, "type": {"text": scheme}}
        for scheme, value in sorted(source["identifiers"].items())
    ]
    when = source["published"] or (str(source["year"]) if source["year"] else None)
    bits = [", ".join(source["authors"]), source["title"], source["venue"], when]
    form = {
        **({"publishedIn": {"title": source["venue"]}} if source["venue"] else {}),
        **({"articleDate": data.date(source["id"])} if data.date(source["id"]) else {}),
        **({"publicationDateText": source["published"]} if source["published"] else {}),
    }
    classifier: list[Json] = [{"text": label(source["kind"])}]
    classification: Json = {"classifier": classifier}
    if journal_article:
        classifier.insert(
            0,
            {
                "coding": [
                    {
                        "system": "http://hl7.org/fhir/citation-artifact-classifier",
                        "code": "D016428",
                        "display": "Journal Article",
                    }
                ]
            },
        )
        classification["type"] = {
            "coding": [
                {
                    "system": "http://hl7.org/fhir/cited-artifact-classification-type",
                    "code": "knowledge-artifact-type",
                    "display": "Knowledge Artifact Type",
                }
            ]
        }
    cited: Json = {
        "identifier": identifiers,
        "title": [{"text": source["title"]}],
        "classification": [classification],
    }
    if form:
        cited["publicationForm"] = [form]
    if source["authors"]:
        author_string = {
            "system": "http://terminology.hl7.org/CodeSystem/contributor-summary-type",
            "code": "author-string",
        }
        cited["contributorship"] = {
            "summary": [{"type": {"coding": [author_string]}, "value": ", ".join(source["authors"])}]
        }
    resource: Json = {
        "resourceType": "Citation",
        "id": fid(source["id"]),
        **({"meta": {"profile": [f"{EBM}/journal-article-citation|1.0.0-ballot"]}} if journal_article else {}),
        "title": source["title"],
        "status": "active",
        **({"description": source["summary"]} if source["summary"] else {}),
        "summary": [{"text": ". ".join(b for b in bits if b) + "."}],
        "note": [{"text": f"SHA-256 of the document's text as curated: {source['sha256']}."}],
        "citedArtifact": cited,
    }
    touching = [c["id"] for c in data.conflicts.values() if any(m["source_id"] == source["id"] for m in c["members"])]
    return with_conflicts(data, resource, touching)


def report_citation(data: Data, report: Json, study: Json) -> Json:
    source_title = data.sources[report["source_id"]]["title"]
    notes = [{"text": f"Named in {source_title} ({report['source_id']}), at {report['locator']}."}]
    if report["abstract_number"]:
        notes.append({"text": f"Abstract number as cited: {report['abstract_number']}."})
    if report["n_patients"] is not None:
        notes.append({"text": f"Patients covered by this report, as printed: {report['n_patients']}."})
    if report["follow_up"]:
        notes.append({"text": f"Follow-up as printed: {report['follow_up']}."})
    form = {
        **({"publishedIn": {"title": report["venue"]}} if report["venue"] else {}),
        **({"articleDate": str(report["year"])} if report["year"] else {}),
    }
    cited: Json = {
        "title": [{"text": report["citation"] or f"Report of {study['title']}"}],
        "relatesTo": [
            {
                "type": "cited-by",
                "label": report["locator"],
                "resourceReference": ref("Citation", fid(report["source_id"]), source_title),
            },
            {"type": "documentation", "resourceReference": ref("ResearchStudy", fid(study["id"]), study["title"])},
        ],
    }
    if form:
        cited["publicationForm"] = [form]
    return {
        "resourceType": "Citation",
        "id": fid(report["id"]),
        "title": f"Report of {study['title']} cited in {source_title}",
        "status": "active",
        **({"summary": [{"text": report["citation"]}]} if report["citation"] else {}),
        "note": notes,
        "citedArtifact": cited,
    }


def test_each_source_document_and_report_is_its_citation_exactly(client: TestClient, data: Data) -> None:
    citations = fresh_index(client).resources["Citation"]
    expected = {fid(s["id"]): source_citation(data, s) for s in data.sources.values()}
    expected |= {fid(r["id"]): report_citation(data, r, s) for s in data.studies for r in s["reports"]}
    assert set(citations) == set(expected)
    for citation_id, citation in expected.items():
        assert citations[citation_id] == citation, citation_id


MEASURE_CONCEPTS = {
    "cr": ("C4870", "Complete Remission"),
    "cri": ("C103385", "Complete Response with Incomplete Bone Marrow Recovery"),
    "pr": ("C18058", "Partial Remission"),
}
VARIABLE_PROFILE = f"{EBM}/variable-definition|1.0.0-ballot"


def definition(system: str, code: str, text: str, *ncit: tuple[str, str]) -> list[Json]:
    codings = [{"system": f"{BASE}/CodeSystem/{system}", "code": code, "display": label(code)}]
    codings += [{"system": NCIT, "code": c, "display": d} for c, d in ncit]
    concept = {"coding": codings, "text": text}
    return [{"url": f"{EBM}/evidence-variable-definition", "valueCodeableReference": {"concept": concept}}]


def variables(data: Data) -> dict[str, Json]:
    expected: dict[str, Json] = {}
    outcomes = [o for s in data.studies for o in s["outcomes"]]
    for measure in sorted({o["measure"] for o in outcomes}):
        ncit = [MEASURE_CONCEPTS[measure]] if measure in MEASURE_CONCEPTS else []
        one_handling = measure not in TIME_TO_EVENT
        expected[f"measure-{fid(measure)}"] = {
            "resourceType": "EvidenceVariable",
            "id": f"measure-{fid(measure)}",
            **({"meta": {"profile": [VARIABLE_PROFILE]}} if one_handling else {}),
            "extension": definition("measure", measure, label(measure), *ncit),
            "name": "Measure" + re.sub(r"[^A-Za-z0-9]", "", measure.title()),
            "title": label(measure),
            "status": "active",
            "description": f"Outcome measure '{label(measure)}' as the sources report it, at any time point.",
            **({"handling": "dichotomous"} if one_handling else {}),
        }
        for time_point in sorted({o["time_point"] for o in outcomes if o["measure"] == measure and o["time_point"]}):
            months = time_point_months(time_point)
            after = f"{time_point_label(time_point)} (code '{time_point}'"
            if months is not None:
                after += f", {months:g} months"
            elif re.fullmatch(r"d[0-9]+", time_point):
                after += f", {int(time_point[1:])} days"
            what = f"{label(measure)}{_at(time_point)}"
            joined = _at(time_point).removesuffix(time_point_label(time_point))  # ' at ', or ' ' before 'after'
            variable_id = fid(f"measure-{fid(measure)}-at-{time_point}")
            expected[variable_id] = {
                "resourceType": "EvidenceVariable",
                "id": variable_id,
                "meta": {"profile": [VARIABLE_PROFILE]},
                "extension": definition("measure", measure, what, *ncit),
                "title": what,
                "status": "active",
                "description": f"Outcome measure '{label(measure)}'{joined}{after}), from the event each source counts "
                "from: whether each patient had it by then.",
                "relatedArtifact": [
                    {"type": "derived-from", "resourceReference": ref("EvidenceVariable", f"measure-{fid(measure)}")}
                ],
                "handling": "dichotomous",
            }
    for term in sorted({e["term"] for s in data.studies for e in s["adverse_events"]}):
        expected[f"adverse-event-{fid(term)}"] = {
            "resourceType": "EvidenceVariable",
            "id": f"adverse-event-{fid(term)}",
            "meta": {"profile": [VARIABLE_PROFILE]},
            "extension": definition("adverse-event-term", term, label(term)),
            "title": label(term),
            "status": "active",
            "description": f"Adverse event '{label(term)}'; each Evidence states the grades and grading system.",
            "handling": "dichotomous",
        }
    return expected


def test_each_measure_time_point_and_term_is_its_evidence_variable_exactly(client: TestClient, data: Data) -> None:
    served = fresh_index(client).resources["EvidenceVariable"]
    expected = variables(data)
    assert set(served) == set(expected)
    for variable_id, variable in expected.items():
        assert served[variable_id] == variable, variable_id
    assert any("months" in v["description"] for v in expected.values())
    assert any("days" in v["description"] for v in expected.values())
