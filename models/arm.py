"""Arms of a study and the interventions each arm received."""

from pydantic import StrictInt
from sqlmodel import Field, SQLModel

from models.enums import Agent, InterventionRole, TherapyClass
from models.figure import Provenance


class ArmBase(SQLModel):
    """A group within a study that received one regimen."""

    label: str = Field(min_length=1, description="Name of the arm, e.g. 'Nelarabine combination'.")
    description: str | None = Field(default=None, description="The regimen, in our own words.")
    n: StrictInt | None = Field(default=None, ge=0, description="Patients in the arm, if printed.")
    n_printed: str | None = Field(default=None, description="The arm size exactly as printed.")


class Arm(ArmBase, table=True):
    id: str = Field(primary_key=True, description="Global arm id: '<study id>.<local id>'.")
    study_id: str = Field(foreign_key="study.id", index=True)


class InterventionBase(Provenance):
    """One agent given in an arm, with dose and schedule where printed."""

    agent: Agent = Field(description="The agent given.")
    therapy_class: TherapyClass | None = Field(default=None, description="Class of the agent.")
    role: InterventionRole = Field(
        default=InterventionRole.investigational, description="What the agent is for in this regimen."
    )
    dose: str | None = Field(default=None, description="Dose as printed, e.g. '30 mg/m2'.")
    schedule: str | None = Field(default=None, description="Schedule as printed or paraphrased.")


class Intervention(InterventionBase, table=True):
    id: str = Field(primary_key=True, description="Global id: '<arm id>.<agent>'.")
    arm_id: str = Field(foreign_key="arm.id", index=True)
    study_id: str = Field(foreign_key="study.id", index=True)


class InterventionPublic(InterventionBase):
    id: str = Field(description="Global id: '<arm id>.<agent>'.")


class ArmPublic(ArmBase):
    id: str = Field(description="Global arm id: '<study id>.<local id>'.")
    interventions: list[InterventionPublic] = Field(default_factory=list, description="Agents given in this arm.")
