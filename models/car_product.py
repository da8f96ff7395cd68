"""CAR cell products and their attributes."""

from sqlmodel import JSON, Field

from models.enums import Antigen, CarCellType, CellSource, FratricideStrategy
from models.figure import Provenance


class CarProductBase(Provenance):
    """A chimeric-antigen-receptor cell product used (or built) in a study."""

    name: str = Field(min_length=1, description="Product name as the sources use it, e.g. 'RD13-01'.")
    cell_type: CarCellType = Field(default=CarCellType.t_cell, description="Effector cell type.")
    target_antigens: list[Antigen] = Field(sa_type=JSON, min_length=1, description="Antigens targeted.")
    cell_source: CellSource = Field(description="Where the cells come from.")
    fratricide_strategy: FratricideStrategy = Field(description="How the product avoids fratricide.")
    binder: str | None = Field(default=None, description="Antigen-binding domain, e.g. 'nanobody'.")
    costimulatory_domain: str | None = Field(default=None, description="Co-stimulatory domain, e.g. '4-1BB'.")
    vector: str | None = Field(default=None, description="Gene transfer vector, e.g. 'lentiviral'.")
    dose: str | None = Field(default=None, description="Cell dose as printed.")
    schedule: str | None = Field(default=None, description="Infusion schedule as printed or paraphrased.")
    manufacturing: str | None = Field(default=None, description="Manufacturing notes, in our own words.")


class CarProduct(CarProductBase, table=True):
    __tablename__ = "car_product"

    id: str = Field(primary_key=True, description="Global id: '<study id>.<local id>'.")
    study_id: str = Field(foreign_key="study.id", index=True)
    arm_id: str | None = Field(default=None, foreign_key="arm.id")


class CarProductPublic(CarProductBase):
    id: str = Field(description="Global id: '<study id>.<local id>'.")
    arm_id: str | None = Field(default=None, description="Arm that received the product, if the study has several.")
