"""Forest-plot rows for one measure: Wilson intervals and a descriptive random-effects pool.

Proportions with counts get a Wilson 95% interval. Time-to-event figures (OS, EFS...) are
carried as printed, without invented intervals, and never pooled. The pooled estimate is
DerSimonian-Laird on the logit scale, labelled descriptive: the rows come from different
designs, and reports of one programme may overlap.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, Protocol, TypeVar

from pydantic_core import to_json
from sqlalchemy import select as sql_select
from sqlmodel import Session, col

from api.queries.filters import (
    NO_SUBGROUP,
    NO_TIME_POINT,
    OutcomeFilters,
    StudyFilters,
    SubgroupFilter,
    equivalent_time_points,
    none_or_in,
    same_times,
    time_point_name,
)
from api.queries.treatment import (
    Treatment,
    arms_given,
    given_by_its_subgroup,
    parts_given_no_arm,
    study_arms,
    treatment_asked,
)
from models import Outcome
from models.comparison import Comparison, ComparisonRow, ExcludedRow, LeaveOneOut, PooledEstimate
from models.enums import DenominatorBasis, Measure, ValueUnit
from models.fragment import ComparisonFragment
from models.outcome import OutcomePublic
from models.projection import FACE_EXCEPTIONS, Face, fact_names

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
    return _random_effects([(*_logit_effect(e, n), 1) for e, n in counts])


def _random_effects(effects: Sequence[tuple[float, float, int]]) -> PooledEstimate:
    """DerSimonian-Laird over (logit, variance, copies): copies rows with the same counts counted once
    with their number, so a row's copies cost one term (each copy is a row of the pool all the same)."""
    weights = [m / v for _, v, m in effects]
    total = sum(weights)
    fixed = sum(w * y for w, (y, _, _) in zip(weights, effects, strict=True)) / total
    q = sum(w * (y - fixed) ** 2 for w, (y, _, _) in zip(weights, effects, strict=True))
    k = sum(m for _, _, m in effects)
    df = k - 1
    c = total - sum(w * w / m for w, (_, _, m) in zip(weights, effects, strict=True)) / total
    tau2 = max(0.0, (q - df) / c) if c > 0 else 0.0
    re_weights = [m / (v + tau2) for _, v, m in effects]
    mean = sum(w * y for w, (y, _, _) in zip(re_weights, effects, strict=True)) / sum(re_weights)
    se = math.sqrt(1 / sum(re_weights))
    i2 = max(0.0, (q - df) / q) * 100 if q > 0 else 0.0

    def expit(x: float) -> float:
        return 1 / (1 + math.exp(-x))

    return PooledEstimate(
        label=POOLED_LABEL,
        method="DerSimonian-Laird random effects on logit proportions (0.5 continuity correction for empty cells)",
        k=k,
        proportion=expit(mean),
        ci_low=expit(mean - Z95 * se),
        ci_high=expit(mean + Z95 * se),
        i_squared=i2,
        tau_squared=tau2,
        q=q,
    )


