"""The hand-edited fixture formats: what curators write, validated before anything loads.

Study files nest everything about one study; ids inside a study file are local slugs and
become global as '<study id>.<local id>'. The JSON Schemas under fixtures/schema/ are
generated from these classes (`tall-evidence schema`).
"""

from typing import Annotated

from pydantic import StringConstraints
from sqlmodel import Field, SQLModel
from sqlmodel._compat import SQLModelConfig

from models.adverse_event import AdverseEventBase
from models.arm import ArmBase, InterventionBase
from models.car_product import CarProductBase
from models.characteristic import CharacteristicBase
from models.conflict import ConflictBase
from models.epidemiology import EpidemiologyFigureBase
from models.figure import PrintedOccurrence, Slug
from models.finding import FindingBase
from models.outcome import OutcomeBase
from models.source import SourceBase
from models.study import ReportBase, StudyBase, StudyLinkBase

_STRICT = SQLModelConfig(extra="forbid")

SourceId = Annotated[str, StringConstraints(pattern=r"^[0-9]{3}_[0-9a-f]{16}$")]


# Field() is typed Any; each helper names what the field holds.
def _local_id() -> Slug:
    field: Slug = Field(description="Local id (slug), unique within its list in the study file.")
    return field


def _arm_ref() -> Slug | None:
    field: Slug | None = Field(default=None, description="Local id of the arm; omit for the whole study.")
    return field


def _report_ref() -> Slug | None:
    field: Slug | None = Field(default=None, description="Local id of the report the figure comes from.")
    return field


class ReportEntry(ReportBase):
    model_config = _STRICT
    id: Slug = _local_id()


class InterventionEntry(InterventionBase):
    model_config = _STRICT


class ArmEntry(ArmBase):
    model_config = _STRICT
    id: Slug = _local_id()
    interventions: list[InterventionEntry] = Field(default_factory=list, description="Agents given in the arm.")


class CarProductEntry(CarProductBase):
    model_config = _STRICT
    id: Slug = _local_id()
    arm: Slug | None = _arm_ref()


class OutcomeEntry(PrintedOccurrence, OutcomeBase):
    model_config = _STRICT
    id: Slug = _local_id()
    arm: Slug | None = _arm_ref()
    report: Slug | None = _report_ref()


class AdverseEventEntry(PrintedOccurrence, AdverseEventBase):
    model_config = _STRICT
    id: Slug = _local_id()
    arm: Slug | None = _arm_ref()
    report: Slug | None = _report_ref()


class CharacteristicEntry(PrintedOccurrence, CharacteristicBase):
    model_config = _STRICT
    id: Slug = _local_id()
    arm: Slug | None = _arm_ref()
    report: Slug | None = _report_ref()


class FindingEntry(FindingBase):
    model_config = _STRICT
    id: Slug = _local_id()


class StudyLinkEntry(StudyLinkBase):
    model_config = _STRICT
    study: Slug = Field(description="Id of the related study (another study file).")


class StudyFile(StudyBase):
    """One file under fixtures/studies/: a study and every figure curated for it."""

    model_config = _STRICT
    id: Slug = Field(description="Study id; must equal the file name stem.")
    reports: list[ReportEntry] = Field(
        default_factory=list, description="Reports of the study, one per document and primary publication."
    )
    arms: list[ArmEntry] = Field(default_factory=list, description="Arms; single-arm studies may list one or none.")
    car_products: list[CarProductEntry] = Field(default_factory=list, description="CAR cell products used.")
    outcomes: list[OutcomeEntry] = Field(default_factory=list, description="Efficacy figures.")
    adverse_events: list[AdverseEventEntry] = Field(default_factory=list, description="Toxicity figures.")
    characteristics: list[CharacteristicEntry] = Field(default_factory=list, description="Descriptive figures.")
    findings: list[FindingEntry] = Field(default_factory=list, description="Qualitative findings.")
    related_studies: list[StudyLinkEntry] = Field(default_factory=list, description="Links to other study files.")


class SourceEntry(SourceBase):
    model_config = _STRICT
    id: SourceId = Field(description="The seed's file name without '.txt'.")


class SourcesFile(SQLModel):
    """seeds/sources.yaml: the registry of source documents."""

    model_config = _STRICT
    sources: list[SourceEntry] = Field(min_length=1, description="One record per source document.")


class ConflictEntry(ConflictBase):
    model_config = _STRICT
    id: Slug = Field(description="Conflict id, referenced by figures' conflict_ids.")


class ConflictsFile(SQLModel):
    """fixtures/conflicts.yaml: the recorded disagreements."""

    model_config = _STRICT
    conflicts: list[ConflictEntry] = Field(default_factory=list, description="Recorded conflicts.")


class EpidemiologyEntry(EpidemiologyFigureBase):
    model_config = _STRICT
    id: Slug = Field(description="Figure id.")


class EpidemiologyFile(SQLModel):
    """fixtures/epidemiology.yaml: population-level figures."""

    model_config = _STRICT
    figures: list[EpidemiologyEntry] = Field(default_factory=list, description="Epidemiology figures.")
