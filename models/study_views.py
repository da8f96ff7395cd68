"""Response views of a study: the list item and the detail with everything embedded."""

from pydantic import StrictInt
from sqlmodel import Field

from models.adverse_event import AdverseEventPublic
from models.arm import ArmPublic
from models.car_product import CarProductPublic
from models.characteristic import CharacteristicPublic
from models.conflict import ConflictPublic
from models.correction import CorrectionPublic
from models.enums import Agent, Antigen, CellSource, FratricideStrategy
from models.finding import FindingPublic
from models.outcome import OutcomePublic
from models.source import SourcePublic
from models.study import ReportPublic, StudyBase, StudyLinkPublic
from models.terminology import CODES_DESCRIPTION


class StudyPublic(StudyBase):
    """A study as listed: design, population and what it tested."""

    id: str = Field(description="Stable study id (a slug).")
    agents: list[Agent] = Field(
        default_factory=list,
        description="Agents the study gave as treatment in any arm (the roles agent= matches by default); never "
        "prior therapies, toxicity management or supportive care, which the arms list with their role.",
    )
    prior_therapies: list[Agent] = Field(
        default_factory=list,
        description="Agents patients had before the study (role prior_therapy), as the source names them.",
    )
    target_antigens: list[Antigen] = Field(default_factory=list, description="Antigens targeted by its CAR products.")
    cell_sources: list[CellSource] = Field(default_factory=list, description="Cell sources of its CAR products.")
    fratricide_strategies: list[FratricideStrategy] = Field(
        default_factory=list, description="Fratricide strategies of its CAR products."
    )
    source_ids: list[str] = Field(default_factory=list, description="Every document that reports on the study.")
    codes: dict[str, list[str]] = Field(
        default_factory=dict,
        description=CODES_DESCRIPTION + " Here: its diseases, the agents of its arms and its CAR products' antigens.",
    )
    n_outcomes: StrictInt = Field(default=0, description="Number of outcome figures curated.")
    n_adverse_events: StrictInt = Field(default=0, description="Number of adverse-event figures curated.")


class StudyDetail(StudyPublic):
    """A study with its arms, figures, findings, sources and conflicts embedded."""

    reports: list[ReportPublic] = Field(default_factory=list, description="Reports of the study, per document.")
    arms: list[ArmPublic] = Field(default_factory=list, description="Arms with their interventions.")
    car_products: list[CarProductPublic] = Field(default_factory=list, description="CAR cell products.")
    outcomes: list[OutcomePublic] = Field(default_factory=list, description="Efficacy figures.")
    adverse_events: list[AdverseEventPublic] = Field(default_factory=list, description="Toxicity figures.")
    characteristics: list[CharacteristicPublic] = Field(default_factory=list, description="Descriptive figures.")
    findings: list[FindingPublic] = Field(default_factory=list, description="Qualitative findings.")
    related_studies: list[StudyLinkPublic] = Field(default_factory=list, description="Linked studies.")
    sources: list[SourcePublic] = Field(default_factory=list, description="The documents cited above, in full.")
    conflicts: list[ConflictPublic] = Field(
        default_factory=list, description="Recorded conflicts any of the study's figures take part in."
    )
    corrections: list[CorrectionPublic] = Field(
        default_factory=list,
        description="Corrections later readings of the documents made to the study or any of its records, with "
        "the value before and after and why (all of them: GET /v1/corrections).",
    )