class FigureFacts(Protocol):
    """What deciding a figure's place in a comparison reads of it (an OutcomePublic, or its JSON's view)."""

    @property
    def conflict_ids(self) -> Sequence[str]: ...
    @property
    def unlabeled(self) -> bool: ...
    @property
    def measure(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def value(self) -> float | None: ...
    @property
    def numerator(self) -> int | None: ...
    @property
    def denominator(self) -> int | None: ...


@dataclass(slots=True)
class PlannedRow:
    """A usable figure's row while the comparison is decided: the facts that decide its label and
    its place in the pool, and its stored JSON (models.fragment.ComparisonFragment) for the rest."""

    outcome_id: str
    study_id: str
    arm_id: str | None
    label: str
    subgroup: str | None
    time_point: str | None
    interval_method: str | None
    derived: bool
    denominator_basis: DenominatorBasis
    n: int | None
    events: int | None
    body: bytes
    pooled: bool = False
    not_pooled_reason: str | None = None

    def __post_init__(self) -> None:
        self.denominator_basis = DenominatorBasis(self.denominator_basis)  # stored as its value

    def json(self) -> bytes:
        """The row's JSON as ComparisonRow writes it: the stored part between the label and "pooled"."""
        return b"".join(
            (
                b'{"outcome_id":',
                to_json(self.outcome_id),
                b',"label":',
                to_json(self.label),
                self.body,
                b',"pooled":true' if self.pooled else b',"pooled":false',
                b',"not_pooled_reason":',
                to_json(self.not_pooled_reason),
                b"}",
            )
        )


# The rows the pooling steps decide: the model's rows (as the tests build them), or the planned ones.
Row = TypeVar("Row", ComparisonRow, PlannedRow)


def _exclusion(o: FigureFacts) -> str | None:
    if o.conflict_ids:
        return f"in recorded conflict {', '.join(o.conflict_ids)}: values disagree between or within sources"
    if o.unlabeled:
        return "printed without a clear label"
    if o.measure in TIME_TO_EVENT:
        return None if o.unit == ValueUnit.percent and o.value is not None else "no percentage printed"
    if o.numerator is None or o.denominator is None:
        return "no denominator: a proportion without counts cannot be given an interval or pooled"
    if o.denominator == 0:
        return "denominator is zero"
    return None


# The figure's facts a row carries under the figure's own names (the rest: see FACE_EXCEPTIONS).
SHOWN_FACTS = {
    name
    for name in fact_names(OutcomePublic)
    if name not in FACE_EXCEPTIONS[Face.comparison_json] and name in ComparisonRow.model_fields
}

DERIVED_REASON = "counts derived by curators, not printed; left out of the pool unless include_derived=true"
NO_TIME_POINT_REASON = "no time point printed; a figure measured at an unknown time pools with no other, stated or not"


def _row_label(title: str, acronym: str | None, arm_label: str | None) -> str:
    name = acronym or title
    return f"{name} · {arm_label}" if arm_label is not None else f"{name} · all patients"


def _unique_labels(rows: list[Row]) -> None:
    """Make labels unique: add subgroup and time point where two rows share one, then the figure's id."""
    for extra in (
        lambda r: label_part(r.subgroup),
        lambda r: f"at {r.time_point}" if r.time_point else "no time point",
        lambda r: r.outcome_id.split(".", 1)[-1],
    ):
        seen = Counter(r.label for r in rows)
        for r in rows:
            if seen[r.label] > 1 and (part := extra(r)):
                r.label = f"{r.label} · {part}"


def label_part(subgroup: object) -> str | None:
    return str(subgroup).replace("_", " ") if subgroup else None


def _pool_rows(rows: list[Row], include_derived: bool) -> list[Row]:
    """Choose the rows to pool and give every other proportion row its reason; return the chosen."""
    candidates: list[Row] = []
    for r in rows:
        if r.not_pooled_reason is not None:
            pass  # decided before: its patients were not given the treatment asked (_not_given)
        elif r.interval_method != "wilson":
            r.not_pooled_reason = "survival figures are carried as printed and never pooled"
        elif r.derived and not include_derived:
            r.not_pooled_reason = DERIVED_REASON
        elif r.time_point is None:
            r.not_pooled_reason = NO_TIME_POINT_REASON
        else:
            candidates.append(r)
    # One stratum a time, however written: 24m and 2y are the same stated time (session 13's probe, FA7).
    strata: dict[tuple[tuple[str, ...], DenominatorBasis], list[Row]] = defaultdict(list)
    for r in candidates:
        strata[(equivalent_time_points(r.time_point or ""), r.denominator_basis)].append(r)
    if not strata:
        return []
    # The largest comparable set: most studies, then most patients, then the codes for a stable choice.
    (time_point, basis), chosen = max(
        strata.items(),
        key=lambda item: (len({r.study_id for r in item[1]}), sum(r.n or 0 for r in item[1]), item[0]),
    )
    for (other_time, other_basis), others in strata.items():
        if (other_time, other_basis) != (time_point, basis):
            for r in others:
                r.not_pooled_reason = (
                    f"at {_written(others)} with {_a(other_basis)} denominator; the pool is of figures at "
                    f"{_written(chosen)} with {_a(basis)} denominator"
                )
    return _independent(chosen)


def _written(rows: Sequence[PlannedRow | ComparisonRow]) -> str:
    """A stratum's time point as its rows write it: '2y', or '24m or 2y' where they write it both ways."""
    return " or ".join(sorted({r.time_point or "" for r in rows}))


def _a(basis: DenominatorBasis) -> str:
    """The basis with its article: 'an evaluable', 'a treated'."""
    return f"{'an' if basis.value[0] in 'aeiou' else 'a'} {basis.value}"


def _independent(rows: list[Row]) -> list[Row]:
    """One row per independent population: an arm's patients are also in its whole study's figure."""
    by_study: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        by_study[r.study_id].append(r)
    kept: list[Row] = []
    for study_rows in by_study.values():
        arms = [r for r in study_rows if r.arm_id is not None]
        for r in study_rows:
            if r.arm_id is None and arms:
                r.not_pooled_reason = "whole-study figure; its patients are in the arm rows pooled instead"
        by_population: dict[str | None, list[Row]] = defaultdict(list)
        for r in arms or study_rows:
            by_population[r.arm_id].append(r)
        for same in by_population.values():
            # Printed counts before derived ones, then the larger denominator.
            best = min(same, key=lambda r: (r.derived, -(r.n or 0), r.outcome_id))
            kept.append(best)
            for r in same:
                if r is not best:
                    r.not_pooled_reason = f"same patients as {best.outcome_id}, which is pooled"
    return kept


def _not_given(session: Session, treatment: Treatment, rows: list[PlannedRow]) -> None:
    """Give each row whose patients were not all given the treatment asked its reason: the filter selects a
    study that gave it in any arm, so an arm given something else, or a whole study's figure whose arms did
    not all get it, is not of the patients the comparison is about (session 13's probe, FA12: a CD7 filter
    pooled a CD5 arm's patients). As the claim check credits a figure (api.queries.treatment), a subgroup
    defined by the treatment included."""
    arms = study_arms(session, {r.study_id for r in rows})
    given = arms_given(session, treatment, arms)
    # The filter also selects a study no arm of which got it (a class it lists as its own): each of its rows
    # says that, not "another arm of its study was" (session 14's probe, GA6).
    unlisted = parts_given_no_arm(session, treatment, {study: its for study, its in arms.items() if not given[study]})
    asked = treatment.described()
    for r in rows:
        study = arms.get(r.study_id)
        if not study or given_by_its_subgroup(treatment, r.subgroup):
            continue  # of what the study lists (no arms recorded), or of patients given it by their subgroup
        if r.study_id in unlisted:
            r.not_pooled_reason = _no_arm_given(treatment, unlisted[r.study_id], whole=r.arm_id is None)
        elif r.arm_id is None and not study <= given[r.study_id]:
            r.not_pooled_reason = f"whole-study figure; not every arm was given {asked}"
        elif r.arm_id is not None and r.arm_id not in given[r.study_id]:
            r.not_pooled_reason = f"this arm was not given {asked}; another arm of its study was"


def _no_arm_given(treatment: Treatment, unlisted: list[Treatment], *, whole: bool) -> str:
    """The reason of a row of a study no arm of which was given the treatment: the parts it lists as its own, or
    (each part some arm's) that no arm got them all."""
    asked = treatment.described()
    if not unlisted and whole:
        return f"whole-study figure; no arm of its study was given all of {asked}"
    if not unlisted:
        return f"this arm was not given {asked}; no arm of its study was given all of it"
    listed = "it" if unlisted == [treatment] else " and ".join(part.described() for part in unlisted)
    why = f"the study lists {listed} as its own, not as an arm's"
    if whole:
        return f"whole-study figure; no arm of its study was given {asked}: {why}"
    return f"this arm was not given {asked}; no arm of its study was: {why}"


def _leave_one_out(rows: list[Row]) -> list[LeaveOneOut]:
    if len(rows) < 3:
        return []
    # Leaving out either of two rows with the same counts leaves the same pool: one pool per distinct
    # counts, each over the distinct counts with their copies, instead of one pool of n - 1 rows per row.
    without = _pools_without_one(Counter((r.events or 0, r.n or 0) for r in rows))
    result = []
    for left_out in rows:
        pooled = without[(left_out.events or 0, left_out.n or 0)]
        result.append(
            LeaveOneOut(
                omitted_outcome_id=left_out.outcome_id,
                omitted_label=left_out.label,
                proportion=pooled.proportion,
                ci_low=pooled.ci_low,
                ci_high=pooled.ci_high,
                i_squared=pooled.i_squared,
            )
        )
    return result


def _pools_without_one(copies: Counter[tuple[int, int]]) -> dict[tuple[int, int], PooledEstimate]:
    """For each distinct (events, n), the pool of every row but one copy of it."""
    effects = [(counts, m, *_logit_effect(*counts)) for counts, m in copies.items()]
    return {
        left: _random_effects([(y, v, m - (counts == left)) for counts, m, y, v in effects if m - (counts == left)])
        for left in copies
    }


def _why_not_pooled(measure: Measure, rows: list[Row], chosen: int) -> str:
    if measure in TIME_TO_EVENT:
        return "survival figures are carried as printed and never pooled"
    reasons = Counter(r.not_pooled_reason for r in rows if r.not_pooled_reason)
    parts = [f"{count} row{'s' if count != 1 else ''}: {reason}" for reason, count in sorted(reasons.items())]
    found = f"a pooled estimate needs at least two comparable rows with counts; {chosen} available"
    return found + (" (" + "; ".join(parts) + ")" if parts else "")


@dataclass(slots=True)
class ComparisonPlan:
    """A comparison decided: its envelope (rows and excluded empty), its rows, and the excluded rows' JSON."""

    envelope: Comparison
    rows: list[PlannedRow]
    excluded: list[bytes]


# The stored row's JSON without what depends on the other rows: its label, written empty, and its
# pooling, written as not pooled with no reason (ComparisonRow lists them in this place).
_STORED_LABEL = b',"label":""'
_STORED_TAIL = b',"pooled":false,"not_pooled_reason":null}'


def percent_proportion(percent: float) -> float:
    """A printed percentage as a proportion, divided in decimal: 42.7 gives 0.427, where the float
    division gives 0.42700000000000005 (the figure is carried as printed)."""
    return float(Decimal(repr(percent)) / 100)


def comparison_fragment(fact: dict[str, Any], *, title: str, acronym: str | None) -> dict[str, object]:
    """An outcome's ComparisonFragment row, from its projection's JSON object (its stored fragment)
    and its study's title and acronym: the part of every comparison row it can be that the other
    rows do not change, computed once at load time."""
    o = SimpleNamespace(**fact)
    decided = {
        "outcome_id": o.id,
        "study_id": o.study_id,
        "arm_id": o.arm_id,
        "subgroup": o.subgroup,
        "time_point": o.time_point,
        "derived": o.derived,
        "denominator_basis": o.denominator_basis,
    }
    reason = _exclusion(o)
    if reason is not None:
        excluded = ExcludedRow(outcome_id=o.id, study_id=o.study_id, printed=o.printed, reason=reason)
        body = excluded.model_dump_json(by_alias=True).encode()
        return {
            **decided,
            "usable": False,
            "label": "",
            "interval_method": None,
            "n": None,
            "events": None,
            "body": body,
        }
    has_counts = o.measure not in TIME_TO_EVENT
    low, high = wilson_interval(o.numerator, o.denominator) if has_counts else (None, None)
    row = ComparisonRow(
        outcome_id=o.id,
        label="",
        study_title=title,
        study_acronym=acronym,
        n=o.denominator,
        events=o.numerator,
        proportion=(o.numerator / o.denominator) if has_counts else percent_proportion(o.value),
        ci_low=low,
        ci_high=high,
        interval_method="wilson" if has_counts else None,
        pooled=False,
        **{name: fact[name] for name in SHOWN_FACTS},
    )
    written = row.model_dump_json(by_alias=True).encode()
    head = b'{"outcome_id":' + to_json(o.id) + _STORED_LABEL
    if not (written.startswith(head) and written.endswith(_STORED_TAIL)):
        raise ValueError(
            f"ComparisonRow no longer writes outcome_id, label first and pooled, not_pooled_reason last: {o.id}"
        )
    return {
        **decided,
        "usable": True,
        "label": _row_label(title, acronym, o.arm_label),
        "interval_method": row.interval_method,
        "n": row.n,
        "events": row.events,
        "body": written[len(head) : -len(_STORED_TAIL)],
    }


_FRAGMENT = ComparisonFragment
# Whether usable, then the row's stored fields in PlannedRow's order, so a result row builds a PlannedRow.
_PLAN_COLUMNS = (
    col(_FRAGMENT.usable),
    *(getattr(_FRAGMENT, f.name) for f in fields(PlannedRow) if f.name in _FRAGMENT.model_fields),
)


def plan_comparison(
    session: Session,
    measure: Measure,
    *,
    time_point: str | None,
    outcome_conditions: Sequence[object],
    version: str,
    include_derived: bool = False,
    treatment: Treatment | None = None,
) -> ComparisonPlan:
    """Decide the comparison of measure over the outcomes meeting the conditions: which figures are
    rows and which excluded, the rows' unique labels, which rows pool, and the pooled estimate.
    Under a treatment filter, only the rows of patients given the treatment pool."""
    conditions: list[Any] = [Outcome.measure == measure, *outcome_conditions]
    if time_point is not None:
        conditions.append(none_or_in(Outcome.time_point, same_times([time_point]), none=NO_TIME_POINT))
    # A study's whole-study figures first (arm null), then its arms: the same on every database.
    arm = col(Outcome.arm_id)
    order = (col(Outcome.study_id), arm.is_not(None), arm, col(Outcome.id))
    statement = (
        sql_select(*_PLAN_COLUMNS)
        .select_from(Outcome)
        .join(_FRAGMENT, col(_FRAGMENT.outcome_id) == col(Outcome.id))
        .where(*conditions)
        .order_by(*order)
    )
    rows: list[PlannedRow] = []
    excluded: list[bytes] = []
    # The stored facts as plain tuples (a Core read): the comparison's rows number in the thousands at scale.
    for usable, *stored in session.connection().execute(statement):
        if usable:
            rows.append(PlannedRow(*stored))
        else:
            excluded.append(stored[-1])
    _unique_labels(rows)
    if treatment is not None:
        _not_given(session, treatment, rows)
    chosen = _pool_rows(rows, include_derived)
    pooled = None
    note = None
    if len(chosen) >= 2:
        for r in chosen:
            r.pooled = True
        estimate = pool_random_effects([(r.events or 0, r.n or 0) for r in chosen])
        # A pool is at one stated time (rule 1): every pooled row writes one.
        written = Counter(r.time_point for r in chosen if r.time_point is not None)
        pooled = estimate.model_copy(
            update={
                # Named as the facet and FHIR name the time where its rows write it two ways (24m, 2y).
                "time_point": time_point_name(written),
                "denominator_basis": chosen[0].denominator_basis,
                "outcome_ids": [r.outcome_id for r in chosen],
                "leave_one_out": _leave_one_out(chosen),
            }
        )
        left_out = sum(1 for r in rows if not r.pooled)
        if left_out:
            note = f"{left_out} row{'s' if left_out != 1 else ''} shown but not pooled; each says why"
    else:
        for r in chosen:
            r.not_pooled_reason = "no other comparable row to pool with"
        note = _why_not_pooled(measure, rows, len(chosen))
    envelope = Comparison(
        measure=measure,
        time_point=time_point,
        include_derived=include_derived,
        rows=[],
        pooled=pooled,
        pooled_note=note,
        excluded=[],
        dataset_version=version,
    )
    return ComparisonPlan(envelope=envelope, rows=rows, excluded=excluded)


def comparison_json(plan: ComparisonPlan) -> bytes:
    """The comparison's JSON as its response model writes it, spliced from the rows' stored JSON."""
    written = plan.envelope.model_dump_json(by_alias=True).encode()
    before_rows, rest = written.split(b'"rows":[]', 1)  # strings are escaped: no value holds these
    between, after_excluded = rest.split(b'"excluded":[]', 1)
    return b"".join(
        (
            before_rows,
            b'"rows":[',
            b",".join(r.json() for r in plan.rows),
            b"]",
            between,
            b'"excluded":[',
            b",".join(plan.excluded),
            b"]",
            after_excluded,
        )
    )


def comparison_model(plan: ComparisonPlan) -> Comparison:
    """The comparison as its model, for the faces that read it (CSV, SVG, FHIR, MCP): parsed from
    its JSON, so every face shows what the JSON says."""
    return Comparison.model_validate_json(comparison_json(plan))


def comparison_filters(
    study: StudyFilters, *, subgroup: Sequence[SubgroupFilter] | None, study_id: list[str] | None
) -> OutcomeFilters:
    """The figures a comparison reads: the studies' filters, and whole populations unless a subgroup is asked."""
    return OutcomeFilters(subgroup=list(subgroup or [SubgroupFilter(NO_SUBGROUP)]), study_id=study_id).within(study)


def default_filters() -> OutcomeFilters:
    """The figures of the comparison asked with nothing but its measure."""
    return comparison_filters(StudyFilters(), subgroup=None, study_id=None)


@dataclass(frozen=True, slots=True)
class ComparisonQuery:
    """A comparison as asked, parsed: what plan_comparison takes, and whether nothing but the
    measure was asked (that answer is stored with the dataset, api.queries.fragments)."""

    measure: Measure
    time_point: str | None
    outcome_conditions: Sequence[Any]
    version: str
    include_derived: bool
    default: bool
    treatment: Treatment | None = None


def comparison_query(
    session: Session,
    measure: Measure,
    *,
    study: StudyFilters,
    subgroup: Sequence[SubgroupFilter] | None,
    study_id: list[str] | None,
    time_point: str | None,
    include_derived: bool,
    version: str,
) -> ComparisonQuery:
    filters = comparison_filters(study, subgroup=subgroup, study_id=study_id)
    asked_more = study != StudyFilters() or subgroup or study_id or time_point is not None or include_derived
    return ComparisonQuery(
        measure=measure,
        time_point=time_point,
        outcome_conditions=filters.conditions(session).all,
        version=version,
        include_derived=include_derived,
        default=not asked_more,
        treatment=treatment_asked(session, study),
    )


def plan(session: Session, query: ComparisonQuery) -> ComparisonPlan:
    return plan_comparison(
        session,
        query.measure,
        time_point=query.time_point,
        outcome_conditions=query.outcome_conditions,
        version=query.version,
        include_derived=query.include_derived,
        treatment=query.treatment,
    )
