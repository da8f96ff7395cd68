"""Codes of our vocabularies' terms (CURIEs), from the verified list seeds/terminology.csv.

Written at load from seeds/term_codes.yaml, which names for each term the codes it carries; only
codes of the verified list may be named, so a term without a verified code carries none.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, StringConstraints
from pydantic_core import PydanticCustomError
from sqlmodel import Field, SQLModel

from models.enums import AdverseEventTerm, Agent, Antigen, Disease, Measure

CURIE_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*:[A-Za-z0-9][A-Za-z0-9_./-]*$"
Curie = Annotated[str, StringConstraints(pattern=CURIE_PATTERN, max_length=64)]
"""A compact identifier, prefix:local id (HGNC:1695, NCIT:C1704, MONDO:0004963)."""

_CURIE = re.compile(CURIE_PATTERN)


def _term_or_code(enum: type[StrEnum], example: str) -> Callable[[Any], Any]:
    """A check that lets a term of enum or a CURIE through, refusing anything else in one message."""
    values = [e.value for e in enum]
    expected = ", ".join(map(repr, values[:-1])) + f" or {values[-1]!r}"

    def check(value: Any) -> Any:
        if isinstance(value, enum) or value in values or (isinstance(value, str) and _CURIE.fullmatch(value)):
            return value
        raise PydanticCustomError(
            "enum",
            "Input should be {expected}, or a code such as {example}",
            {"expected": expected, "example": example},
        )

    return check


# The vocabularies that carry codes, by the name of the filter parameter that takes their terms.
CODED_VOCABULARIES: dict[str, type[Disease | Agent | Antigen | Measure | AdverseEventTerm]] = {
    "disease": Disease,
    "agent": Agent,
    "target_antigen": Antigen,
    "measure": Measure,
    "term": AdverseEventTerm,
}

Codes = dict[str, list[str]]
"""CURIEs of the terms a record names, keyed by the term; a term without a verified code is absent."""

CODES_DESCRIPTION = (
    "Codes (CURIEs: NCIT, MONDO, HGNC, CHEBI, DRUGBANK, RXNORM, MEDDRA) of the terms this record names, keyed by "
    "the term, from the verified code list (seeds/terminology.csv); a term with no verified code is absent. Every "
    "filter that takes a term takes one of its codes too."
)


class TermCode(SQLModel, table=True):
    """One verified code of one term, with where it was verified."""

    __tablename__ = "term_code"

    vocabulary: str = Field(primary_key=True, description="The filter parameter the term belongs to.")
    term: str = Field(primary_key=True, description="The term, as our vocabulary spells it.")
    curie: str = Field(primary_key=True, index=True, description="The code, as a CURIE.")
    verified_from: str = Field(description="Where the code was verified (terminology.csv's provenance column).")


@dataclass(frozen=True)
class Terminology:
    """Each coded vocabulary's terms and their CURIEs, and where each CURIE was verified."""

    codes: dict[str, Codes] = field(default_factory=dict)
    verified_from: dict[str, str] = field(default_factory=dict)

    def of(self, vocabulary: str, terms: list[str]) -> Codes:
        """The codes of these terms of one vocabulary, keyed by term; terms without codes left out."""
        known = self.codes.get(vocabulary, {})
        return {t: known[t] for t in terms if known.get(t)}

    def rows(self) -> list[dict[str, str]]:
        return [
            {"vocabulary": vocabulary, "term": term, "curie": curie, "verified_from": self.verified_from[curie]}
            for vocabulary, terms in sorted(self.codes.items())
            for term, curies in sorted(terms.items())
            for curie in curies
        ]


# Filter values: a term, or one of its codes (a CURIE), refused in one message when neither.
DiseaseOrCode = Annotated[Disease | Curie, BeforeValidator(_term_or_code(Disease, "MONDO:0004963"))]
AgentOrCode = Annotated[Agent | Curie, BeforeValidator(_term_or_code(Agent, "CHEBI:63612"))]
AntigenOrCode = Annotated[Antigen | Curie, BeforeValidator(_term_or_code(Antigen, "HGNC:1695"))]
MeasureOrCode = Annotated[Measure | Curie, BeforeValidator(_term_or_code(Measure, "NCIT:C4870"))]
TermOrCode = Annotated[AdverseEventTerm | Curie, BeforeValidator(_term_or_code(AdverseEventTerm, "MEDDRA:10052015"))]
