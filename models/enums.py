"""Controlled vocabularies.

Every categorical field in fixtures and responses takes its values from one of these
enums, so they appear in the OpenAPI document and in the fixture JSON Schema. A curator
who needs a new value adds it here (with a line in README's vocabulary table), never as
free text in a fixture.
"""

from collections.abc import Iterable
from enum import StrEnum


def case_folded(values: Iterable[str]) -> dict[str, str]:
    """Each enumerated value under its case-folded form, for matching a value regardless of case
    (`CR` as `cr`) on every face; empty when two values differ only by case and so cannot be told apart."""
    listed = list(values)
    folded = {value.casefold(): value for value in listed}
    return folded if len(folded) == len(set(listed)) else {}


class SourceKind(StrEnum):
    """What kind of document a source is."""

    letter = "letter"
    review = "review"
    interview = "interview"
    slide_deck = "slide_deck"
    journal_article = "journal_article"
    conference_abstract = "conference_abstract"


class Disease(StrEnum):
    """Disease entities (OncoTree has one node, TLL, for T-ALL and T-LBL)."""

    t_all = "T-ALL"
    t_lbl = "T-LBL"
    etp_all = "ETP-ALL"
    b_all = "B-ALL"


class Setting(StrEnum):
    """Disease setting of the population treated."""

    newly_diagnosed = "newly_diagnosed"
    relapsed_refractory = "relapsed_refractory"
    mixed = "mixed"
    not_applicable = "not_applicable"
    not_stated = "not_stated"


class AgeGroup(StrEnum):
    """Age groups covered by a population."""

    pediatric = "pediatric"
    aya = "aya"
    adult = "adult"


class Design(StrEnum):
    """Study design."""

    randomised_trial = "randomised_trial"
    single_arm_trial = "single_arm_trial"
    non_randomised_trial = "non_randomised_trial"
    prospective_cohort = "prospective_cohort"
    retrospective_cohort = "retrospective_cohort"
    case_report = "case_report"
    preclinical = "preclinical"
    not_stated = "not_stated"


class Phase(StrEnum):
    """Trial phase as stated by the source."""

    phase_1 = "I"
    phase_1_2 = "I/II"
    phase_2 = "II"
    phase_3 = "III"
    not_applicable = "not_applicable"
    not_stated = "not_stated"


class TherapyClass(StrEnum):
    """Broad class of a therapy, for filtering."""

    chemotherapy = "chemotherapy"
    nucleoside_analogue = "nucleoside_analogue"
    bcl2_inhibitor = "bcl2_inhibitor"
    monoclonal_antibody = "monoclonal_antibody"
    car_t = "car_t"
    car_nk = "car_nk"
    stem_cell_transplant = "stem_cell_transplant"
    hypomethylating_agent = "hypomethylating_agent"
    hdac_inhibitor = "hdac_inhibitor"


class Agent(StrEnum):
    """Named agents (drugs, growth factors, regimens given as one block)."""

    nelarabine = "nelarabine"
    venetoclax = "venetoclax"
    daratumumab = "daratumumab"
    cyclophosphamide = "cyclophosphamide"
    fludarabine = "fludarabine"
    cytarabine = "cytarabine"
    homoharringtonine = "homoharringtonine"
    g_csf = "g_csf"
    asparaginase = "asparaginase"
    pegaspargase = "pegaspargase"
    aclarubicin = "aclarubicin"
    etoposide = "etoposide"
    hyper_cvad = "hyper_cvad"
    decitabine = "decitabine"
    chidamide = "chidamide"
    tocilizumab = "tocilizumab"
    dexamethasone = "dexamethasone"
    car_t_cells = "car_t_cells"


class InterventionRole(StrEnum):
    """What an intervention is for within a regimen."""

    investigational = "investigational"
    backbone = "backbone"
    lymphodepletion = "lymphodepletion"
    conditioning = "conditioning"
    bridging = "bridging"
    supportive = "supportive"
    toxicity_management = "toxicity_management"
    prior_therapy = "prior_therapy"


GIVEN_ROLES = frozenset(
    {
        InterventionRole.investigational,
        InterventionRole.backbone,
        InterventionRole.lymphodepletion,
        InterventionRole.conditioning,
        InterventionRole.bridging,
    }
)
"""The roles of the treatment a study gave: what `agent=` and `therapy_class=` match by default."""

STUDIED_ROLES = frozenset({InterventionRole.investigational, InterventionRole.backbone})
"""The treatment under study, without what prepares for it (lymphodepletion, conditioning, bridging): what a
claim's agent or class must be, since a claim credits the figure to it (session 12's probe, A5: 'fludarabine
gave CR 74%' was supported by a CD7 CAR-T study's figure, fludarabine being its lymphodepletion)."""


class Antigen(StrEnum):
    """Target antigens (HGNC gene symbols' usual CD names)."""

    cd3 = "CD3"
    cd4 = "CD4"
    cd5 = "CD5"
    cd7 = "CD7"
    cd38 = "CD38"
    cd84 = "CD84"


