"""Facet counts: how many results carry each value of each categorical field."""

from pydantic import BaseModel, Field


class FacetValue(BaseModel):
    value: str = Field(description="A value of the field (null values are reported as 'none').")
    count: int = Field(description="Number of results under the current filter that carry it.")


# Named FacetCounts, not Facets: a model named like its own field `facets` breaks generated clients.
class FacetCounts(BaseModel):
    """Counts per value of each categorical field for the current filter, to build filter menus."""

    total: int = Field(description="Number of results under the current filter.")
    facets: dict[str, list[FacetValue]] = Field(
        description="Per field (named as its query parameter), its values by descending count."
    )
