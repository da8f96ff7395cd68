"""Every served Evidence, EvidenceVariable, Group and Citation meets the EBM IG profiles it claims.

The required elements and slices are encoded here from the IG's own FHIR Shorthand sources, at
its R5 ballot of January 2024 (HL7/ebm, version 1.0.0-ballot, FHIR 5.0.0; commit 80b83745 of
2023-12-15, input/fsh/):
- evidence/p-evidence-r6.fsh (EvidenceR6, parent of the Evidence profiles): each
  variableDefinition has the variable-definition-variable-role-code extension (1..1) and
  variableRole.text "Use extension:variableRoleCode instead."; statistic.modelCharacteristic.value 0..0.
- evidence/p-non-comparative-evidence.fsh: variableDefinition 2..*, sliced by note.text into
  population 1..* (role population, observed only Reference(StudyGroup | ExposureGroup |
  ComparatorGroup | MetaanalysisStudyGroup)) and outcome 1..* (role outcome, observed only
  Reference(VariableDefinition)).
- evidence/p-single-study-evidence.fsh: synthesisType 1..1 = synthesis-type#NotApplicable.
- evidence/p-evidence-synthesis-evidence.fsh: synthesisType 1..1.
- group/p-study-group.fsh (parent GroupR6, only optional extensions): membership = enumerated.
- evidence-variable/p-variable-definition.fsh: the evidence-variable-definition extension 1..1
  (a CodeableReference), characteristic 0..0, handling 1..1.
- citation/p-journal-article-citation.fsh: effectivePeriod 0..0; citedArtifact.classification 1..*
  with the knowledgeArtifactType slice 1..1 (type.coding 1..1 = cited-artifact-classification-type
  #knowledge-artifact-type) whose classifier holds the journalArticle slice 1..1 (coding 1..1 =
  citation-artifact-classifier#D016428).
The ballot has no ResearchStudy profile, so no ResearchStudy claims one.
"""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.fhir.search_index import build_index
from tests.fhir.test_pooled_evidence import POOL, _comparison, _studies
from tests.fhir_checks import fresh_index, resources_of
from tests.render.test_fhir import URLS, _source

Resource = dict[str, Any]
EBM = "http://hl7.org/fhir/uv/ebm/StructureDefinition"
VERSION = "1.0.0-ballot"
ROLE_CODE = f"{EBM}/variable-definition-variable-role-code"
VARIABLE_DEFINITION_EXT = f"{EBM}/evidence-variable-definition"
SYNTHESIS_TYPE = "http://terminology.hl7.org/CodeSystem/synthesis-type"
POPULATION_PROFILES = {f"{EBM}/{p}|{VERSION}" for p in ("study-group", "exposure-group", "comparator-group")}


def profile(name: str) -> str:
    return f"{EBM}/{name}|{VERSION}"


def claims(resource: Resource) -> list[str]:
    return list(resource.get("meta", {}).get("profile", []))


def _target(served: dict[str, dict[str, Resource]], reference: dict[str, Any]) -> Resource:
    kind, _, rid = reference["reference"].partition("/")
    return served[kind][rid]


def evidence_r6(resource: Resource, served: dict[str, dict[str, Resource]]) -> list[str]:
    found = []
    for n, variable in enumerate(resource["variableDefinition"]):
        roles = [e.get("valueCode") for e in variable.get("extension", []) if e["url"] == ROLE_CODE]
        if len(roles) != 1 or roles[0] not in {"population", "exposure", "outcome", "covariate"}:
            found.append(f"variableDefinition[{n}]: variableRoleCode 1..1, got {roles}")
        if variable["variableRole"].get("text") != "Use extension:variableRoleCode instead.":
            found.append(f"variableDefinition[{n}].variableRole.text is not the fixed text")
    for statistic in resource.get("statistic", []):
        if any("value" in m for m in statistic.get("modelCharacteristic", [])):
            found.append("statistic.modelCharacteristic.value is 0..0")
    return found


