"""Facet counts for studies (from the tag index) and for figure tables (from their columns)."""

from collections import defaultdict
from collections.abc import Sequence
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from api.queries.filters import counts_by_time
from api.queries.roles import tag_condition
from models import Study, StudyTag
from models.facets import FacetCounts, FacetValue


def _sorted(counts: dict[str, int]) -> list[FacetValue]:
    return [FacetValue(value=v, count=n) for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def study_facets(
    session: Session, conditions: Sequence[ColumnElement[bool]], roles: Sequence[Any] | None = None
) -> FacetCounts:
    """Studies per facet value among those matching; agents and classes count in the roles asked (as filtered)."""
    matching = select(Study.id).where(*conditions)
    total = session.exec(select(func.count()).select_from(matching.subquery())).one()
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    in_roles = tag_condition(roles)
    statement = (
        select(StudyTag.facet, StudyTag.value, func.count(func.distinct(StudyTag.study_id)))
        .where(col(StudyTag.study_id).in_(matching), *([] if in_roles is None else [in_roles]))
        .group_by(StudyTag.facet, StudyTag.value)
    )
    for facet, value, count in session.exec(statement):
        counts[facet][value] = count
    return FacetCounts(total=total, facets={facet: _sorted(values) for facet, values in sorted(counts.items())})


def _label(value: Any) -> str:
    if value is None:
        return "none"
    return str(value.value if isinstance(value, Enum) else value)


def column_facets(
    session: Session, table: Any, columns: Sequence[str], *, conditions: Sequence[ColumnElement[bool]]
) -> FacetCounts:
    total = session.exec(select(func.count()).select_from(table).where(*conditions)).one()
    facets = {}
    for name in columns:
        column = getattr(table, name)
        statement = select(column, func.count()).where(*conditions).group_by(column)
        counts = {_label(value): count for value, count in session.exec(statement)}
        # One entry per time, as the time-point filter selects every code of it (GA7).
        facets[name] = _sorted(counts_by_time(counts) if name == "time_point" else counts)
    return FacetCounts(total=total, facets=facets)
