"""Checks on FHIR JSON that fhir.resources does not make: value sets, empty arrays, references.

The value sets are copied from FHIR R5 (hl7.fhir.r5.core 5.0.0) and HL7 Terminology; a code
the service emits outside them fails the test naming it.
"""

from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient
from fhir.resources import get_fhir_model_class
from sqlmodel import Session

from api.fhir.elements import Urls
from api.fhir.queries import fhir_inputs
from api.fhir.search_index import FhirIndex, build_index
from api.queries.comparison import wilson_interval
from api.state import app_state
from models.comparison import ComparisonRow
from models.outcome import OutcomePublic

VALUE_SETS: dict[str, set[str]] = {
    "http://terminology.hl7.org/CodeSystem/statistic-type": set(
        "absolute-MedianDiff C25463 0000301 predictedRisk descriptive C93150 C16726 rate-ratio C25564 C53319 "
        "0000457 C28007 C25570 C16932 C65172 C17010 C44256 0000565 C93152 0000424 C65171 0000100".split()
    ),
    "http://terminology.hl7.org/CodeSystem/attribute-estimate-type": set(
        "0000419 C53324 0000455 0000420 C53245 C44185 C38013 C53322 0000037 0000421 C48918".split()
    ),
    "http://hl7.org/fhir/statistic-model-code": set(
        "oneTailedTest twoTailedTest zTest oneSampleTTest twoSampleTTest pairedTTest chiSquareTest "
        "chiSquareTestTrend pearsonCorrelation anova anovaOneWay anovaTwoWay anovaTwoWayReplication manova "
        "anovaThreeWay signTest wilcoxonSignedRankTest wilcoxonRankSumTest mannWhitneyUTest fishersExactTest "
        "mcnemarsTest kruskalWallisTest spearmanCorrelation kendallCorrelation friedmanTest goodmanKruskasGamma "
        "glm glmProbit glmLogit glmIdentity glmLog glmGeneralizedLogit glmm glmmProbit glmmLogit glmmIdentity "
        "glmmLog glmmGeneralizedLogit linearRegression logisticRegression polynomialRegression "
        "coxProportionalHazards binomialDistributionRegression multinomialDistributionRegression "
        "poissonRegression negativeBinomialRegression zeroCellConstant zeroCellContinuityCorrection adjusted "
        "interactionTerm manteHaenszelMethod metaAnalysis inverseVariance petoMethod hartungKnapp "
        "modifiedHartungKnapp effectsFixed effectsRandom chiSquareTestHomogeneity dersimonianLairdMethod "
        "pauleMandelMethod restrictedLikelihood maximumLikelihood empiricalBayes hunterSchmidt sidikJonkman "
        "hedgesMethod tauDersimonianLaird tauPauleMandel tauRestrictedMaximumLikelihood tauMaximumLikelihood "
        "tauEmpiricalBayes tauHunterSchmidt tauSidikJonkman tauHedges poolMantelHaenzsel poolInverseVariance "
        "poolPeto poolGeneralizedLinearMixedModel".split()
    ),
    "http://terminology.hl7.org/CodeSystem/variable-role": {
        "population",
        "subpopulation",
        "exposure",
        "referenceExposure",
        "measuredVariable",
        "confounder",
    },
    "http://terminology.hl7.org/CodeSystem/synthesis-type": {
        "std-MA",
        "IPD-MA",
        "indirect-NMA",
        "combined-NMA",
        "range",
        "classification",
        "NotApplicable",
    },
    "http://terminology.hl7.org/CodeSystem/research-study-phase": {
        "n-a",
        "early-phase-1",
        "phase-1",
        "phase-1-phase-2",
        "phase-2",
        "phase-2-phase-3",
        "phase-3",
        "phase-4",
    },
    "http://terminology.hl7.org/CodeSystem/contributor-summary-type": {
        "author-string",
        "contributorship-list",
        "contributorship-statement",
        "acknowledgement-list",
        "acknowledgment-statement",
        "funding-statement",
        "competing-interests-statement",
    },
    # NCIt concepts of the project's verified code list (terminology.csv): diseases and measures.
    "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl": {
        "C3183",
        "C6919",
        "C130043",
        "C8644",
        "C4870",
        "C103385",
        "C18058",
    },
    "http://terminology.hl7.org/CodeSystem/v3-ObservationValue": {"SUBSETTED"},
    # Only the STATO classes the service uses and whose identifiers were checked (0000607 proportion
    # and 0000047 count as the EBM IG's examples code them).
    "http://purl.obolibrary.org/obo/stato.owl": {"STATO_0000196", "STATO_0000607", "STATO_0000047"},
    # EBM IG (1.0.0-ballot) JournalArticleCitation's fixed codings.
    "http://hl7.org/fhir/cited-artifact-classification-type": {"knowledge-artifact-type"},
    "http://hl7.org/fhir/citation-artifact-classifier": {"D016428"},
}
PUBLICATION_STATUS = {"draft", "active", "retired", "unknown"}
RELATED_ARTIFACT_TYPES = {"derived-from", "similar-to", "predecessor", "cited-by", "documentation", "part-of"}
QUANTITY_COMPARATORS = {"<", "<=", ">=", ">", "ad"}
REQUIRED_ARRAYS: dict[str, tuple[str, ...]] = {
    "Evidence": ("variableDefinition", "statistic"),
    # (R5 EvidenceVariable.characteristic is 0..*; the EBM IG's VariableDefinition forbids it.)
    "ResearchStudy": ("studyDesign",),
    "Citation": ("citedArtifact.title",),
    "CapabilityStatement": ("format", "rest"),
    "OperationOutcome": ("issue",),
}


