"""A claim from its parameters (the REST query, the MCP tool's arguments): what is required, and its precision."""

import math
from collections.abc import Callable, Mapping

from api.claims.agreement import MAX_DECIMALS, MAX_PERCENT, MAX_VALUE, written_decimals
from api.claims.text import StudyNames, read_claim
from api.errors import InvalidInput
from models.claim import Claim, ClaimUnit
from models.problem import ProblemField
from models.terminology import CODED_VOCABULARIES

SCOPE = ("study", "agent", "target_antigen", "therapy_class", "cell_source", "disease")
"""A claim names at least one of these."""
CLAIM_FIELDS = ("measure", "value", *SCOPE, "time_point", "subgroup", "arm")
"""The parts of a structured claim, as the REST parameters and the MCP tool's arguments name them."""


def claim_of(
    *,
    text: str | None,
    values: Mapping[str, object],
    unit: ClaimUnit | None,
    raw_value: str | None,
    location: str,
    study_names: Callable[[], StudyNames],
    term_of: Callable[[str, object], object],
) -> Claim:
    """The claim from a sentence or from its parts (values holds CLAIM_FIELDS, and may hold more), never both;
    unit None when not given (percent, for the parts). A term may be given by its code, as the lists take it
    (session 13's probe, FA6: `target_antigen=HGNC:1695` was refused here and taken there): term_of(name,
    value) is the one term a value names (api.queries.terminology.term_reader)."""
    given = {name: term_of(name, values[name]) if name in CODED_VOCABULARIES else values[name] for name in CLAIM_FIELDS}
    if text is None:
        return structured_claim(given, unit=unit or ClaimUnit.percent, raw_value=raw_value, location=location)
    # The unit too: a sentence says its own ('80%', '4 patients'); given beside it, it was dropped unread.
    extra = [name for name, value in {**given, "unit": unit}.items() if value is not None]
    if extra:
        raise InvalidInput(
            "Give the claim either as text or as its parts, not both.",
            [ProblemField(location=f"{location}.{name}", message="not with text") for name in extra],
        )
    return read_claim(text, study_names())


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
    # A proportion is at most 100%: 100.4% agreed with a printed 100% at its precision (session 12's ninth
    # probe, C10). A count may be larger.
    most = MAX_PERCENT if unit is ClaimUnit.percent else MAX_VALUE
    # -0 too: the MCP tool's schema refuses a sign, and '-0 patients' was written back (session 13's probe, FA2).
    if not 0 <= value <= most or math.copysign(1, value) < 0:
        raise InvalidInput(
            "The claimed number is out of range.",
            [ProblemField(location=f"{location}.value", message=f"from 0 to {most} ({unit.value})")],
        )
    # The precision is the number as written: the query's own text, else the number's shortest form.
    decimals = written_decimals(raw_value if raw_value is not None else repr(given["value"]))
    # A count of patients is whole: 3.5 patients was rounded onto a printed '4 died' and "supported" (session
    # 13's probe, FA5). The sentence reader refuses '3.5 patients' the same way.
    if unit is ClaimUnit.patients and not value.is_integer():
        raise InvalidInput(
            "A count of patients is a whole number.",
            [ProblemField(location=f"{location}.value", message="a whole number of patients (no decimals)")],
        )
    if decimals > MAX_DECIMALS:
        raise InvalidInput(
            "The claimed number is written with more decimals than a claim may carry.",
            [ProblemField(location=f"{location}.value", message=f"at most {MAX_DECIMALS} decimals; it has {decimals}")],
        )
    return Claim.model_validate(
        {
            **given,
            "value": value,
            "decimals": decimals,
            "unit": unit,
            "numerator": None,
            "denominator": None,
            "text": None,
        }
    )
