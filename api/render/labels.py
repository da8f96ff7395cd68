"""Words for codes: how enum values and time points read to a person.

One table for the server-rendered views and, through /embed/labels.json, for the
browser component, so both say the same thing.
"""

from collections.abc import Sequence

from models.figure import Inference

# Only the codes whose readable form is not the code with spaces for underscores.
LABELS: dict[str, str] = {
    # measures
    "cr": "CR",
    "cri": "CRi",
    "cr_cri": "CR/CRi",
    "crc": "CRc",
    "pr": "PR",
    "orr": "ORR",
    "mrd_negative_cr": "MRD-negative CR",
    "mrd_negative": "MRD-negative",
    "os": "OS",
    "efs": "EFS",
    "rfs": "RFS",
    "pfs": "PFS",
    "dfs": "DFS",
    "cir": "CIR",
    "proceeded_to_hsct": "proceeded to HSCT",
    # adverse events and grading
    "cytokine_release_syndrome": "CRS",
    "icans": "ICANS",
    "graft_versus_host_disease": "GVHD",
    "macrophage_activation_syndrome": "MAS",
    "cmv_reactivation": "CMV reactivation",
    "ebv_reactivation": "EBV reactivation",
    "astct_consensus": "ASTCT consensus",
    "ctcae": "CTCAE",
    "not_stated": "not stated",
    # populations, settings, designs
    "aya": "AYA",
    "newly_diagnosed": "newly diagnosed",
    "relapsed_refractory": "relapsed/refractory",
    "etp": "ETP",
    "non_etp": "non-ETP",
    "t_all": "T-ALL",
    "t_lbl": "T-LBL",
    "allo_hsct": "allo-HSCT",
    "high_risk_allo_hsct": "high-risk allo-HSCT",
    "no_hsct": "no HSCT",
    "hsct_ineligible": "HSCT-ineligible",
    "censored_at_hsct": "censored at HSCT",
    "randomised_trial": "randomised trial",
    "single_arm_trial": "single-arm trial",
    "non_randomised_trial": "non-randomised trial",
    "not_applicable": "not applicable",
    # therapy
    "car_t": "CAR-T",
    "car_nk": "CAR-NK",
    "car_t_cells": "CAR-T cells",
    "bcl2_inhibitor": "BCL-2 inhibitor",
    "hdac_inhibitor": "HDAC inhibitor",
    "g_csf": "G-CSF",
    "hyper_cvad": "hyper-CVAD",
    "t_cell": "T cell",
    "nk_cell": "NK cell",
}

EN_DASH = "\u2013"
_TIME_UNITS = {"m": "month", "y": "year"}


def label(code: object) -> str:
    """'cr_cri' -> 'CR/CRi'; unknown codes read with spaces for underscores."""
    if code is None:
        return ""
    text = str(code)
    return LABELS.get(text, text.replace("_", " "))


def time_point_label(code: str | None) -> str:
    """'3y' -> '3 years', 'd28' -> 'day 28', 'cycle1' -> 'after cycle 1', 'best' -> 'best response'."""
    if not code:
        return ""
    if code == "best":
        return "best response"
    if code.startswith("cycle"):
        return f"after cycle {code.removeprefix('cycle')}"
    if code.startswith("d") and code[1:].isdigit():
        return f"day {code[1:]}"
    if code[-1] in "my" and code[:-1].replace(".", "", 1).isdigit():
        number = code[:-1]
        return f"{number} {_TIME_UNITS[code[-1]]}{'' if number == '1' else 's'}"
    return code


def at_time(code: str | None) -> str:
    """A time point after a measure's name: ' at 2 years', ' at day 28', ' at best response', but ' after
    cycle 1' (not 'at after cycle 1': session 12's probe); '' when there is none."""
    words = time_point_label(code)
    if not words:
        return ""
    return f" {words}" if words.startswith("after ") else f" at {words}"


def grade_label(grade_min: int | None, grade_max: int | None) -> str:
    """(3, None) -> 'grade ≥3', (1, 2) -> 'grade 1-2' (en dash), (None, 2) -> 'grade ≤2', (None, None) -> no grade."""
    if grade_min is None and grade_max is None:
        return "grade not stated"
    if grade_max is None:
        return f"grade ≥{grade_min}"
    if grade_min is None:
        return f"grade ≤{grade_max}"
    if grade_min == grade_max:
        return f"grade {grade_max}"
    return f"grade {grade_min}{EN_DASH}{grade_max}"


INFERRED_NOTE = "Inferred by curators, not printed"
DERIVED_NOTE = "Derived by curators, not printed"


def inferred_note(inferred: Sequence[Inference]) -> str:
    """The hover text of an 'inferred' mark: each field the document does not print, and why it is read so."""
    return INFERRED_NOTE + ": " + "; ".join(f"{i.field.replace('_', ' ')}: {i.reason}" for i in inferred)


def derived_note(derivation: str | None) -> str:
    """The hover text of a 'derived' mark."""
    return f"{DERIVED_NOTE}: {derivation}" if derivation else DERIVED_NOTE