class CellSource(StrEnum):
    """Where a CAR product's cells come from."""

    autologous = "autologous"
    donor_derived = "donor_derived"
    universal = "universal"
    cell_line = "cell_line"
    not_stated = "not_stated"


class FratricideStrategy(StrEnum):
    """How a product avoids killing itself when the target is on T cells too."""

    protein_expression_blocker = "protein_expression_blocker"
    natural_selection = "natural_selection"
    gene_editing = "gene_editing"
    base_editing = "base_editing"
    not_stated = "not_stated"


class Measure(StrEnum):
    """Outcome measures."""

    cr = "cr"
    cri = "cri"
    cr_cri = "cr_cri"
    crc = "crc"
    pr = "pr"
    orr = "orr"
    no_response = "no_response"
    mrd_negative_cr = "mrd_negative_cr"
    mrd_negative = "mrd_negative"
    os = "os"
    efs = "efs"
    rfs = "rfs"
    pfs = "pfs"
    dfs = "dfs"
    cir = "cir"
    death = "death"
    proceeded_to_hsct = "proceeded_to_hsct"
    remission = "remission"


class ValueUnit(StrEnum):
    """Unit of an outcome value."""

    percent = "percent"
    patients = "patients"
    months = "months"


class AdverseEventTerm(StrEnum):
    """Adverse-event terms (CTCAE names where CTCAE has one)."""

    crs = "cytokine_release_syndrome"
    icans = "icans"
    gvhd = "graft_versus_host_disease"
    mas = "macrophage_activation_syndrome"
    infection = "infection"
    cmv_reactivation = "cmv_reactivation"
    ebv_reactivation = "ebv_reactivation"
    neurotoxicity = "neurotoxicity"
    pancytopenia = "pancytopenia"
    thrombocytopenia = "thrombocytopenia"
    prolonged_thrombocytopenia = "prolonged_thrombocytopenia"
    hypotension = "hypotension"
    pleural_effusion = "pleural_effusion"
    fever = "fever"
    sinus_tachycardia = "sinus_tachycardia"
    organ_toxicity = "organ_toxicity"


class GradingSystem(StrEnum):
    """Grading system an adverse event was graded by."""

    astct = "astct_consensus"
    ctcae = "ctcae"
    not_stated = "not_stated"


class FindingCategory(StrEnum):
    """What a qualitative finding is about."""

    efficacy = "efficacy"
    safety = "safety"
    manufacturing = "manufacturing"
    pharmacology = "pharmacology"
    design = "design"
    outlook = "outlook"


class ConflictKind(StrEnum):
    """Where a recorded disagreement lives."""

    within_document = "within_document"
    between_documents = "between_documents"
    arithmetic = "arithmetic"


class StudyRelation(StrEnum):
    """How two study records relate."""

    same_study = "same_study"
    same_programme = "same_programme"
    # Neither document ties the two; curators see a likely link (shared authors, product, cohort).
    possibly_same_programme = "possibly_same_programme"
    follow_up_of = "follow_up_of"


class Subgroup(StrEnum):
    """Non-randomised subgroups an outcome can be reported for."""

    t_all = "t_all"
    t_lbl = "t_lbl"
    etp = "etp"
    non_etp = "non_etp"
    newly_diagnosed = "newly_diagnosed"
    relapsed_refractory = "relapsed_refractory"
    bone_marrow_disease = "bone_marrow_disease"
    extramedullary_disease = "extramedullary_disease"
    high_risk_molecular = "high_risk_molecular"
    post_transplant_relapse = "post_transplant_relapse"
    allo_hsct = "allo_hsct"
    high_risk_allo_hsct = "high_risk_allo_hsct"
    no_hsct = "no_hsct"
    hsct_ineligible = "hsct_ineligible"
    censored_at_hsct = "censored_at_hsct"


class DenominatorBasis(StrEnum):
    """Which patients a proportion's denominator counts, as the document states it."""

    enrolled = "enrolled"
    treated = "treated"
    evaluable = "evaluable"
    not_stated = "not_stated"


class ValueQualifier(StrEnum):
    """How a printed value relates to the true one ("about 20%", "<20%", "≤ grade II")."""

    exact = "exact"
    approximate = "approximate"
    less_than = "less_than"
    at_most = "at_most"
    more_than = "more_than"
    at_least = "at_least"


class CarCellType(StrEnum):
    """Effector cell carrying the chimeric antigen receptor."""

    t_cell = "t_cell"
    nk_cell = "nk_cell"


class EpidemiologyMeasure(StrEnum):
    """Population-level figures the documents quote."""

    share_of_all_cases = "share_of_all_cases"
    share_of_adult_all_cases = "share_of_adult_all_cases"
    relapse_rate = "relapse_rate"
    long_term_survival_after_relapse = "long_term_survival_after_relapse"
