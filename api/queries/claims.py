"""The figures a claim is about: outcomes of its measure, scope, time point and subgroup.

The scope goes through the same study filters as /v1/studies and /v1/outcomes (StudyFilters),
so an agent matches exactly as it does there (intervention roles included: a prior therapy is
not an agent the study gave).
"""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from api.queries.filters import OutcomeFilters, StudyFilters, SubgroupFilter
from api.queries.pages import to_public, where
from api.queries.roles import STUDIED
from api.queries.treatment import Treatment, arms_given, given_by_its_subgroup, study_arms
from models import Arm, CarProduct, Intervention, Outcome, Study, StudyTag
from models.claim import Claim, ScopeInference, ScopeRecord
from models.enums import STUDIED_ROLES, Disease, Setting, Subgroup
from models.figure import Inference
from models.outcome import OutcomePublic


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
            # The disease and a disease's subgroup are who the figure is about (population_condition), not filters.
            "role": [STUDIED],  # a claim credits its figure to the agent or class: the treatment under study
        }
    )
    return OutcomeFilters.model_validate(
        {
            "measure": [claim.measure],
            "time_point": one(claim.time_point),  # and the codes of the same time (2y: 24m), as every filter
            "subgroup": None
            if claim.subgroup is None or claim.subgroup in WHOLE_STUDY_SUBGROUPS
            else [SubgroupFilter(claim.subgroup.value)],
            "study_id": one(claim.study),
            "arm_id": one(claim.arm),
        }
    ).within(study)


# The subgroups whose figures are of one disease's patients alone, in a study that enrolled others too.
# Not a part of them: the ETP subgroup of a T-ALL study is some of its T-ALL patients (session 12's
# ninth probe, C2: its 100% "supported" a claim about T-ALL patients).
DISEASE_SUBGROUPS: dict[Disease, tuple[Subgroup, ...]] = {
    Disease.t_all: (Subgroup.t_all,),
    Disease.t_lbl: (Subgroup.t_lbl,),
    Disease.etp_all: (Subgroup.etp,),
}
SUBGROUP_DISEASE: dict[Subgroup, Disease] = {s: d for d, subgroups in DISEASE_SUBGROUPS.items() for s in subgroups}
"""The disease whose patients a subgroup is."""
SUBGROUP_SETTING: dict[Subgroup, Setting] = {
    Subgroup.relapsed_refractory: Setting.relapsed_refractory,
    Subgroup.newly_diagnosed: Setting.newly_diagnosed,
}
"""The setting whose patients a subgroup is: a study of that setting alone is all of them (session 14's probe,
HA1: "CR 55% in relapsed/refractory patients" was not found, where a study of R/R patients alone printed it)."""
WHOLE_STUDY_SUBGROUPS = frozenset(SUBGROUP_DISEASE) | frozenset(SUBGROUP_SETTING)
"""The subgroups a whole study's patients may all be, so its whole-study figures are theirs (population_condition)."""


def claim_disease(claim: Claim) -> Disease | None:
    """The disease a claim's patients have: its own, but ETP-ALL for T-ALL patients of the ETP subgroup (session 13's
    second probe, FC3: "ETP T-ALL patients" could never be found, the ETP-ALL studies not being tagged T-ALL and the
    ETP subgroup of a study of T-ALL and T-LBL not counting as T-ALL's)."""
    if claim.disease is Disease.t_all and claim.subgroup is Subgroup.etp:
        return Disease.etp_all
    return claim.disease


def population_disease(claim: Claim) -> Disease | None:
    """The disease of the patients a claim is about: its own (claim_disease), or that its disease subgroup is of
    (`subgroup=t_lbl`: T-LBL), as population_condition admits the figures of either."""
    if (disease := claim_disease(claim)) is not None:
        return disease
    return None if claim.subgroup is None else SUBGROUP_DISEASE.get(claim.subgroup)


def tagged_with(disease: Disease) -> SelectOfScalar[str]:
    """The studies that list the disease."""
    return select(StudyTag.study_id).where(col(StudyTag.facet) == "disease", col(StudyTag.value) == disease.value)


