"""Which patients a treatment is credited to by their subgroup's own definition: one rule for the claim check
and the comparison (api.queries.treatment; session 13's FC6, session 14's GA6)."""

import pytest

from api.queries import claims, comparison, treatment
from api.queries.treatment import Treatment, given_by_its_subgroup
from models.enums import GIVEN_ROLES, STUDIED_ROLES, InterventionRole

SCT = frozenset({"stem_cell_transplant"})


@pytest.mark.parametrize("subgroup", ["allo_hsct", "high_risk_allo_hsct"])
@pytest.mark.parametrize("roles", [None, frozenset(STUDIED_ROLES), frozenset(GIVEN_ROLES)])
def test_a_transplanted_subgroup_was_given_a_transplant_asked_alone_in_the_study(
    subgroup: str, roles: frozenset[str] | None
) -> None:
    assert given_by_its_subgroup(Treatment(therapy_classes=SCT, roles=roles), subgroup)
    # One of the classes asked as alternatives will do.
    assert given_by_its_subgroup(Treatment(therapy_classes=SCT | {"chemotherapy"}, roles=roles), subgroup)


@pytest.mark.parametrize(
    ("asked", "subgroup"),
    [
        (Treatment(therapy_classes=SCT), None),  # the whole cohort
        (Treatment(therapy_classes=SCT), "post_transplant_relapse"),  # transplanted before the study
        (Treatment(therapy_classes=frozenset({"chemotherapy"})), "allo_hsct"),  # another class
        (Treatment(therapy_classes=SCT, agents=frozenset({"cytarabine"})), "allo_hsct"),  # more than the class
        (Treatment(therapy_classes=SCT, target_antigens=frozenset({"CD7"})), "allo_hsct"),
        (Treatment(therapy_classes=SCT, cell_sources=frozenset({"autologous"})), "allo_hsct"),
        (Treatment(therapy_classes=SCT, roles=frozenset({InterventionRole.prior_therapy})), "allo_hsct"),
        (Treatment(agents=frozenset({"cytarabine"})), "allo_hsct"),
    ],
)
def test_no_other_figure_is_given_a_treatment_by_its_subgroup(asked: Treatment, subgroup: str | None) -> None:
    assert not given_by_its_subgroup(asked, subgroup)


def test_the_claim_check_and_the_comparison_share_the_rule() -> None:
    assert claims.given_by_its_subgroup is comparison.given_by_its_subgroup is treatment.given_by_its_subgroup
    assert not hasattr(claims, "SUBGROUP_GIVEN")


def test_a_treatment_s_parts_are_each_named_alone_in_its_roles() -> None:
    asked = Treatment(agents=frozenset({"cytarabine"}), therapy_classes=SCT, roles=frozenset({"backbone"}))
    assert asked.parts() == [
        Treatment(agents=frozenset({"cytarabine"}), roles=frozenset({"backbone"})),
        Treatment(therapy_classes=SCT, roles=frozenset({"backbone"})),
    ]
    assert Treatment(therapy_classes=SCT).parts() == [Treatment(therapy_classes=SCT)]
