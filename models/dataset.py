"""The whole dataset in one document, for tools that mirror it."""

from pydantic import BaseModel, Field

from models.conflict import ConflictPublic
from models.epidemiology import EpidemiologyFigurePublic
from models.source import SourcePublic
from models.study_views import StudyDetail


class Dataset(BaseModel):
    """Everything served, stamped with the dataset version."""

    dataset_version: str = Field(description="Version of the dataset (changes exactly when the fixtures change).")
    built_at: str = Field(
        description="When the served database was built (ISO 8601, UTC).", json_schema_extra={"format": "date-time"}
    )
    licence: str = Field(description="Licence of the curated data (SPDX id).")
    sources: list[SourcePublic] = Field(description="Every source document.")
    studies: list[StudyDetail] = Field(description="Every study with everything curated for it.")
    conflicts: list[ConflictPublic] = Field(description="Every recorded conflict with its figures.")
    epidemiology: list[EpidemiologyFigurePublic] = Field(description="Every population-level figure.")
