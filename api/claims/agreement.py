"""Whether a claimed number agrees with a figure: both rounded to the coarser of their two precisions.

90 agrees with a printed 90.3% (both read as 90 at no decimals); 95 does not; 90.0 does not
either (the claim says one decimal, and 90.0 is not 90.3). A count with a denominator is
compared as its proportion, or, against a figure that prints its own counts, count for count (and
against one that prints one of them, '63% (n=60)', that count must be the claim's); an exact count
against an exact count is compared exactly.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache

from models.claim import Claim, ClaimUnit
from models.enums import ValueQualifier, ValueUnit
from models.numbers import printed_as
from models.outcome import OutcomePublic

MAX_VALUE = 1_000_000
"""The largest number a claim may state (a count of patients)."""
MAX_PERCENT = 100
"""The largest percentage a claim may give: no proportion is over 100%."""
MAX_DECIMALS = 6
"""The most decimals a claimed number may carry. No figure is printed with more than three (p-values), and the
verdict writes the claim out at its own precision: 1e-100000000 would be an answer of 100 MB, and
past 28 digits the comparison's decimal arithmetic cannot round at all."""

_WRITTEN = re.compile(r"[-+]?[0-9]*(?:\.([0-9]*))?(?:[eE]([-+]?[0-9]+))?")


def written_decimals(text: str) -> int:
    """Decimals of a number as written: '90' -> 0, '90.30' -> 2, '1e-3' -> 3 (from its text: Decimal
    refuses an exponent of 19 digits, which a query can still carry); 0 for what is no such number."""
    match = _WRITTEN.fullmatch(text.strip())
    if match is None:
        return 0
    fraction, exponent = match.group(1) or "", int(match.group(2) or 0)
    return max(0, len(fraction) - exponent)


def printed_decimals(printed: str, value: float) -> int | None:
    """Decimals of the printed number equal to value ('1-year OS: 60.0%' and 60 -> 1); None if none is printed."""
    written = printed_as(printed, value)
    return None if written is None else written_decimals(written)


def rounded(value: Fraction | float, decimals: int) -> Decimal:
    exact = (
        Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) else Decimal(str(value))
    )
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Comparison:
    agrees: bool | None
    said: str


def _claimed(claim: Claim) -> tuple[Fraction, int | None]:
    """The claim's number in its unit, exact, and its decimals (None for an exact count)."""
    return _claimed_number(
        claim.unit, numerator=claim.numerator, denominator=claim.denominator, value=claim.value, decimals=claim.decimals
    )


@lru_cache(maxsize=64)  # one claim is compared with every figure it matches: its number read once
def _claimed_number(
    unit: ClaimUnit, *, numerator: int | None, denominator: int | None, value: float, decimals: int | None
) -> tuple[Fraction, int | None]:
    if unit is ClaimUnit.percent and numerator is not None and denominator:
        return Fraction(numerator * 100, denominator), None
    return Fraction(str(value)), decimals


def _figure_number(claim: Claim, figure: OutcomePublic) -> tuple[Fraction, int | None, str] | None:
    """The figure in the claim's unit, exact, its decimals (None when exact) and what it was read from."""
    if claim.unit is ClaimUnit.patients:
        if figure.unit == ValueUnit.patients and figure.value is not None:
            return Fraction(str(figure.value)), printed_decimals(figure.printed, figure.value) or 0, "its count"
        if figure.numerator is not None:
            return Fraction(figure.numerator), None, "its numerator"
        return None
    if figure.unit == ValueUnit.percent and figure.value is not None:
        decimals = printed_decimals(figure.printed, figure.value)
        if decimals is None:  # not printed as such (a derived value): its own decimals
            decimals = written_decimals(f"{figure.value:g}")
        return Fraction(str(figure.value)), decimals, "its percentage"
    if figure.numerator is not None and figure.denominator:
        proportion = Fraction(figure.numerator * 100, figure.denominator)
        return proportion, None, f"its count {figure.numerator}/{figure.denominator} as a proportion"
    return None