def of_one_patient() -> SelectOfScalar[str]:
    """The studies of one patient: of each disease they list, one patient being no two populations (session 14's
    probe, GA3: one ETP-ALL/LBL patient, coded ETP-ALL and T-LBL, was taken for a study of two diseases)."""
    return select(Study.id).where(col(Study.n_enrolled) == 1)


def _all_of(subgroup: Subgroup) -> ColumnElement[bool] | None:
    """The figures of studies whose patients are all of the subgroup: that enrolled its disease alone, or one
    patient who had it; or whose setting is its setting alone. None for a subgroup no whole study is."""
    if (own := SUBGROUP_DISEASE.get(subgroup)) is not None:
        only = (
            select(StudyTag.study_id)
            .where(col(StudyTag.facet) == "disease")
            .group_by(col(StudyTag.study_id))
            .having(func.min(StudyTag.value) == own.value)
            .having(func.max(StudyTag.value) == own.value)
        )
        one = tagged_with(own).where(col(StudyTag.study_id).in_(of_one_patient()))
        return or_(col(Outcome.study_id).in_(only), col(Outcome.study_id).in_(one))
    if (setting := SUBGROUP_SETTING.get(subgroup)) is not None:
        return col(Outcome.study_id).in_(select(Study.id).where(col(Study.setting) == setting.value))
    return None


def population_condition(session: Session, claim: Claim) -> ColumnElement[bool] | None:
    """The figures that may be of the claim's disease or subgroup's patients: of a study that enrolled the
    disease, or of that disease's subgroup in any study (the ETP subgroup of a T-ALL study is ETP-ALL
    patients: a tenth probe's E4); for a subgroup a whole study may be (a disease's, a setting's), that
    subgroup's figures, or a whole study's where all its patients are of it (_all_of; session 13's probe, FA11:
    "CR/CRi was 100% in ETP patients" was not found, where a study of ETP-ALL patients alone printed it).
    matching_outcomes then sorts out studies that enrolled other diseases too."""
    parts: list[ColumnElement[bool]] = []
    if (of_disease := _disease_condition(claim)) is not None:
        parts.append(of_disease)
    if claim.subgroup is not None and (all_of := _all_of(claim.subgroup)) is not None:
        whole = and_(col(Outcome.subgroup).is_(None), all_of)
        parts.append(or_(col(Outcome.subgroup) == claim.subgroup.value, whole))
    return and_(*parts) if parts else None


def _disease_condition(claim: Claim) -> ColumnElement[bool] | None:
    """The figures of a study that enrolled the claim's disease, or of that disease's subgroup in any study."""
    if (disease := claim_disease(claim)) is None:
        return None
    subgroups = [s.value for s in DISEASE_SUBGROUPS.get(disease, ())]
    return or_(col(Outcome.study_id).in_(tagged_with(disease)), col(Outcome.subgroup).in_(subgroups))


def _of_studies_not_all_of(session: Session, claim: Claim, conditions: list[Any]) -> list[OutcomePublic]:
    """The figures of no subgroup (a whole study's, or one arm's) of the claim's measure and scope whose studies are
    not all of the claim's subgroup (a disease's or a setting's): left out, and said (session 14's third probe,
    IA1: they were dropped without a word, where a claim naming a disease lists the figures of studies that
    enrolled others too)."""
    if claim.subgroup is None or (all_of := _all_of(claim.subgroup)) is None:
        return []
    extra = [col(Outcome.subgroup).is_(None), not_(all_of), col(Outcome.unlabeled).is_(False)]
    if (of_disease := _disease_condition(claim)) is not None:
        extra.append(of_disease)
    rows = session.exec(where(select(Outcome), [*conditions, *extra]).order_by(col(Outcome.id))).all()
    return [to_public(OutcomePublic, row) for row in rows]


