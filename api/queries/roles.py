"""What an intervention's role means when studies are searched by agent or therapy class.

One place for it: the study filters and facets (api.queries.filters, api.queries.facets), the
study summaries' `agents` and `prior_therapies`, and any other reader (a claim checker) call
these. By default (`role=given`) an agent or class counts as a study's when the study gave it as
part of the treatment under study (GIVEN_ROLES), or the study lists the class as its own; never
what patients had before enrolment (prior_therapy), nor toxicity management or supportive care.
`role=` names other roles instead (repeat for alternatives), or `any`.
"""

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import col

from models import StudyTag
from models.enums import GIVEN_ROLES, STUDIED_ROLES, InterventionRole
from models.study_tag import NO_ROLE, STUDY_LEVEL

GIVEN = "given"
STUDIED = "studied"
ANY_ROLE = "any"

ROLE_FACETS = ("agent", "therapy_class")
"""The study facets an intervention's role qualifies."""

# The roles plus 'given' (the default) and 'any'; follows InterventionRole as it grows.
RoleFilter = StrEnum(  # type: ignore[misc]
    "RoleFilter", {GIVEN: GIVEN, STUDIED: STUDIED, **{r.name: r.value for r in InterventionRole}, ANY_ROLE: ANY_ROLE}
)

ROLE_DESCRIPTION = (
    "Which interventions agent and therapy_class match, and their facets count: 'given' (the default) is the "
    "treatment the study gave (" + ", ".join(sorted(GIVEN_ROLES)) + ", or a therapy class the study lists "
    "itself); 'studied' the treatment under study (" + ", ".join(sorted(STUDIED_ROLES)) + ", or a therapy class "
    "the study lists itself), as claims are checked; a role name (e.g. prior_therapy, toxicity_management) only "
    "interventions in that role; 'any' every role. Repeat for alternatives."
)


def counted_roles(asked: Sequence[Any] | None) -> frozenset[str] | None:
    """The study-tag roles that count for the roles asked (None or empty: given); None when any role does."""
    names = {str(r) for r in asked or ()} or {GIVEN}
    if ANY_ROLE in names:
        return None
    roles = {NO_ROLE} | (names - {GIVEN, STUDIED})  # NO_ROLE: tags not about an intervention always count
    if GIVEN in names:
        roles |= {STUDY_LEVEL, *GIVEN_ROLES}
    if STUDIED in names:
        roles |= {STUDY_LEVEL, *STUDIED_ROLES}
    return frozenset(roles)


def counts(role: InterventionRole, asked: Sequence[Any] | None = None) -> bool:
    """Whether an intervention in this role counts for the roles asked (by default: whether the study gave it)."""
    roles = counted_roles(asked)
    return roles is None or role.value in roles


def tag_condition(asked: Sequence[Any] | None) -> ColumnElement[bool] | None:
    """The condition on StudyTag.role for the roles asked; None when every role counts."""
    roles = counted_roles(asked)
    return None if roles is None else col(StudyTag.role).in_(sorted(roles))