def validate(resource: dict[str, Any]) -> None:
    """Parse with fhir.resources (R5): raises on any structural or type error."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, value) below value, depth first."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from walk(item, f"{path}[{n}]")


def problems(resource: dict[str, Any], own_base: str) -> list[str]:
    """What is wrong with a resource beyond its structure; an empty list when nothing is."""
    found = []
    for path, value in walk(resource):
        if value in ([], {}, "", None):
            found.append(f"{path}: empty (FHIR forbids empty arrays, objects and strings)")
        if isinstance(value, dict) and "system" in value and "code" in value and "value" not in value:
            system, code = value["system"], value["code"]
            if system in VALUE_SETS and code not in VALUE_SETS[system]:
                found.append(f"{path}: code {code!r} is not in {system}")
            elif system not in VALUE_SETS and not system.startswith(own_base):
                found.append(f"{path}: system {system!r} is neither checked here nor defined by this service")
        if isinstance(value, dict) and "comparator" in value and value["comparator"] not in QUANTITY_COMPARATORS:
            found.append(f"{path}: comparator {value['comparator']!r}")
        if path.endswith(("relatesTo", "relatedArtifact")) and isinstance(value, list):
            found += [f"{path}: type {r['type']!r}" for r in value if r.get("type") not in RELATED_ARTIFACT_TYPES]
    if "status" in resource and resource["resourceType"] not in ("OperationOutcome", "Bundle"):
        if resource["status"] not in PUBLICATION_STATUS:
            found.append(f"status {resource['status']!r} is not a publication status")
    for required in REQUIRED_ARRAYS.get(resource["resourceType"], ()):
        value: Any = resource
        for part in required.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if not value:
            found.append(f"{required}: required and missing")
    return found


def references(resource: dict[str, Any]) -> set[str]:
    """Every literal reference (Type/id) in a resource."""
    return {
        value["reference"]
        for _, value in walk(resource)
        if isinstance(value, dict) and isinstance(value.get("reference"), str)
    }


def fresh_index(client: TestClient) -> FhirIndex:
    """The FHIR resources of the client's dataset, mapped afresh, as the service maps them on first use.

    The service maps them once per process and keeps them, so only the first test that reads one
    would reach the mapping: a test that checks what the mapping says builds its own (mutation
    testing runs against each mutant only the tests that reached its function).
    """
    state = app_state(client.app)
    with Session(state.database.engine) as session:
        inputs = fhir_inputs(session, state.meta.dataset_version)
    return build_index(
        Urls(state.fhir_canonical_base),
        studies=inputs.studies,
        sources=inputs.sources,
        comparisons=inputs.comparisons,
        intervals=inputs.intervals,
        built_at=state.meta.built_at,
    )


def resources_of(index: FhirIndex) -> dict[str, dict[str, dict[str, Any]]]:
    """An index's resources, by type and id."""
    return {kind: dict(by_id) for kind, by_id in index.resources.items()}


def pooled_row(outcome: OutcomePublic, *, study_title: str, label: str, pooled: bool = True) -> ComparisonRow:
    """A comparison's row for an outcome figure with counts, with its Wilson interval, for Evidence built in a test."""
    assert outcome.numerator is not None and outcome.denominator is not None
    low, high = wilson_interval(outcome.numerator, outcome.denominator)
    return ComparisonRow(
        outcome_id=outcome.id,
        study_id=outcome.study_id,
        study_title=study_title,
        n=outcome.denominator,
        events=outcome.numerator,
        proportion=outcome.numerator / outcome.denominator,
        ci_low=low,
        ci_high=high,
        interval_method="wilson",
        printed=outcome.printed,
        permalink=outcome.permalink,
        source_id=outcome.source_id,
        locator=outcome.locator,
        derived=False,
        label=label,
        denominator_basis=outcome.denominator_basis,
        pooled=pooled,
    )