@dataclass(frozen=True)
class ClaimFigures:
    """The figures a claim is about, and those of its measure and scope that are not, by why."""

    matching: list[OutcomePublic]
    other_populations: dict[str, list[str]]
    """Study id -> the diseases it enrolled, where they are more than the claim's disease."""
    one_patient: dict[str, list[str]] = field(default_factory=dict)
    """Study id -> the diseases it lists, more than the claim's, for the matching figures' studies of one patient:
    one patient is of each disease coded (one entity with no single code, such as ETP-ALL/LBL)."""
    of_a_subgroup: list[OutcomePublic] = field(default_factory=list)
    """Figures of a subgroup, where the claim names none: it is about the whole cohort."""
    unlabeled: list[OutcomePublic] = field(default_factory=list)
    """Figures whose group or arm labels were lost in extraction: which cohort each is about is unknown."""
    not_given: list[OutcomePublic] = field(default_factory=list)
    """Figures of patients not all given the claim's treatment: another arm's, or a whole study's whose arms did not
    all get it."""
    of_an_arm: list[OutcomePublic] = field(default_factory=list)
    """Figures of one arm of several the claim is about (every arm, or every arm given its treatment), where it names
    no arm: it is about all of them."""
    of_other_populations: list[OutcomePublic] = field(default_factory=list)
    """Figures of the studies in other_populations: not of the claim's disease's patients alone."""
    not_all_of_subgroup: list[OutcomePublic] = field(default_factory=list)
    """Figures of no subgroup (a whole study's or one arm's) of studies not all of the claim's subgroup (where a whole
    study may be, _all_of)."""
    enrolled: dict[str, int] = field(default_factory=dict)
    """Study id -> the patients it enrolled, as printed, for the matching figures' studies that print it."""
    several_arms: set[str] = field(default_factory=set)
    """The studies of the matching figures and of not_all_of_subgroup that record more than one arm: an arm's figure
    there is of a part."""
    scope_inferred: dict[str, list[ScopeInference]] = field(default_factory=dict)
    """Matching figure id -> the inferred fields of its study, interventions and CAR products the claim's scope
    matched on (scope_inferences)."""


def claim_treatment(claim: Claim) -> Treatment:
    """The treatment the claim credits its figure to, in a role under study."""

    def one(value: object) -> frozenset[str]:
        return frozenset() if value is None else frozenset({str(value)})

    return Treatment(
        agents=one(claim.agent),
        therapy_classes=one(claim.therapy_class),
        target_antigens=one(claim.target_antigen),
        cell_sources=one(claim.cell_source),
        roles=frozenset(STUDIED_ROLES),
    )


