"""The figures a claim is about: outcomes of its measure, scope, time point and subgroup.

The scope goes through the same study filters as /v1/studies and /v1/outcomes (StudyFilters),
so an agent matches exactly as it does there (intervention roles included: a prior therapy is
not an agent the study gave).
"""

from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

from sqlmodel import Session, col, select

from api.queries.filters import OutcomeFilters, StudyFilters, SubgroupFilter
from api.queries.pages import to_public, where
from api.queries.roles import STUDIED
from models import Outcome, Study, StudyTag
from models.claim import Claim
from models.enums import Disease, Subgroup
from models.outcome import OutcomePublic, time_point_months


def equivalent_time_points(code: str) -> list[str]:
    """The codes naming the same time: '2y' is also '24m'; '18m' also '1.5y'. Others only themselves."""
    if time_point_months(code) is None:
        return [code]
    # In decimal, written out in full: a float's shortest form rounds to six digits ('1.00000001y'
    # read as 12m) and turns to an exponent past them ('1.2e+10m'), which is no time point.
    # Exact: a context as wide as the code (x12 adds two digits), where the default 28 digits rounded
    # 1.0000000000000000000000000001y to 12m.
    with localcontext() as exact:
        exact.prec = len(code) + 4
        number, unit = Decimal(code[:-1]), code[-1]
        months = number * 12 if unit == "y" else number
        codes = [code, f"{_plain(months)}m"]
        # In years too wherever that is a finite decimal: 9m is 0.75y as 0.75y is 9m (session 12's probe, A14:
        # the equivalence held one way only); 1m is 0.08333...y, which no code can write.
        years = Fraction(str(months)) / 12
        if _finite_decimal(years.denominator):
            codes.append(f"{_plain(Decimal(years.numerator) / Decimal(years.denominator))}y")
    return sorted(set(codes))


def _finite_decimal(denominator: int) -> bool:
    """Whether a fraction with this (reduced) denominator is written in decimals with an end: 2s and 5s only."""
    for factor in (2, 5):
        while denominator % factor == 0:
            denominator //= factor
    return denominator == 1


def _plain(number: Decimal) -> str:
    """A number's digits without an exponent or trailing zeros: 24, 1.5, 0.0000012."""
    return format(number.normalize(), "f")


def claim_filters(claim: Claim) -> OutcomeFilters:
    """The claim as the filters /v1/outcomes takes."""

    def one(value: object) -> list[object] | None:
        return None if value is None else [value]

    study = StudyFilters.model_validate(
        {
            "agent": one(claim.agent),
            "target_antigen": one(claim.target_antigen),
            "therapy_class": one(claim.therapy_class),
            "cell_source": one(claim.cell_source),
            "disease": one(claim.disease),
            "role": [STUDIED],  # a claim credits its figure to the agent or class: the treatment under study
        }
    )
    return OutcomeFilters.model_validate(
        {
            "measure": [claim.measure],
            "time_point": None if claim.time_point is None else equivalent_time_points(claim.time_point),
            "subgroup": None if claim.subgroup is None else [SubgroupFilter(claim.subgroup.value)],
            "study_id": one(claim.study),
            "arm_id": one(claim.arm),
        }
    ).within(study)


# What a claim's disease takes in besides itself: ETP-ALL patients are T-ALL patients.
SUBTYPES: dict[Disease, tuple[Disease, ...]] = {Disease.t_all: (Disease.etp_all,)}
# The subgroups whose figures are of a disease's patients alone, in a study that enrolled others too.
DISEASE_SUBGROUPS: dict[Disease, tuple[Subgroup, ...]] = {
    Disease.t_all: (Subgroup.t_all, Subgroup.etp),
    Disease.t_lbl: (Subgroup.t_lbl,),
    Disease.etp_all: (Subgroup.etp,),
}


@dataclass(frozen=True)
class ClaimFigures:
    """The figures a claim is about, and the studies whose figures its disease left out."""

    matching: list[OutcomePublic]
    other_populations: dict[str, list[str]]
    """Study id -> the diseases it enrolled, where they are more than the claim's disease."""


def matching_outcomes(session: Session, claim: Claim) -> ClaimFigures:
    """Every outcome figure the claim is about, by id.

    A claim's disease is who its figure is about. A figure has no disease of its own: it is about its
    study's whole population, so it speaks of a disease where its study enrolled no other, or where its
    subgroup is that disease's patients (session 11's seventh probe, T7: '2-year OS of T-LBL patients 63%'
    was supported by a figure of T-ALL and T-LBL patients together)."""
    conditions = claim_filters(claim).conditions(session)
    rows = session.exec(where(select(Outcome), conditions.all).order_by(col(Outcome.id))).all()
    figures = [to_public(OutcomePublic, row) for row in rows]
    if claim.disease is None:
        return ClaimFigures(matching=figures, other_populations={})
    within = {claim.disease.value, *(subtype.value for subtype in SUBTYPES.get(claim.disease, ()))}
    enrolled = study_diseases(session, {figure.study_id for figure in figures})
    mixed = {study for study, diseases in enrolled.items() if not set(diseases) <= within}
    alone = DISEASE_SUBGROUPS.get(claim.disease, ())
    matching = [f for f in figures if f.study_id not in mixed or f.subgroup in alone]
    left_out = {f.study_id for f in figures} - {f.study_id for f in matching}
    return ClaimFigures(matching=matching, other_populations={study: enrolled[study] for study in sorted(left_out)})


def study_diseases(session: Session, study_ids: set[str]) -> dict[str, list[str]]:
    """Each study's diseases, sorted."""
    tags = session.exec(
        select(StudyTag.study_id, StudyTag.value)
        .where(col(StudyTag.facet) == "disease", col(StudyTag.study_id).in_(study_ids))
        .order_by(col(StudyTag.study_id), col(StudyTag.value))
    ).all()
    found: dict[str, list[str]] = {}
    for study, disease in tags:
        found.setdefault(study, []).append(disease)
    return found


def study_names(session: Session) -> dict[str, str]:
    """Every name a sentence may use for one study: its id, and its acronym and registry ids where no other
    study shares them (two V-HAG studies: 'V-HAG' names neither)."""
    owners: dict[str, set[str]] = {}
    for study in session.exec(select(Study)).all():
        for name in (study.id, study.acronym, *study.registry_ids):
            if name:
                owners.setdefault(name, set()).add(study.id)
    return {name: next(iter(ids)) for name, ids in owners.items() if len(ids) == 1}


def study_exists(session: Session, study_id: str) -> bool:
    return session.get(Study, study_id) is not None
