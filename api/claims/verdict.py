"""The verdict on a claim from the figures that match it, and the one sentence that explains it."""

from sqlmodel import Session

from api.claims.agreement import APPROXIMATE, Comparison, compare
from api.queries.claims import ClaimFigures, arm_study, matching_outcomes, population_disease, study_exists
from api.render.labels import at_time, label
from models.claim import Claim, ClaimCheck, ClaimEvidence, ClaimUnit, Verdict
from models.outcome import OutcomePublic

MAX_EVIDENCE = 50
"""Figures listed in one answer (agreeing ones first); the verdict weighs every match."""


def claim_words(claim: Claim) -> str:
    """'2-year OS of 42.7%' for the claim, as the explanation quotes it."""
    number = f"{claim.value:g}" if claim.decimals is None else f"{claim.value:.{claim.decimals}f}"
    if claim.numerator is not None and claim.denominator is not None:
        number = f"{claim.numerator}/{claim.denominator}"
    amount = f"{number}%" if claim.unit is ClaimUnit.percent and claim.numerator is None else number
    if claim.unit is ClaimUnit.patients:
        amount = f"{number} patients"
    when = at_time(claim.time_point)
    who = f" in the {label(claim.subgroup)} subgroup" if claim.subgroup else ""
    return f"{label(claim.measure)}{when}{who} of {amount}"


def scope_words(claim: Claim) -> str:
    parts = [
        f"study {claim.study}" if claim.study else None,
        f"arm {claim.arm}" if claim.arm else None,
        f"{label(claim.cell_source)}" if claim.cell_source else None,
        f"{claim.target_antigen}-targeted" if claim.target_antigen else None,
        label(claim.therapy_class) if claim.therapy_class else None,
        f"agent {label(claim.agent)}" if claim.agent else None,
        f"disease {claim.disease}" if claim.disease else None,
    ]
    return " ".join(p for p in parts if p)


def evidence(figure: OutcomePublic, comparison: Comparison, *, figures: ClaimFigures) -> ClaimEvidence:
    return ClaimEvidence(
        **figure.model_dump(include=set(ClaimEvidence.model_fields) - {"agrees", "compared", "scope_inferred"}),
        scope_inferred=figures.scope_inferred.get(figure.id, []),
        agrees=comparison.agrees,
        compared=comparison.said,
    )


RECORD_WORDS = {"study": "study", "intervention": "intervention", "car_product": "CAR product"}


def _scope_inferred(items: list[OutcomePublic], figures: ClaimFigures) -> list[str]:
    """The inferred fields of the figures' studies, interventions and CAR products the scope matched on, each
    once with its reason: a match on a curator's reading is said, as an inferred field of the figure is."""
    said = {(i.kind, i.record, i.field): i.reason for f in items for i in figures.scope_inferred.get(f.id, [])}
    if not said:
        return []
    named = _some(
        [
            f"{RECORD_WORDS[kind]} {record} {name} ({reason.strip().removesuffix('.')})"
            for (kind, record, name), reason in said.items()
        ]
    )
    return ["matched to the claim's scope by fields curators inferred: " + named]


def _quoted(e: OutcomePublic) -> str:
    return f"{e.id} printed {e.printed!r} ({e.source_id}, {e.locator})"


MAX_NAMED = 5
"""Records one clause of the explanation names, then how many more: at 100 times the data it listed every
matching figure's id, 40,000 characters in one sentence (session 12's ninth probe, C12)."""


def _some(names: list[str]) -> str:
    """The first MAX_NAMED names, then how many more."""
    more = f" and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED else ""
    return ", ".join(names[:MAX_NAMED]) + more


def _caveats(items: list[OutcomePublic]) -> list[str]:
    """What a reader must know about the matching figures: conflicts, derived values, inferred fields, and
    the curators' caveat on a figure (read it with care: session 12's ninth probe, C4)."""
    said: list[str] = []
    conflicts = sorted({c for e in items for c in e.conflict_ids})
    if conflicts:
        said.append(
            "a recorded conflict involves the matching figures: "
            + _some([f"{c} (/v1/conflicts/{c})" for c in conflicts])
        )
    derived = [e.id for e in items if e.derived]
    if derived:
        said.append("derived by curators rather than printed: " + _some(derived))
    inferred = [f"{e.id} ({', '.join(i.field for i in e.inferred)})" for e in items if e.inferred]
    if inferred:
        said.append("with fields inferred by curators: " + _some(inferred))
    cautioned = [f"{e.id} ({e.caveat})" for e in items if e.caveat]
    if cautioned:
        said.append("to be read with the curators' caveat: " + _some(cautioned))
    return said


def _with_diseases(studies: dict[str, list[str]]) -> str:
    """Studies each named with the diseases it lists ('x (ETP-ALL and T-LBL)'), a bounded few."""
    return _some([f"{study} ({' and '.join(diseases)})" for study, diseases in sorted(studies.items())])


