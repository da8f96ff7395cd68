"""Sort orders offered by the list endpoints; every order ends with the id, so pages are stable."""

from enum import StrEnum
from typing import Annotated, Any

from fastapi import Query
from sqlmodel import col


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
    return Query(description=description + " A leading '-' sorts descending; nulls come last; ties go by id.")


StudySortQuery = Annotated[
    StudySort | None,
    _sort_query("Sort order; 'relevance' (default with q) ranks search hits, and is id order without q."),
]
OutcomeSortQuery = Annotated[OutcomeSort | None, _sort_query("Sort order.")]
AdverseEventSortQuery = Annotated[AdverseEventSort | None, _sort_query("Sort order.")]


def order_by(table: Any, sort: StrEnum | None) -> list[Any]:
    """ORDER BY terms for a sort value: the column (nulls last), then the id."""
    if sort is None or sort.value in ("id", "relevance"):
        return [col(table.id)]
    if sort.value == "-id":
        return [col(table.id).desc()]
    descending = sort.value.startswith("-")
    column = col(getattr(table, sort.value.lstrip("-")))
    return [column.is_(None), column.desc() if descending else column, col(table.id)]
