"""The front door: what this service is and where to go next."""

from pydantic import BaseModel, Field, computed_field

from models.meta import RESEARCH_ONLY_NOTICE


class IndexLink(BaseModel):
    """One place to go from the front door."""

    rel: str = Field(description="What the link is for, e.g. 'docs', 'openapi', 'dataset', 'fhir-metadata'.")
    href: str = Field(description="Absolute URL.")
    title: str = Field(description="A short human-readable label.")


class ServiceIndex(BaseModel):
    """Where to start: links to the documentation, the data and how to cite it."""

    name: str = Field(description="Name of the service.")
    description: str = Field(description="What the service is, in one paragraph.")
    dataset_version: str = Field(description="Version of the dataset served.")
    licence: str = Field(description="Licence of the curated data (SPDX id).")
    attribution: str = Field(description="Attribution to give when reusing the data.")
    how_to_cite: str = Field(description="A citation of the dataset version served.")
    links: list[IndexLink] = Field(description="Documentation, the OpenAPI document, the data and FHIR.")

    @computed_field(  # type: ignore[prop-decorator]
        description="The data is curated for research and is not for clinical decisions."
    )
    @property
    def notice(self) -> str:
        return RESEARCH_ONLY_NOTICE
