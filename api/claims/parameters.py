"""A claim from its parameters (the REST query, the MCP tool's arguments): what is required, and its precision."""

from collections.abc import Mapping

from api.claims.agreement import written_decimals
from api.errors import InvalidInput
from models.claim import Claim, ClaimUnit
from models.problem import ProblemField

SCOPE = ("study", "agent", "target_antigen", "therapy_class", "cell_source", "disease")
"""A claim names at least one of these."""


def structured_claim(
    given: Mapping[str, object], *, unit: ClaimUnit, raw_value: str | None, location: str = "query"
) -> Claim:
    """The claim from its parameters; InvalidInput naming each one missing."""
    problems = [
        ProblemField(location=f"{location}.{name}", message="required (or give the claim as text)")
        for name in ("measure", "value")
        if given.get(name) is None
    ]
    if not any(given.get(name) is not None for name in SCOPE):
        problems.append(
            ProblemField(location=f"{location}.study", message="a scope is required: one of " + ", ".join(SCOPE))
        )
    if problems:
        raise InvalidInput("The claim is incomplete.", problems)
    value = float(given["value"])  # type: ignore[arg-type]
    # The precision is the number as written: the query's own text, else the number's shortest form.
    return Claim.model_validate(
        {
            **given,
            "value": value,
            "decimals": written_decimals(raw_value)
            if raw_value is not None
            else written_decimals(repr(given["value"])),
            "unit": unit,
            "numerator": None,
            "denominator": None,
            "text": None,
        }
    )
