"""Which arms of a study got a treatment: an agent or class, a CAR product's antigen or cell source.

A study filter selects a study that gave the treatment in any arm; a figure is credited to the
treatment only where its patients got it. One place decides that for the claim check (a claim credits
its figure to the treatment it names) and the comparison (a treatment filter's pool is of the patients
given it: session 13's probe, FA12).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from api.queries.filters import CODED_STUDY_FILTERS, StudyFilters
from api.queries.roles import counted_roles
from api.queries.terminology import with_terms
from models import Arm, CarProduct, Intervention
from models.enums import InterventionRole


@dataclass(frozen=True)
class Treatment:
    """A treatment asked: each part names alternatives (any of them will do), and every part named must hold."""

    agents: frozenset[str] = frozenset()
    therapy_classes: frozenset[str] = frozenset()
    target_antigens: frozenset[str] = frozenset()
    cell_sources: frozenset[str] = frozenset()
    roles: frozenset[str] | None = None
    """The intervention roles an agent or class counts in; None: any role."""

    def named(self) -> bool:
        return bool(self.agents or self.therapy_classes or self.target_antigens or self.cell_sources)

    def described(self) -> str:
        """The treatment in words, for a reason: 'target_antigen CD7 and cell_source autologous'."""
        parts = (
            ("agent", self.agents),
            ("therapy_class", self.therapy_classes),
            ("target_antigen", self.target_antigens),
            ("cell_source", self.cell_sources),
        )
        return " and ".join(f"{name} {' or '.join(sorted(values))}" for name, values in parts if values)


def _values(values: Sequence[Any] | None) -> frozenset[str]:
    return frozenset(str(v.value if hasattr(v, "value") else v) for v in values or ())


def treatment_asked(session: Session, study: StudyFilters) -> Treatment | None:
    """The treatment the study filters name (their codes read as terms), in the roles they ask; None if none."""
    filters, _ = with_terms(session, study, CODED_STUDY_FILTERS)
    treatment = Treatment(
        agents=_values(filters.agent),
        therapy_classes=_values(filters.therapy_class),
        target_antigens=_values(filters.target_antigen),
        cell_sources=_values(filters.cell_source),
        roles=_intervention_roles(counted_roles(study.role)),
    )
    return treatment if treatment.named() else None


def _intervention_roles(roles: frozenset[str] | None) -> frozenset[str] | None:
    """Of the study-tag roles that count, those an intervention has: a tag's own markers (no role, the study's
    own class) are no value of the intervention's role column, which PostgreSQL refuses as its enum."""
    return None if roles is None else roles & {role.value for role in InterventionRole}


def study_arms(session: Session, study_ids: set[str]) -> dict[str, set[str]]:
    """Each study's arm ids (a study that records none is absent)."""
    arms: dict[str, set[str]] = {}
    for arm_id, study_id in session.exec(select(Arm.id, Arm.study_id).where(col(Arm.study_id).in_(study_ids))):
        arms.setdefault(study_id, set()).add(arm_id)
    return arms


def arms_given(session: Session, treatment: Treatment, arms: dict[str, set[str]]) -> dict[str, set[str]]:
    """Each study's arms given the treatment. An agent or class counts by an intervention of the arm in a role
    asked; an antigen or cell source by the CAR product an arm received (a product naming no arm is every arm's:
    E6). "chemotherapy gave a CR rate of 40%" was supported by the nelarabine monotherapy arm of a study whose
    other arm had chemotherapy (session 12's ninth probe, C13), and a class a study with arms lists for some of
    its patients (a transplant for 78 of 281) is no arm's to credit."""
    studied = select(Intervention.arm_id).where(col(Intervention.study_id).in_(set(arms)))
    if treatment.roles is not None:
        studied = studied.where(col(Intervention.role).in_(sorted(treatment.roles)))
    # The agent and the class each by an intervention of its own: venetoclax with chemotherapy is two
    # (a tenth probe's E1: one intervention holding both was asked, and none does).
    wanted = [
        col(Intervention.agent).in_(sorted(treatment.agents)) if treatment.agents else None,
        col(Intervention.therapy_class).in_(sorted(treatment.therapy_classes)) if treatment.therapy_classes else None,
    ]
    held: list[set[str]] = [set(session.exec(studied.where(c)).all()) for c in wanted if c is not None]
    if treatment.target_antigens or treatment.cell_sources:
        held.append(_arms_given_product(session, treatment, arms))
    given = set.intersection(*held) if held else set()
    return {study: study_arms & given for study, study_arms in arms.items()}


def _arms_given_product(session: Session, treatment: Treatment, arms: dict[str, set[str]]) -> set[str]:
    """The arms that received a CAR product of an antigen and a cell source asked."""
    products = session.exec(
        select(CarProduct.study_id, CarProduct.arm_id, CarProduct.target_antigens, CarProduct.cell_source).where(
            col(CarProduct.study_id).in_(set(arms))
        )
    ).all()
    given: set[str] = set()
    for study_id, arm_id, antigens, cell_source in products:
        if treatment.target_antigens and not treatment.target_antigens & set(antigens):
            continue
        if treatment.cell_sources and cell_source not in treatment.cell_sources:
            continue
        given |= {arm_id} if arm_id is not None else arms[study_id]
    return given