def matching_outcomes(session: Session, claim: Claim) -> ClaimFigures:
    """Every outcome figure the claim is about, by id.

    Who a claim is about decides which figures speak to it. A claim that names no subgroup is about
    the whole cohort: a subgroup's figure does not decide it (session 12's ninth probe, C1: "GMALL 08/2013
    reported a 3-year OS of 68%" was supported by the 68% of its high-risk patients who went on to
    transplant, where all patients had 78%). The same holds for arms: a claim that names no arm is about
    the whole cohort, or, where it names a treatment, about all the patients given it, so one arm's figure
    decides it only where that arm alone got the treatment (a tenth probe's E3: "the 2-year OS was 8%" was
    supported by one arm of a two-arm study whose cohort had 37.6%; session 13's probe, FA1: naming nelarabine,
    which both arms got, did the same). A claim's disease is who its figure
    is about. A figure has no disease of its own: it is about its study's whole population, so it speaks
    of a disease where its study enrolled no other, or where its subgroup is that disease's patients
    (session 11's seventh probe, T7), or where its study is of one patient, whose disease it lists. A figure
    whose labels were lost in extraction is about no known cohort (C4), as the comparison already holds."""
    scope = claim_filters(claim).conditions(session).all
    population = population_condition(session, claim)
    conditions = scope if population is None else [*scope, population]
    rows = session.exec(where(select(Outcome), conditions).order_by(col(Outcome.id))).all()
    figures = [to_public(OutcomePublic, row) for row in rows]
    unlabeled = [f for f in figures if f.unlabeled]
    figures = [f for f in figures if not f.unlabeled]
    # Who each figure is about, first by disease: a figure of a study that enrolled other diseases too is named
    # once, as such, not also by its arm (session 13's probe, FA4: it was advised to name an arm, which did not
    # make it count).
    # A disease subgroup's disease too: a study of one patient it admitted is counted so, and said (session 14's
    # probe, HA4: subgroup=t_lbl was decided by the one-patient study coded ETP-ALL and T-LBL without a word).
    disease = population_disease(claim)
    alone = DISEASE_SUBGROUPS.get(disease, ()) if disease is not None else ()
    diseases_of = study_diseases(session, {f.study_id for f in figures}) if disease is not None else {}
    several = {study for study, diseases in diseases_of.items() if disease and set(diseases) - {disease.value}}
    one_patient = {study for study, n in enrolled_patients(session, several).items() if n == 1}
    mixed = several - one_patient
    of_other_populations = [f for f in figures if f.study_id in mixed and f.subgroup not in alone]
    other = {f.study_id for f in of_other_populations}
    figures = [f for f in figures if f.study_id not in other or f.subgroup in alone]
    not_all_of_subgroup = _of_studies_not_all_of(session, claim, scope)
    # Their studies' arms too: which of them are one arm's of several is said (session 15's probe, JA1).
    arms = study_arms(session, {f.study_id for f in [*figures, *not_all_of_subgroup]})
    # The arms each study's claim is about: all of them, or those given the claim's treatment.
    treatment = claim_treatment(claim)
    about = arms_given(session, treatment, arms) if treatment.named() else arms
    not_given: list[OutcomePublic] = []
    of_an_arm: list[OutcomePublic] = []
    matching: list[OutcomePublic] = []
    of_a_subgroup: list[OutcomePublic] = []
    for figure in figures:
        # A study that records no arms is of what it lists (the study filter found it): no arm rule applies.
        its_arms, arms_about = arms.get(figure.study_id, set()), about.get(figure.study_id, set())
        if given_by_its_subgroup(treatment, figure.subgroup):
            matching.append(figure)  # the patients given the claim's treatment, by the subgroup's own definition
        elif its_arms and figure.arm_id is None and not its_arms <= arms_about:
            not_given.append(figure)  # a whole study's figure: every arm must be one the claim is about
        elif its_arms and figure.arm_id is not None and figure.arm_id not in arms_about:
            not_given.append(figure)
        elif its_arms and figure.arm_id is not None and claim.arm is None and len(arms_about) > 1:
            of_an_arm.append(figure)  # a part of the patients the claim is about is not them
        elif figure.subgroup is not None and figure.subgroup not in alone and claim.subgroup is None:
            of_a_subgroup.append(figure)
        else:
            matching.append(figure)  # the whole cohort, the claim's subgroup, or the disease's patients in a study
    return ClaimFigures(
        matching=matching,
        other_populations={study: diseases_of[study] for study in sorted(other)},
        one_patient={study: diseases_of[study] for study in sorted(one_patient & {f.study_id for f in matching})},
        of_other_populations=of_other_populations,
        not_all_of_subgroup=not_all_of_subgroup,
        enrolled=enrolled_patients(session, {f.study_id for f in matching}),
        several_arms={study for study, its_arms in arms.items() if len(its_arms) > 1},
        scope_inferred=scope_inferences(session, claim, matching, arms=arms),
        of_a_subgroup=of_a_subgroup,
        unlabeled=unlabeled,
        not_given=not_given,
        of_an_arm=of_an_arm,
    )


def _inferred(record: object, wanted: set[str]) -> dict[str, str]:
    """The record's inferred fields among those wanted, with their reasons."""
    found = (Inference.model_validate(i) for i in getattr(record, "inferred", None) or ())
    return {i.field: i.reason for i in found if i.field in wanted}


def _relies_on_diseases(claim: Claim, figure: OutcomePublic) -> bool:
    """Whether the figure counts as of the claim's disease by its study's diseases (not by its own subgroup)."""
    disease = claim_disease(claim)
    if disease is not None and figure.subgroup not in DISEASE_SUBGROUPS.get(disease, ()):
        return True
    return claim.subgroup in SUBGROUP_DISEASE and figure.subgroup is None


def _relies_on_setting(claim: Claim, figure: OutcomePublic) -> bool:
    """Whether the figure counts as of the claim's subgroup by its study's setting (a whole study's figure)."""
    return claim.subgroup in SUBGROUP_SETTING and figure.subgroup is None


