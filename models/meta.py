"""Dataset metadata and health responses."""

from pydantic import BaseModel, Field, computed_field

# Said wherever people read the data (/v1/meta, /, the embedded pages): what it is not for.
RESEARCH_ONLY_NOTICE = (
    "Curated from published documents for research, not for clinical decisions: it may be incomplete or wrong "
    "and is not medical advice."
)


class Meta(BaseModel):
    """What this dataset is: version, size, licence, build time."""

    dataset_version: str = Field(description="Changes exactly when the fixtures change (hash of their content).")
    built_at: str = Field(
        description="When the database was built from the fixtures (ISO 8601, UTC); recorded in the database, "
        "so every process serving one build gives the same value.",
        json_schema_extra={"format": "date-time"},
    )
    licence: str = Field(description="Licence of the curated data (SPDX id).")
    api_version: str = Field(description="Version of the service software.")
    counts: dict[str, int] = Field(description="Number of records per resource.")
    attribution: str = Field(
        description="Attribution to give when reusing the data (CC-BY-4.0 asks for it): who, what, version, licence."
    )
    how_to_cite: str = Field(
        description="A citation of the dataset version served, to adapt to a reference style; cite the source "
        "documents of the figures you quote as well, and each figure's permalink where you quote one."
    )
    citation_file: str = Field(description="The citation metadata file (Citation File Format) shipped with the code.")

    @computed_field(  # type: ignore[prop-decorator]
        description="The data is curated for research and is not for clinical decisions."
    )
    @property
    def notice(self) -> str:
        return RESEARCH_ONLY_NOTICE


DATASET_TITLE = "T-ALL Evidence API: curated, sourced evidence on T-ALL/LBL therapy"
DATASET_AUTHORS = "The T-ALL Evidence API contributors"


def attribution_text(*, version: str, licence: str, public_url: str) -> str:
    """The attribution line, from the same title and authors as CITATION.cff."""
    return (
        f"Data from {DATASET_TITLE} ({DATASET_AUTHORS}), dataset version {version}, {public_url}, "
        f"licensed {licence}. Each figure is quoted from the source document it names."
    )


def how_to_cite_text(*, version: str, public_url: str) -> str:
    return (
        # The release's own address: on a server holding several, /v1/meta alone answers the current one
        # (session 15's probe, JA6).
        f"{DATASET_AUTHORS}. {DATASET_TITLE}. Dataset version {version}. {public_url}/v1/meta?version={version} "
        "(add the date you accessed it). "
        "Cite also the source document of each figure you quote (its source_id: GET /v1/sources/{id}) "
        "and the figure's permalink."
    )


class Health(BaseModel):
    status: str = Field(description="'ok' when the dataset is loaded and the database answers.")
    dataset_version: str = Field(description="Version of the loaded dataset.")
