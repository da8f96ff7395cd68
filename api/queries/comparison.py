"""Forest-plot rows for one measure: Wilson intervals and a descriptive random-effects pool.

Proportions with counts get a Wilson 95% interval. Time-to-event figures (OS, EFS...) are
carried as printed, without invented intervals, and never pooled. The pooled estimate is
DerSimonian-Laird on the logit scale, labelled descriptive: the rows come from different
designs, and reports of one programme may overlap.
"""

import math
from collections.abc import Sequence

from sqlmodel import Session, col, select

from models import Arm, Outcome, Study
from models.comparison import Comparison, ComparisonRow, ExcludedRow, PooledEstimate
from models.enums import Measure, ValueUnit

Z95 = 1.959963984540054
TIME_TO_EVENT = {Measure.os, Measure.efs, Measure.rfs, Measure.pfs, Measure.dfs, Measure.cir}
POOLED_LABEL = (
    "Descriptive only: a random-effects summary of heterogeneous single-arm figures, not a formal "
    "meta-analysis; linked reports of one programme may contribute overlapping patients."
)


def wilson_interval(events: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion."""
    if n <= 0:
        raise ValueError("n must be positive")
    p = events / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _logit_effect(events: int, n: int) -> tuple[float, float]:
    """Logit proportion and its variance; 0.5 added to both cells when either is empty."""
    a, b = float(events), float(n - events)
    if a == 0 or b == 0:
        a, b = a + 0.5, b + 0.5
    return math.log(a / b), 1 / a + 1 / b


def pool_random_effects(counts: Sequence[tuple[int, int]]) -> PooledEstimate:
    """DerSimonian-Laird random-effects pool of proportions (events, n) on the logit scale."""
    effects = [_logit_effect(e, n) for e, n in counts]
    weights = [1 / v for _, v in effects]
    fixed = sum(w * y for w, (y, _) in zip(weights, effects, strict=True)) / sum(weights)
    q = sum(w * (y - fixed) ** 2 for w, (y, _) in zip(weights, effects, strict=True))
    df = len(counts) - 1
    c = sum(weights) - sum(w * w for w in weights) / sum(weights)
    tau2 = max(0.0, (q - df) / c) if c > 0 else 0.0
    re_weights = [1 / (v + tau2) for _, v in effects]
    mean = sum(w * y for w, (y, _) in zip(re_weights, effects, strict=True)) / sum(re_weights)
    se = math.sqrt(1 / sum(re_weights))
    i2 = max(0.0, (q - df) / q) * 100 if q > 0 else 0.0

    def expit(x: float) -> float:
        return 1 / (1 + math.exp(-x))

    return PooledEstimate(
        label=POOLED_LABEL,
        method="DerSimonian-Laird random effects on logit proportions (0.5 continuity correction for empty cells)",
        k=len(counts),
        proportion=expit(mean),
        ci_low=expit(mean - Z95 * se),
        ci_high=expit(mean + Z95 * se),
        i_squared=i2,
        tau_squared=tau2,
        q=q,
    )


def _exclusion(o: Outcome) -> str | None:
    if o.conflict_ids:
        return f"in recorded conflict {', '.join(o.conflict_ids)}: values disagree between or within sources"
    if o.unlabeled:
        return "printed without a clear label"
    if o.measure in TIME_TO_EVENT:
        return None if o.unit is ValueUnit.percent and o.value is not None else "no percentage printed"
    if o.numerator is None or o.denominator is None:
        return "no denominator: a proportion without counts cannot be given an interval or pooled"
    if o.denominator == 0:
        return "denominator is zero"
    return None


def build_comparison(
    session: Session, measure: Measure, time_point: str | None, outcome_conditions: Sequence[object], version: str
) -> Comparison:
    statement = select(Outcome).where(Outcome.measure == measure, *outcome_conditions)  # type: ignore[arg-type]
    if time_point is not None:
        statement = statement.where(Outcome.time_point == time_point)
    outcomes = session.exec(statement.order_by(col(Outcome.study_id), col(Outcome.arm_id), col(Outcome.id))).all()
    studies = {s.id: s for s in session.exec(select(Study).where(col(Study.id).in_({o.study_id for o in outcomes})))}
    arms = {a.id: a for a in session.exec(select(Arm).where(col(Arm.id).in_({o.arm_id for o in outcomes if o.arm_id})))}

    rows: list[ComparisonRow] = []
    excluded: list[ExcludedRow] = []
    for o in outcomes:
        reason = _exclusion(o)
        if reason is not None:
            excluded.append(ExcludedRow(outcome_id=o.id, study_id=o.study_id, printed=o.printed, reason=reason))
            continue
        study = studies[o.study_id]
        has_counts = o.measure not in TIME_TO_EVENT
        low, high = wilson_interval(o.numerator, o.denominator) if has_counts else (None, None)  # type: ignore[arg-type]
        rows.append(
            ComparisonRow(
                outcome_id=o.id,
                study_id=o.study_id,
                study_title=study.title,
                study_acronym=study.acronym,
                arm_id=o.arm_id,
                arm_label=arms[o.arm_id].label if o.arm_id else None,
                subgroup=o.subgroup,
                time_point=o.time_point,
                n=o.denominator,
                events=o.numerator,
                proportion=(o.numerator / o.denominator) if has_counts else o.value / 100,  # type: ignore[operator]
                ci_low=low,
                ci_high=high,
                interval_method="wilson" if has_counts else None,
                printed=o.printed,
                source_id=o.source_id,
                locator=o.locator,
                derived=o.derived,
            )
        )
    counted = [(r.events, r.n) for r in rows if r.interval_method == "wilson"]
    pooled = pool_random_effects(counted) if len(counted) >= 2 else None  # type: ignore[arg-type]
    note = None
    if pooled is None:
        note = (
            "survival figures are carried as printed and never pooled"
            if measure in TIME_TO_EVENT
            else f"a pooled estimate needs at least two rows with counts; {len(counted)} available"
        )
    return Comparison(
        measure=measure,
        time_point=time_point,
        rows=rows,
        pooled=pooled,
        pooled_note=note,
        excluded=excluded,
        dataset_version=version,
    )