def scope_inferences(
    session: Session, claim: Claim, figures: list[OutcomePublic], *, arms: dict[str, set[str]]
) -> dict[str, list[ScopeInference]]:
    """Figure id -> the inferred fields of its study, its arms' interventions (in a role under study) and its CAR
    products that the claim's scope matched on, with their reasons (session 14's probe, GA2: "CD5 CAR-T gave a
    CR rate of 100%" was supported by a slide whose CD5 target and CAR-T class are both curators' readings, and
    the answer did not say so). A figure's arms: its own, or, for a whole study's figure, all of them."""
    study_ids = {f.study_id for f in figures}
    if not study_ids:
        return {}
    studies = {s.id: s for s in session.exec(select(Study).where(col(Study.id).in_(study_ids)))}
    # By study: a claim matching thousands of figures read every study's records once per figure.
    interventions: dict[str, list[Intervention]] = {}
    for given in session.exec(
        select(Intervention).where(
            col(Intervention.study_id).in_(study_ids), col(Intervention.role).in_(sorted(STUDIED_ROLES))
        )
    ):
        interventions.setdefault(given.study_id, []).append(given)
    products: dict[str, list[CarProduct]] = {}
    for product in session.exec(select(CarProduct).where(col(CarProduct.study_id).in_(study_ids))):
        products.setdefault(product.study_id, []).append(product)
    found: dict[str, list[ScopeInference]] = {}
    for figure in figures:
        study = studies[figure.study_id]
        its_arms = {figure.arm_id} if figure.arm_id is not None else arms.get(figure.study_id, set())
        said: list[tuple[ScopeRecord, str, dict[str, str]]] = []
        wanted = {"diseases"} if _relies_on_diseases(claim, figure) else set()
        if _relies_on_setting(claim, figure):
            wanted.add("setting")
        if claim.therapy_class is not None and claim.therapy_class in study.therapy_classes:
            wanted.add("therapy_classes")
        said.append(("study", study.id, _inferred(study, wanted)))
        for given in interventions.get(figure.study_id, []):
            if given.arm_id not in its_arms:
                continue
            fields = {"agent", "role"} if claim.agent is not None and given.agent == claim.agent else set()
            if claim.therapy_class is not None and given.therapy_class == claim.therapy_class:
                fields |= {"therapy_class", "role"}
            said.append(("intervention", given.id, _inferred(given, fields)))
        for product in products.get(figure.study_id, []):
            if product.arm_id is not None and product.arm_id not in its_arms:
                continue
            fields = set()
            if claim.target_antigen is not None and claim.target_antigen in product.target_antigens:
                fields.add("target_antigens")
            if claim.cell_source is not None and product.cell_source == claim.cell_source:
                fields.add("cell_source")
            said.append(("car_product", product.id, _inferred(product, fields | ({"arm"} if fields else set()))))
        found[figure.id] = [
            ScopeInference(record=record, kind=kind, field=name, reason=reason)
            for kind, record, inferred in said
            for name, reason in inferred.items()
        ]
    return found


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


def study_names(session: Session) -> list[tuple[str, str]]:
    """Every name a sentence may use for a study, with the study: its id, acronym and registry ids. Shared
    names too: whether one is shared is decided as the sentence reader reads it (api.claims.text.StudyNames)."""
    return [
        (name, study.id)
        for study in session.exec(select(Study)).all()
        for name in (study.id, study.acronym, *study.registry_ids)
        if name
    ]


def enrolled_patients(session: Session, study_ids: set[str]) -> dict[str, int]:
    """Each study's patients enrolled, where it prints how many."""
    rows = session.exec(select(Study.id, Study.n_enrolled).where(col(Study.id).in_(study_ids)))
    return {study_id: n for study_id, n in rows if n is not None}


def arm_study(session: Session, arm_id: str) -> str | None:
    """The study an arm is of; None for an arm id the data do not hold."""
    arm = session.get(Arm, arm_id)
    return None if arm is None else arm.study_id


def study_exists(session: Session, study_id: str) -> bool:
    return session.get(Study, study_id) is not None