APPROXIMATE = "the figure is printed as approximate, so only its own number at its precision agrees with it"
"""Why an approximate figure decides nothing of a claim that does not equal it."""

_BOUNDS: dict[ValueQualifier, tuple[Callable[[Decimal | Fraction, Decimal | Fraction], bool], str]] = {
    ValueQualifier.less_than: (lambda c, f: c < f, "below"),
    ValueQualifier.at_most: (lambda c, f: c <= f, "at most"),
    ValueQualifier.more_than: (lambda c, f: c > f, "above"),
    ValueQualifier.at_least: (lambda c, f: c >= f, "at least"),
}


def _printed_counts(claim: Claim, figure: OutcomePublic) -> tuple[Comparison | None, str]:
    """The claim's counts against those the figure prints: a Comparison that decides (both counts printed, or one
    printed and not the claim's), else None and what was checked, for the percentage to decide."""
    if claim.numerator is None or not claim.denominator:
        return None, ""
    if figure.numerator is not None and figure.denominator:
        # Both give counts: the counts are the claim ('600/700' is not '6/7 patients', though both are 85.7%).
        agrees = (claim.numerator, claim.denominator) == (figure.numerator, figure.denominator)
        counts = f"{figure.numerator}/{figure.denominator} and the claim's {claim.numerator}/{claim.denominator}"
        return Comparison(agrees, f"its count {counts} compared exactly"), ""
    # One count printed ('2-yr OS 63% (n=60)') is the claim's too: by its percentage alone, 63/100 agreed with a
    # figure of 60 patients (session 15's probe, JA2).
    printed = [
        (name, own, claimed)
        for name, own, claimed in (
            ("numerator", figure.numerator, claim.numerator),
            ("denominator", figure.denominator, claim.denominator),
        )
        if own is not None
    ]
    for name, own, claimed in printed:
        if own != claimed:
            return Comparison(False, f"its printed {name} {own} and the claim's {claimed} compared exactly"), ""
    return None, "".join(f"; its printed {name} {own} is the claim's" for name, own, _ in printed)


def compare(claim: Claim, figure: OutcomePublic) -> Comparison:
    """Does the claim's number agree with this figure? None when the figure cannot be put in the claim's unit."""
    by_counts, counts_said = _printed_counts(claim, figure)
    if by_counts is not None:
        return by_counts
    found = _figure_number(claim, figure)
    unit = "%" if claim.unit is ClaimUnit.percent else " patients"
    if found is None:
        return Comparison(None, f"printed as {figure.printed!r}, which gives no number in {claim.unit.value}")
    number, figure_decimals, read_from = found
    claimed, claim_decimals = _claimed(claim)
    if claim_decimals is None and figure_decimals is None:
        agrees = claimed == number
        said = f"{read_from} and the claim compared exactly"
        left = right = None
    else:
        decimals = min(d for d in (claim_decimals, figure_decimals) if d is not None)
        left, right = rounded(claimed, decimals), rounded(number, decimals)
        said = f"{read_from}, {right}{unit} against the claim's {left}{unit} at {decimals} decimal(s)"
        agrees = left == right
    said += counts_said
    bound = _BOUNDS.get(figure.qualifier)
    if bound is not None:
        test, words = bound
        # The numbers as they are: rounded to the figure's precision first, 79.6 agreed with '≥80%'
        # (session 12's ninth probe, C14).
        agrees = bool(test(claimed, number))
        said += f"; the figure is printed as a bound, so the claim must be {words} it"
    elif figure.qualifier is ValueQualifier.approximate and agrees:
        said += "; the figure is printed as approximate"
    elif figure.qualifier is ValueQualifier.approximate:
        # "Close to 60%" cannot say 59% is wrong: it contradicted it as if exact (session 14's probe, HA5).
        return Comparison(None, f"{said}; {APPROXIMATE}")
    return Comparison(agrees, said)
