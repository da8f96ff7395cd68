"""Code systems and codings the FHIR resources use: HL7 terminology, STATO, UCUM, NCIt, registries.

NCIt and STATO codes only where the identifier was verified; our own vocabularies are under
<base>/CodeSystem/<name> (see Urls in api.fhir.elements)."""

from models.enums import Disease, Measure, Phase, ValueQualifier

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

# STATO classes for the statistic types, as the EBM IG's own examples code them (HL7/ebm,
# SEVCO codings STATO:0000607 proportion, STATO:0000047 count), beside the R5 statistic-type codes.
STATO_PROPORTION = {"system": STATO, "code": "STATO_0000607", "display": "proportion"}
STATO_COUNT = {"system": STATO, "code": "STATO_0000047", "display": "count"}

# The HL7 Evidence-Based Medicine IG (EBMonFHIR), its R5 ballot of January 2024 (1.0.0-ballot,
# FHIR 5.0.0): profiles claimed in meta.profile, pinned to that version, and its extensions.
EBM_VERSION = "1.0.0-ballot"
EBM_STRUCTURES = "http://hl7.org/fhir/uv/ebm/StructureDefinition"


def ebm_profile(profile_id: str) -> str:
    return f"{EBM_STRUCTURES}/{profile_id}|{EBM_VERSION}"


SINGLE_STUDY_EVIDENCE = ebm_profile("single-study-evidence")
NON_COMPARATIVE_EVIDENCE = ebm_profile("non-comparative-evidence")
EVIDENCE_SYNTHESIS_EVIDENCE = ebm_profile("evidence-synthesis-evidence")
STUDY_GROUP = ebm_profile("study-group")
VARIABLE_DEFINITION = ebm_profile("variable-definition")
JOURNAL_ARTICLE_CITATION = ebm_profile("journal-article-citation")
VARIABLE_ROLE_CODE = f"{EBM_STRUCTURES}/variable-definition-variable-role-code"
EVIDENCE_VARIABLE_DEFINITION = f"{EBM_STRUCTURES}/evidence-variable-definition"
STATISTIC_MODEL_VALUE_QUANTITY = f"{EBM_STRUCTURES}/statistic-model-value-quantity"
VARIABLE_ROLE_TEXT = "Use extension:variableRoleCode instead."
"""EvidenceR6 fixes variableDefinition.variableRole.text to this; the role is in the extension."""
NOT_APPLICABLE_SYNTHESIS = {"system": SYNTHESIS_TYPE, "code": "NotApplicable", "display": "not applicable"}
KNOWLEDGE_ARTIFACT_TYPE = {
    "system": "http://hl7.org/fhir/cited-artifact-classification-type",
    "code": "knowledge-artifact-type",
    "display": "Knowledge Artifact Type",
}
JOURNAL_ARTICLE = {
    "system": "http://hl7.org/fhir/citation-artifact-classifier",
    "code": "D016428",
    "display": "Journal Article",
}
# A statistic's type in both code systems where STATO has the class.
PROPORTION_TYPE = (PROPORTION, STATO_PROPORTION)
COUNT_TYPE = (COUNT, STATO_COUNT)
DESCRIPTIVE_TYPE = (DESCRIPTIVE,)
