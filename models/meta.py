"""Dataset metadata and health responses."""

from pydantic import BaseModel, Field


class Meta(BaseModel):
    """What this dataset is: version, size, licence, build time."""

    dataset_version: str = Field(description="Changes exactly when the fixtures change (hash of their content).")
    built_at: str = Field(
        description="When the database was built from the fixtures (ISO 8601, UTC); recorded in the database, "
        "so every process serving one build gives the same value."
    )
    licence: str = Field(description="Licence of the curated data (SPDX id).")
    api_version: str = Field(description="Version of the service software.")
    counts: dict[str, int] = Field(description="Number of records per resource.")


class Health(BaseModel):
    status: str = Field(description="'ok' when the dataset is loaded and the database answers.")
    dataset_version: str = Field(description="Version of the loaded dataset.")
