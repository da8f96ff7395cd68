"""Sort orders offered by the list endpoints: one defined order each, the same on every database.

Every order ends with the id, so pages are stable, and nulls come last whichever way a column
is sorted (an explicit term, since SQLite puts nulls first and PostgreSQL last by default).
Text compares by code point on both databases (PostgreSQL's text columns are collated "C" at
load, api.database). An enumerated column sorts by its code as served: PostgreSQL would sort
its native enum type in declaration order and SQLite the stored member names, so the order is
written out here as a CASE over the codes. `value` sorts outcomes by their proportion (see
outcome_proportion). docs/querying-order.md lists every order.
"""

from enum import Enum, StrEnum
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import ColumnElement, Float, and_, case, cast, null
from sqlalchemy import Enum as EnumType
from sqlmodel import col

from models import Outcome
from models.enums import ValueUnit


class StudySort(StrEnum):
    id = "id"
    id_desc = "-id"
    title_asc = "title"
    title_desc = "-title"
    n_enrolled = "n_enrolled"
    n_enrolled_desc = "-n_enrolled"
    relevance = "relevance"


class OutcomeSort(StrEnum):
    id = "id"
    id_desc = "-id"
    value = "value"
    value_desc = "-value"
    measure = "measure"
    time_point = "time_point"
    study_id = "study_id"


class AdverseEventSort(StrEnum):
    id = "id"
    id_desc = "-id"
    term = "term"
    grade_min = "grade_min"
    grade_min_desc = "-grade_min"
    patients = "patients"
    patients_desc = "-patients"
    percentage = "percentage"
    percentage_desc = "-percentage"


def _sort_query(description: str) -> Any:
    return Query(
        description=description + " A leading '-' sorts descending; nulls come last either way; ties go by id; "
        "text and codes sort by code point."
    )


StudySortQuery = Annotated[
    StudySort | None,
    _sort_query("Sort order; 'relevance' (default with q) ranks search hits, and is id order without q."),
]
OutcomeSortQuery = Annotated[
    OutcomeSort | None,
    _sort_query(
        "Sort order. 'value' sorts by the proportion: a percentage, or numerator/denominator of a count; figures "
        "with neither (a count without a denominator, a median in months) sort last, as nulls."
    ),
]
AdverseEventSortQuery = Annotated[AdverseEventSort | None, _sort_query("Sort order.")]


def outcome_proportion() -> ColumnElement[Any]:
    """An outcome's proportion (0-1): its percentage, else numerator/denominator; null when it has neither.

    Double precision on both databases, so equal proportions tie (and go by id) on both.
    """
    return case(
        (and_(col(Outcome.unit) == ValueUnit.percent, col(Outcome.value).is_not(None)), col(Outcome.value) / 100.0),
        (
            and_(col(Outcome.numerator).is_not(None), col(Outcome.denominator) > 0),
            cast(col(Outcome.numerator), Float) / cast(col(Outcome.denominator), Float),
        ),
        else_=null(),
    )


def code_order(column: Any) -> ColumnElement[Any] | Any:
    """A sortable form of column: for an enumerated column, each code's position in code-point order."""
    column_type = getattr(column, "type", None)
    codes: type[Enum] | None = getattr(column_type, "enum_class", None)
    if not isinstance(column_type, EnumType) or codes is None:
        return column
    # Ranked by the code (value) clients see, whatever the database stores (a member's name) or declares;
    # `column == member` binds the member as the column stores it.
    ranked = sorted(codes, key=lambda member: str(member.value))
    return case(*((column == member, position) for position, member in enumerate(ranked)))


SORT_EXPRESSIONS: dict[tuple[str, str], Any] = {("outcome", "value"): outcome_proportion}
"""Sort keys that are not a column of the table, by (table name, sort name)."""


def order_by(table: Any, sort: StrEnum | None) -> list[Any]:
    """ORDER BY terms for a sort value: the key (nulls last), then the id."""
    if sort is None or sort.value in ("id", "relevance"):
        return [col(table.id)]
    if sort.value == "-id":
        return [col(table.id).desc()]
    descending = sort.value.startswith("-")
    name = sort.value.lstrip("-")
    expression = SORT_EXPRESSIONS.get((table.__tablename__, name))
    key = expression() if expression is not None else code_order(col(getattr(table, name)))
    return [key.is_(None), key.desc() if descending else key, col(table.id)]
