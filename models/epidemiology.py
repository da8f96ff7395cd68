"""Population-level figures (shares, relapse rates) that belong to no single study."""

from pydantic import StrictFloat
from sqlmodel import Field

from models.enums import Disease, EpidemiologyMeasure
from models.figure import FigureBase, SourceSpan


class EpidemiologyFigureBase(FigureBase):
    measure: EpidemiologyMeasure = Field(description="What the figure measures.")
    disease: Disease = Field(description="Disease the figure is about.")
    population: str = Field(min_length=1, description="Population the figure refers to, e.g. 'adult ALL'.")
    value: StrictFloat | None = Field(default=None, ge=0, le=100, description="Percentage, when one number is printed.")
    value_low: StrictFloat | None = Field(
        default=None, ge=0, le=100, description="Lower end of a printed range (percent)."
    )
    value_high: StrictFloat | None = Field(
        default=None, ge=0, le=100, description="Upper end of a printed range (percent)."
    )
    citation: str | None = Field(default=None, description="Primary publication the document cites for it.")


class EpidemiologyFigure(SourceSpan, EpidemiologyFigureBase, table=True):
    __tablename__ = "epidemiology_figure"

    id: str = Field(primary_key=True, description="Stable id (a slug).")


class EpidemiologyFigurePublic(SourceSpan, EpidemiologyFigureBase):
    id: str = Field(description="Stable id (a slug).")
