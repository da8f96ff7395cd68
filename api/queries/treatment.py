"""Which arms of a study got a treatment: an agent or class, a CAR product's antigen or cell source.

A study filter selects a study that gave the treatment in any arm, or lists a class as its own; a figure is
credited to the treatment only where its patients got it: by their arm, or by their subgroup's own definition
(a transplanted subgroup). One place decides that for the claim check (a claim credits its figure to the
treatment it names) and the comparison (a treatment filter's pool is of the patients given it: session 13's
probe, FA12).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from api.queries.filters import CODED_STUDY_FILTERS, StudyFilters
from api.queries.roles import counted_roles
from api.queries.terminology import with_terms
from models import Arm, CarProduct, Intervention
from models.enums import STUDIED_ROLES, InterventionRole, Subgroup, TherapyClass

# The parts a treatment names: each as a filter names it, and the field holding its alternatives.
_PARTS = (
    ("agent", "agents"),
    ("therapy_class", "therapy_classes"),
    ("target_antigen", "target_antigens"),
    ("cell_source", "cell_sources"),
)


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
        named = ((name, getattr(self, field)) for name, field in _PARTS)
        return " and ".join(f"{name} {' or '.join(sorted(values))}" for name, values in named if values)

    def parts(self) -> list["Treatment"]:
        """Each part named alone, in the same roles: 'agent X' and 'therapy_class Y' of both named."""
        return [
            Treatment(roles=self.roles, **{field: getattr(self, field)}) for _, field in _PARTS if getattr(self, field)
        ]


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


def parts_given_no_arm(session: Session, treatment: Treatment, arms: dict[str, set[str]]) -> dict[str, list[Treatment]]:
    """Each study's parts of the treatment that no arm of it was given. A study filter finds a study by a part no
    arm got only where the study lists that class as its own (its therapy_classes: GMALL 08/2013's transplant, given
    to 78 of its 281 patients), an agent being an arm's intervention and an antigen or cell source a product's; the
    comparison says so, not "another arm of its study was" (session 14's probe, GA6)."""
    if not arms:
        return {}
    parts = treatment.parts()
    given = [arms_given(session, part, arms) for part in parts]
    return {study: [part for part, its in zip(parts, given, strict=True) if not its[study]] for study in arms}


# Subgroups whose patients are those given a class of treatment as part of the study's (not before it, as
# post_transplant_relapse's were): their figures are of the patients given it, whatever the arms list.
SUBGROUP_GIVEN: dict[Subgroup, TherapyClass] = {
    Subgroup.allo_hsct: TherapyClass.stem_cell_transplant,
    Subgroup.high_risk_allo_hsct: TherapyClass.stem_cell_transplant,
}


def given_by_its_subgroup(treatment: Treatment, subgroup: str | None) -> bool:
    """Whether a figure of this subgroup is of patients given the treatment by the subgroup's own definition: the
    subgroup is defined by a class the treatment names, a class is all it names, and it counts a role of the
    treatment under study (session 13's second probe, FC6: "stem cell transplant gave a 3-year OS of 68%" was not
    found, where the 78 high-risk patients transplanted printed it, GMALL's arm not listing the transplant given to
    78 of its 281; session 14's probe, GA6: the comparison said those patients were not given it)."""
    given = SUBGROUP_GIVEN.get(Subgroup(subgroup)) if subgroup is not None else None
    only_a_class = not (treatment.agents or treatment.target_antigens or treatment.cell_sources)
    under_study = treatment.roles is None or bool(treatment.roles & STUDIED_ROLES)
    return given is not None and only_a_class and under_study and given in treatment.therapy_classes
