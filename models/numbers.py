"""Numbers as written: in a query (ASCII digits, at most one decimal point, an optional exponent), and in a
figure's printed words."""

import re
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator

# Python's float() (and pydantic's, from a string) also takes '1_0' (as 10), ' 5', '+5', '5.', '.5',
# 'inf', 'nan' and digits of other scripts: more likely a mistake than meant, and '1_0' read as 10
# would be checked as a number nobody wrote. The exponent stays: it is how Python and JavaScript
# write very small and very large numbers (1e-05, 1e+21), so a generated client sends it.
DECIMAL_PATTERN = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def decimal_in_digits(value: object) -> object:
    """Text refused unless written as DECIMAL_PATTERN says; numbers pass."""
    if isinstance(value, str) and DECIMAL_PATTERN.fullmatch(value) is None:
        raise ValueError(
            "must be a number written in ASCII digits, with at most one decimal point and an optional exponent "
            "(e.g. 45, 12.5 or 1e-3)"
        )
    return value


IN_DIGITS = BeforeValidator(decimal_in_digits)
"""In a parameter's Annotated, after its Query(...): before it, FastAPI writes the Query's bounds into
the OpenAPI document as 'ge'/'le' beside the union instead of 'minimum'/'maximum' on its number."""

DecimalOrNone = Annotated[float | None, IN_DIGITS]
"""An optional float read from text only when written plainly (see DECIMAL_PATTERN), for a model field
whose bounds are in its Field(...). On the union, not on its float: there, the bounds would reach the
OpenAPI document as 'ge'/'le'."""


# A number as printed: digits with an optional decimal part (a comma between digit groups is not a decimal mark).
_PRINTED_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?")


def printed_numbers(printed: str) -> list[str]:
    """The numbers a figure's printed words show in digits, as written ('CR: 80% (4/5)' -> 80, 4, 5)."""
    return _PRINTED_NUMBER.findall(printed.replace(",", ""))


def printed_as(printed: str, value: float) -> str | None:
    """The number printed equal to value, as written ('1-year OS: 60.0%' and 60 -> '60.0'); None if none is."""
    return next((n for n in printed_numbers(printed) if Decimal(n) == Decimal(str(value))), None)