def _other_populations(claim: Claim, other: dict[str, list[str]]) -> list[str]:
    """The studies whose figures are not of the claim's disease alone, said once."""
    if not other:
        return []
    disease = population_disease(claim)
    return [
        f"not counted, as not of {disease} patients alone: the figures of studies that enrolled {_with_diseases(other)}"
    ]


def _one_patient(claim: Claim, studies: dict[str, list[str]]) -> list[str]:
    """The studies of one patient counted as of the claim's disease though they list others: said, not silent."""
    if not studies:
        return []
    disease = population_disease(claim)
    several = _with_diseases(studies)
    return [
        f"counted as of {disease} patients, each a study of one patient whose disease it codes as several: {several}"
    ]


UNLABELED = "unlabeled: its group or arm labels were lost in extraction"
NOT_ALL_OF_SUBGROUP = "of a study whose patients are not all of the claim's subgroup"
NOT_GIVEN = "of patients not all given the claim's treatment (an agent or class in a role under study, a CAR product)"
OF_AN_ARM = (
    "of one arm of several, where the claim names no arm: it is about the whole cohort, or all the patients given "
    "its treatment"
)


def _of_a_part(figure: OutcomePublic, figures: ClaimFigures) -> bool:
    """Whether the figure is of a part of its study's patients: a subgroup's, or one arm's of several (the one arm
    of a study is all of it)."""
    return figure.subgroup is not None or (figure.arm_id is not None and figure.study_id in figures.several_arms)


def _whose(figure: OutcomePublic, figures: ClaimFigures) -> str:
    return "one arm's figure" if _of_a_part(figure, figures) else "a whole study's figure"


def _not_deciding(figures: ClaimFigures) -> list[tuple[OutcomePublic, Comparison]]:
    """The figures of the claim's measure and scope that do not decide it, each with why (listed last)."""
    subgroups = [
        (f, Comparison(None, f"of the {label(f.subgroup)} subgroup, where the claim is about the whole cohort"))
        for f in figures.of_a_subgroup
    ]
    arms = [(f, Comparison(None, OF_AN_ARM)) for f in figures.of_an_arm]
    unlabeled = [(f, Comparison(None, UNLABELED)) for f in figures.unlabeled]
    # Listed too (session 13's second probe, FC2: named only by their studies, absent from the evidence).
    others = [
        (f, Comparison(None, f"of a study that enrolled {' and '.join(figures.other_populations[f.study_id])}"))
        for f in figures.of_other_populations
    ]
    # Session 14's third probe, IA1: dropped without a word. Each as what it is: one arm's figure was called a
    # whole study's (session 15's probe, JA1).
    not_all = [
        (f, Comparison(None, f"{_whose(f, figures)}, {NOT_ALL_OF_SUBGROUP}")) for f in figures.not_all_of_subgroup
    ]
    not_given = [(f, Comparison(None, NOT_GIVEN)) for f in figures.not_given]
    return [*subgroups, *arms, *others, *not_all, *unlabeled, *not_given]


COUNTS_UNCHECKED = "the claim counts patients"


def _within_the_study(claim: Claim, figure: OutcomePublic, judged: Comparison, *, figures: ClaimFigures) -> Comparison:
    """A claim's own counts against a figure that prints no denominator (one that does checked them: compare):
    agreeing by its percentage, 800/1000 was "supported" by a study of 10 patients (session 13's second probe,
    FC1). More patients than the study enrolled agree with none of its whole-study figures; a subgroup's or an
    arm's cannot check them."""
    if not judged.agrees or figure.denominator is not None or claim.denominator is None:
        return judged
    if _of_a_part(figure, figures):
        # How many patients a part of the study is, the document does not say here: 21/21 'in ETP patients'
        # agreed with the ETP subgroup's 100% of a study of 21 that also had non-ETP patients (session 13's
        # probe, FE1). The claim's counts cannot be checked against it.
        part = "subgroup" if figure.subgroup is not None else "arm"
        return Comparison(None, f"{COUNTS_UNCHECKED}; the figure prints no count of its {part} to check them")
    n = figures.enrolled.get(figure.study_id)
    if n is None:
        # How many the study enrolled is not printed: "427/1000" was "supported" by the 42.7% of a slide deck
        # that gives no number of patients (session 14's probe, HA2).
        return Comparison(None, f"{COUNTS_UNCHECKED}; the study prints no enrolment to check them")
    if claim.denominator > n:
        return Comparison(False, f"the claim counts {claim.denominator} patients; the study enrolled {n}")
    return judged


def _unchecked(items: list[OutcomePublic]) -> list[str]:
    if not items:
        return []
    return [
        "not counted, as printed as a percentage alone, with no count of the patients it is of to check the "
        "claim's counts against (its percentage agrees; the counts were not checked): " + _some([f.id for f in items])
    ]


def _not_counted(items: list[OutcomePublic], why: str) -> list[str]:
    if not items:
        return []
    return [f"not counted, {why}: " + _some([f"{f.id} ({label(f.subgroup)})" if f.subgroup else f.id for f in items])]