def non_comparative(resource: Resource, served: dict[str, dict[str, Resource]]) -> list[str]:
    found = evidence_r6(resource, served)
    variables = resource["variableDefinition"]
    if len(variables) < 2:
        found.append("variableDefinition 2..*")
    slices: dict[str, list[dict[str, Any]]] = {"population": [], "outcome": []}
    for variable in variables:
        for note in variable.get("note", []):
            if note.get("text") in slices:
                slices[note["text"]].append(variable)
    for name, members in slices.items():
        if not members:
            found.append(f"variableDefinition[{name}] 1..*")
        for variable in members:
            roles = [e["valueCode"] for e in variable["extension"] if e["url"] == ROLE_CODE]
            if roles != [name]:
                found.append(f"variableDefinition[{name}]: role code {roles}")
            if "observed" not in variable:
                continue
            target = _target(served, variable["observed"])
            if name == "population" and not (
                target["resourceType"] == "Group" and set(claims(target)) & POPULATION_PROFILES
            ):
                found.append(f"population observed {variable['observed']['reference']} is no StudyGroup")
            if name == "outcome" and profile("variable-definition") not in claims(target):
                found.append(f"outcome observed {variable['observed']['reference']} is no VariableDefinition")
    return found


def single_study(resource: Resource, served: dict[str, dict[str, Resource]]) -> list[str]:
    codings = resource.get("synthesisType", {}).get("coding", [])
    ok = any(c.get("system") == SYNTHESIS_TYPE and c.get("code") == "NotApplicable" for c in codings)
    return evidence_r6(resource, served) + ([] if ok else ["synthesisType = NotApplicable"])


def evidence_synthesis(resource: Resource, served: dict[str, dict[str, Resource]]) -> list[str]:
    return evidence_r6(resource, served) + ([] if resource.get("synthesisType") else ["synthesisType 1..1"])


def study_group(resource: Resource, served: dict[str, dict[str, Resource]]) -> list[str]:
    return [] if resource.get("membership") == "enumerated" else ["membership = enumerated"]


def variable_definition(resource: Resource, served: dict[str, dict[str, Resource]]) -> list[str]:
    found = []
    definitions = [e for e in resource.get("extension", []) if e["url"] == VARIABLE_DEFINITION_EXT]
    if len(definitions) != 1 or "valueCodeableReference" not in definitions[0]:
        found.append("evidence-variable-definition extension 1..1 (CodeableReference)")
    if "characteristic" in resource:
        found.append("characteristic 0..0")
    if "handling" not in resource:
        found.append("handling 1..1")
    return found


def journal_article_citation(resource: Resource, served: dict[str, dict[str, Resource]]) -> list[str]:
    found = ["effectivePeriod 0..0"] if "effectivePeriod" in resource else []
    kat = {
        "system": "http://hl7.org/fhir/cited-artifact-classification-type",
        "code": "knowledge-artifact-type",
    }
    classifications = resource.get("citedArtifact", {}).get("classification", [])
    typed = [
        c
        for c in classifications
        if len(c.get("type", {}).get("coding", [])) == 1 and kat.items() <= c["type"]["coding"][0].items()
    ]
    if len(typed) != 1:
        return [*found, f"classification[knowledgeArtifactType] 1..1, got {len(typed)}"]
    articles = [
        c
        for c in typed[0].get("classifier", [])
        if len(c.get("coding", [])) == 1
        and c["coding"][0].get("system") == "http://hl7.org/fhir/citation-artifact-classifier"
        and c["coding"][0].get("code") == "D016428"
    ]
    return found + ([] if len(articles) == 1 else [f"classifier[journalArticle] 1..1, got {len(articles)}"])


