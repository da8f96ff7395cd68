"""The figures a claim is about: outcomes of its measure, scope, time point and subgroup.

The scope goes through the same study filters as /v1/studies and /v1/outcomes (StudyFilters),
so an agent matches exactly as it does there (intervention roles included: a prior therapy is
not an agent the study gave).
"""

from decimal import Decimal, localcontext

from sqlmodel import Session, col, select

from api.queries.filters import OutcomeFilters, StudyFilters, SubgroupFilter
from api.queries.pages import to_public, where
from models import Outcome, Study
from models.claim import Claim
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
        if months % 6 == 0:
            codes.append(f"{_plain(months / 12)}y")
    return sorted(set(codes))


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


def matching_outcomes(session: Session, claim: Claim) -> list[OutcomePublic]:
    """Every outcome figure the claim is about, by id."""
    conditions = claim_filters(claim).conditions(session)
    rows = session.exec(where(select(Outcome), conditions.all).order_by(col(Outcome.id))).all()
    return [to_public(OutcomePublic, row) for row in rows]


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
