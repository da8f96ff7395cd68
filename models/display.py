"""How the embedded views word and order things, for the browser component to do the same."""

from pydantic import BaseModel, Field, computed_field

from models.meta import RESEARCH_ONLY_NOTICE


class DisplayVocabulary(BaseModel):
    """Words for codes and the order figures are listed in."""

    labels: dict[str, str] = Field(
        description="Display words for codes ('cr_cri' -> 'CR/CRi'); other codes read with spaces for underscores."
    )
    measure_order: list[str] = Field(description="Outcome measures in display order (response before survival).")
    term_order: list[str] = Field(description="Adverse-event terms in display order.")

    @computed_field(  # type: ignore[prop-decorator]
        description="The data is curated for research and is not for clinical decisions."
    )
    @property
    def notice(self) -> str:
        return RESEARCH_ONLY_NOTICE