PROFILES: dict[str, tuple[str, Callable[[Resource, dict[str, dict[str, Resource]]], list[str]]]] = {
    profile("non-comparative-evidence"): ("Evidence", non_comparative),
    profile("single-study-evidence"): ("Evidence", single_study),
    profile("evidence-synthesis-evidence"): ("Evidence", evidence_synthesis),
    profile("study-group"): ("Group", study_group),
    profile("variable-definition"): ("EvidenceVariable", variable_definition),
    profile("journal-article-citation"): ("Citation", journal_article_citation),
}


def violations(served: dict[str, dict[str, Resource]]) -> list[str]:
    found = []
    for kind, resources in served.items():
        for rid, resource in resources.items():
            for claimed in claims(resource):
                if claimed not in PROFILES or PROFILES[claimed][0] != kind:
                    found.append(f"{kind}/{rid} claims {claimed}, which this test does not know for {kind}")
                    continue
                found += [f"{kind}/{rid} ({claimed}): {p}" for p in PROFILES[claimed][1](resource, served)]
    return found


@pytest.fixture  # per test: see fresh_index
def served(client: TestClient) -> dict[str, dict[str, Resource]]:
    return resources_of(fresh_index(client))


def test_every_served_resource_meets_the_profiles_it_claims(served: dict[str, dict[str, Resource]]) -> None:
    assert violations(served) == []


def test_each_kind_claims_its_profiles(served: dict[str, dict[str, Resource]]) -> None:
    for evidence in served["Evidence"].values():
        assert profile("single-study-evidence") in claims(evidence) or evidence["id"].startswith("comparison-")
    assert sum(profile("non-comparative-evidence") in claims(e) for e in served["Evidence"].values()) > 0
    assert all(claims(g) == [profile("study-group")] for g in served["Group"].values())
    assert any(claims(c) == [profile("journal-article-citation")] for c in served["Citation"].values())
    assert not any(claims(s) for s in served["ResearchStudy"].values()), "the ballot has no ResearchStudy profile"
    # Variables that cannot have one R5 handling (time-to-event with no time point) claim nothing, and
    # the figures measured by them claim SingleStudyEvidence only.
    unclaimed = {v["id"] for v in served["EvidenceVariable"].values() if not claims(v)}
    assert unclaimed and all(not v.get("handling") for k, v in served["EvidenceVariable"].items() if k in unclaimed)


def test_arms_are_study_groups_the_study_names(served: dict[str, dict[str, Resource]]) -> None:
    for study in served["ResearchStudy"].values():
        for arm in study.get("comparisonGroup", []):
            group = _target(served, arm["observedGroup"])
            assert group["name"].endswith(f"arm '{arm['name']}'")
        assert _target(served, study["recruitment"]["actualGroup"])["name"] == study["title"]


def test_the_synthetic_pool_and_its_figures_meet_their_profiles() -> None:
    study_a, study_b = _studies()
    index = build_index(
        URLS,
        studies=[study_a, study_b],
        sources=[_source(), _source("002_def")],
        comparisons=[_comparison()],
        intervals={},
        built_at="2024-01-01",
    )
    served = {kind: dict(by_id) for kind, by_id in index.resources.items()}
    assert claims(served["Evidence"][POOL]) == [profile("evidence-synthesis-evidence")]
    assert violations(served) == []


def test_the_checks_catch_a_broken_resource(served: dict[str, dict[str, Resource]]) -> None:
    """Each check fails on a resource made to break its profile."""
    evidence = next(e for e in served["Evidence"].values() if profile("non-comparative-evidence") in claims(e))
    broken = {**evidence, "variableDefinition": evidence["variableDefinition"][-1:], "synthesisType": {"text": "x"}}
    problems = non_comparative(broken, served) + single_study(broken, served)
    assert any("2..*" in p for p in problems) and any("population" in p for p in problems)
    assert any("NotApplicable" in p for p in problems)
    variable = next(v for v in served["EvidenceVariable"].values() if claims(v))
    assert variable_definition({**variable, "characteristic": [{}]}, served) == ["characteristic 0..0"]
    group = next(iter(served["Group"].values()))
    assert study_group({**group, "membership": "definitional"}, served)