def check(claim: Claim, figures: ClaimFigures, *, version: str) -> ClaimCheck:
    """Supported when a matching figure agrees; contradicted when figures match and none agrees; else not found."""
    # Every match is weighed; only the figures listed become evidence (a claim matching 700 figures spent
    # most of its 52 ms building evidence nobody was shown: session 12's probe, A11).
    judged = {f.id: _within_the_study(claim, f, compare(claim, f), figures=figures) for f in figures.matching}
    comparable = [f for f in figures.matching if judged[f.id].agrees is not None]
    agreeing = [f for f in comparable if judged[f.id].agrees]
    disagreeing = [f for f in comparable if not judged[f.id].agrees]
    unusable = [f for f in figures.matching if judged[f.id].agrees is None]
    # A figure whose percentage the claim's counts were not checked against is said so, whatever the verdict.
    unchecked = [f for f in unusable if judged[f.id].said.startswith(COUNTS_UNCHECKED)]
    approximate = [f for f in unusable if judged[f.id].said.endswith(APPROXIMATE)]
    no_number = [f for f in unusable if f not in unchecked and f not in approximate]
    claimed = claim_words(claim)
    scope = scope_words(claim)
    about = f"{claimed}{f' for {scope}' if scope else ''}"
    if agreeing:
        verdict = Verdict.supported
        sentence = f"Supported: {len(agreeing)} of {len(comparable)} matching figures agree with {about}: " + "; ".join(
            _quoted(e) for e in agreeing[:3]
        )
        if disagreeing:
            sentence += f"; {len(disagreeing)} other matching figure(s) do not agree"
    elif disagreeing:
        verdict = Verdict.contradicted
        sentence = f"Contradicted: no matching figure agrees with {about}; the data say " + "; ".join(
            _quoted(e) for e in disagreeing[:3]
        )
    else:
        verdict = Verdict.not_found
        sentence = f"Not found: no figure in dataset version {version} reports {about}"
        if no_number:
            sentence += (
                f"; {len(no_number)} figure(s) of that measure give no number in {claim.unit.value} to compare: "
                + "; ".join(_quoted(e) for e in no_number[:3])
            )
    not_deciding = _not_deciding(figures)
    caveats = [
        *_caveats(comparable),
        *_scope_inferred(comparable, figures),
        *_unchecked(unchecked),
        *_not_counted(approximate, "as printed as approximate, agreeing only with their own number at its precision"),
        *_other_populations(claim, figures.other_populations),
        *_one_patient(claim, figures.one_patient),
        *_not_counted(figures.of_a_subgroup, "as figures of a subgroup (the claim names none; name one to check them)"),
        *_not_counted(figures.of_an_arm, "as figures of one arm (the claim names none; name one to check them)"),
        *_not_counted(figures.unlabeled, "as unlabeled (their group or arm labels were lost in extraction)"),
        *_not_counted(figures.not_given, "as of patients not all given it (by the arms each study records)"),
        *_not_counted(
            [f for f in figures.not_all_of_subgroup if not _of_a_part(f, figures)],
            "as whole-study figures of studies whose patients are not all of the subgroup",
        ),
        *_not_counted(
            [f for f in figures.not_all_of_subgroup if _of_a_part(f, figures)],
            "as one arm's figures, of studies whose patients are not all of the subgroup",
        ),
    ]
    if caveats:
        sentence += "; " + "; ".join(caveats)
    ordered = agreeing + disagreeing + unusable
    listed = [evidence(f, judged[f.id], figures=figures) for f in ordered[:MAX_EVIDENCE]]
    listed += [evidence(f, said, figures=figures) for f, said in not_deciding[: max(0, MAX_EVIDENCE - len(listed))]]
    return ClaimCheck(
        verdict=verdict,
        explanation=sentence + ".",
        understood=claim,
        evidence=listed,
        matching_figures=len(comparable),
        dataset_version=version,
    )


def check_against_data(session: Session, claim: Claim, *, version: str) -> ClaimCheck:
    """The verdict on a claim from every figure that matches it; a study id the data do not hold is said so."""
    answer = check(claim, matching_outcomes(session, claim), version=version)
    if claim.study is not None and not study_exists(session, claim.study):
        answer.explanation = answer.explanation.removesuffix(".") + f"; no study has the id {claim.study!r}."
    # An arm too: a typo read as "the data have no such figure" (session 13's probe, FA9).
    if claim.arm is not None and (owner := arm_study(session, claim.arm)) is None:
        answer.explanation = answer.explanation.removesuffix(".") + f"; no arm has the id {claim.arm!r}."
    elif claim.arm is not None and claim.study is not None and owner != claim.study:
        answer.explanation = (
            answer.explanation.removesuffix(".")
            + f"; the arm {claim.arm!r} is of study {owner!r}, not {claim.study!r}."
        )
    return answer
