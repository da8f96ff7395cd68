"""Curation coverage: per document, what was taken and every figure deliberately left out."""

from pydantic import BaseModel, ConfigDict, Field


class LeftOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    printed: str = Field(min_length=1, description="The figure or passage exactly as printed.")
    locator: str = Field(min_length=1, description="Where in the document.")
    reason: str = Field(min_length=1, description="Why it was not curated.")


class CoverageFile(BaseModel):
    """seeds/coverage/<document id>.yaml, written by the curator of that document."""

    model_config = ConfigDict(extra="forbid")

    source_id: str = Field(description="The document this file covers.")
    left_out: list[LeftOut] = Field(default_factory=list, description="Every figure deliberately left out.")
