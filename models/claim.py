"""A numeric claim checked against the curated figures: what was understood, the verdict, the evidence."""

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from models.enums import Agent, Antigen, CellSource, Disease, Measure, Subgroup, TherapyClass
from models.figure import Inference


class ClaimUnit(StrEnum):
    """What a claim's number counts."""

    percent = "percent"
    patients = "patients"


class Verdict(StrEnum):
    supported = "supported"
    contradicted = "contradicted"
    not_found = "not_found"


class Claim(BaseModel):
    """The claim as the service understood it (from parameters, or read from a sentence)."""

    measure: Measure = Field(description="The outcome measure claimed (the /v1/outcomes vocabulary).")
    value: float = Field(description="The number claimed.")
    decimals: int | None = Field(
        description="Decimals the claim was written with (90 -> 0, 90.3 -> 1); null when the claim is an exact "
        "count such as 56/62."
    )
    unit: ClaimUnit = Field(description="percent, or patients (a count).")
    numerator: int | None = Field(description="Patients with the outcome, when the claim gave a count out of a total.")
    denominator: int | None = Field(description="Patients counted, when the claim gave a count out of a total.")
    time_point: str | None = Field(description="Time-point code (2y, 18m, d28, cycle1, best); null: any.")
    subgroup: Subgroup | None = Field(description="Subgroup the claim is about; null: any.")
    study: str | None = Field(description="Study id the claim names.")
    arm: str | None = Field(description="Arm id the claim names.")
    agent: Agent | None = Field(description="Agent given (prior therapies never count).")
    target_antigen: Antigen | None = Field(description="Antigen targeted by a CAR product.")
    therapy_class: TherapyClass | None = Field(description="Class of therapy studied.")
    cell_source: CellSource | None = Field(description="Cell source of a CAR product.")
    disease: Disease | None = Field(
        description="Disease of the patients the figure is about: figures of studies that enrolled other diseases "
        "too count only where their subgroup is that disease's patients."
    )
    text: str | None = Field(description="The sentence the claim was read from; null for a structured claim.")


ScopeRecord = Literal["study", "intervention", "car_product"]
"""The records a claim's scope is matched on."""


class ScopeInference(BaseModel):
    """A field of a figure's study, arm intervention or CAR product that the claim's scope was matched on, and
    that curators inferred: the figure counts as of the claim's disease or treatment by that inference."""

    record: str = Field(
        description="Id of the record: a study (GET /v1/studies/{id}), or an intervention or a CAR product of the "
        "figure's study (listed there)."
    )
    kind: ScopeRecord = Field(description="What the record is.")
    field: str = Field(description="The inferred field of the record, e.g. 'target_antigens', 'diseases'.")
    reason: str = Field(description="Why curators inferred it, as recorded on the record.")


class ClaimEvidence(BaseModel):
    """One figure that matches the claim, with its provenance and how it compared."""

    id: str = Field(description="Outcome id (GET /v1/outcomes/{id}).")
    study_id: str = Field(description="Study the figure belongs to.")
    arm_id: str | None = Field(description="Arm the figure is for; null for the whole study.")
    measure: Measure = Field(description="What the figure measures.")
    time_point: str | None = Field(description="Time-point code of the figure.")
    subgroup: Subgroup | None = Field(description="Subgroup of the figure; null for everyone.")
    value: float | None = Field(description="The figure's value in its unit.")
    unit: str = Field(description="Unit of value (percent, patients, months).")
    numerator: int | None = Field(description="Patients with the outcome, when printed or exactly derivable.")
    denominator: int | None = Field(description="Patients evaluated, when printed or exactly derivable.")
    printed: str = Field(description="The figure exactly as printed in its source.")
    span_start: int | None = Field(description="Offset of the printed words in the document's text.")
    span_end: int | None = Field(description="Offset just after the printed words (end exclusive).")
    context: str | None = Field(description="The sentence, cell or bullet holding the printed words.")
    locator: str = Field(description="Where in the document the figure is printed.")
    source_id: str = Field(description="The source document (GET /v1/sources/{id}).")
    inferred: list[Inference] = Field(description="Fields curators inferred, each with the reason.")
    scope_inferred: list[ScopeInference] = Field(
        description="For a figure that decides the claim: the fields of its study, arm interventions or CAR "
        "products that the claim's scope (disease, agent, therapy class, target antigen, cell source) was matched "
        "on and that curators inferred, each with its record and reason; empty when the match rests on printed "
        "fields alone, and for a figure that decides nothing."
    )
    derived: bool = Field(description="True when curators computed the value rather than reading it.")
    derivation: str | None = Field(description="How a derived value was computed.")
    conflict_ids: list[str] = Field(description="Recorded conflicts the figure takes part in (/v1/conflicts).")
    unlabeled: bool = Field(
        description="True when the figure's group or arm labels were lost in extraction: it decides no claim."
    )
    permalink: str = Field(description="Stable URL of the figure; cite it with the dataset version.")
    agrees: bool | None = Field(
        description="True when the claim's number agrees with this figure, false when not; null when it decides "
        "nothing: it cannot be put in the claim's unit (a count with no denominator against a percentage), it is "
        "of a subgroup or one arm where the claim names none, of patients not all given the claim's treatment, or "
        "unlabeled (compared says which)."
    )
    compared: str = Field(description="How the two numbers were compared, in words.")


class ClaimCheck(BaseModel):
    """The verdict on a claim, the figures it rests on (agreeing ones first) and one sentence saying why."""

    verdict: Verdict = Field(
        description="supported: a matching figure agrees; contradicted: figures match and none agrees; "
        "not_found: no figure matches."
    )
    explanation: str = Field(description="One sentence a person reads: the verdict, the figures, any caveat.")
    understood: Claim = Field(description="The structured claim that was checked.")
    evidence: list[ClaimEvidence] = Field(
        description="Matching figures, agreeing ones first, then those that do not agree, then those that give no "
        "number in the claim's unit; at most 50."
    )
    matching_figures: int = Field(description="How many figures match and could be compared (the verdict's basis).")
    dataset_version: str = Field(description="Version of the dataset the claim was checked against.")
