"""The comparison spliced from its stored parts (models.fragment.ComparisonFragment) is the
comparison computed model by model from the figures' projections, byte for byte.

The reference below builds every row as a ComparisonRow from the outcomes' projections, as the
comparison did before its parts were stored, and shares with the spliced path only the pooling
steps (checked on their own in test_pooling.py and test_comparison_edges.py). Run on the curated
data and on the synthetic data that pools (tests/pooled/synthetic_pool.py), for every measure,
every time point and both settings of include_derived.
"""

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.main import create_app
from api.queries import comparison as c
from api.queries.filters import ANY_SUBGROUP, StudyFilters, SubgroupFilter, equivalent_time_points
from api.queries.fragments import json_of
from api.queries.projection import outcome_projections
from api.state import app_state
from models import ComparisonFragment, Fragment, Outcome, Study
from models.comparison import Comparison, ComparisonRow, ExcludedRow
from models.enums import Measure
from models.fragment import FragmentKind
from tests.pooled.synthetic_pool import write_pooled_fixtures


def _reference(session: Session, measure: Measure, time_point: str | None, *, include_derived: bool) -> Comparison:
    conditions = [Outcome.measure == measure, col(Outcome.subgroup).is_(None)]
    if time_point is not None:
        conditions.append(col(Outcome.time_point).in_(equivalent_time_points(time_point)))
    arm = col(Outcome.arm_id)
    order = (col(Outcome.study_id), arm.is_not(None), arm, col(Outcome.id))
    outcomes = outcome_projections(session, conditions, order_by=order)
    names = {s.id: (s.title, s.acronym) for s in session.exec(select(Study))}
    rows: list[ComparisonRow] = []
    excluded: list[ExcludedRow] = []
    for o in outcomes:
        reason = c._exclusion(o)
        if reason is not None:
            excluded.append(ExcludedRow(outcome_id=o.id, study_id=o.study_id, printed=o.printed, reason=reason))
            continue
        title, acronym = names[o.study_id]
        counts = o.measure not in c.TIME_TO_EVENT
        assert o.numerator is not None or not counts
        low, high = c.wilson_interval(o.numerator, o.denominator) if counts else (None, None)  # type: ignore[arg-type]
        rows.append(
            ComparisonRow(
                outcome_id=o.id,
                label=c._row_label(title, acronym, o.arm_label),
                study_title=title,
                study_acronym=acronym,
                n=o.denominator,
                events=o.numerator,
                proportion=o.numerator / o.denominator if counts else c.percent_proportion(o.value),  # type: ignore[operator,arg-type]
                ci_low=low,
                ci_high=high,
                interval_method="wilson" if counts else None,
                pooled=False,
                **{name: getattr(o, name) for name in c.SHOWN_FACTS},
            )
        )
    c._unique_labels(rows)
    chosen = c._pool_rows(rows, include_derived)
    pooled, note = None, None
    if len(chosen) >= 2:
        for r in chosen:
            r.pooled = True
        pooled = c.pool_random_effects([(r.events or 0, r.n or 0) for r in chosen]).model_copy(
            update={
                "time_point": Counter(
                    r.time_point for r in sorted(chosen, key=lambda r: r.time_point or "")
                ).most_common(1)[0][0],
                "denominator_basis": chosen[0].denominator_basis,
                "outcome_ids": [r.outcome_id for r in chosen],
                "leave_one_out": c._leave_one_out(chosen),
            }
        )
        left = sum(1 for r in rows if not r.pooled)
        note = f"{left} row{'s' if left != 1 else ''} shown but not pooled; each says why" if left else None
    else:
        for r in chosen:
            r.not_pooled_reason = "no other comparable row to pool with"
        note = c._why_not_pooled(measure, rows, len(chosen))
    return Comparison(
        measure=measure,
        time_point=time_point,
        include_derived=include_derived,
        rows=rows,
        pooled=pooled,
        pooled_note=note,
        excluded=excluded,
        dataset_version="v",
    )


def _every_case(session: Session) -> Iterator[tuple[Measure, str | None, bool]]:
    for measure, time_point in sorted(set(session.exec(select(Outcome.measure, Outcome.time_point))), key=str):
        for include_derived in (False, True):
            yield Measure(measure), None, include_derived
            if time_point is not None:
                yield Measure(measure), time_point, include_derived


def _check_every_case(session: Session) -> int:
    pooled = 0
    for measure, time_point, include_derived in _every_case(session):
        plan = c.plan_comparison(
            session,
            measure,
            time_point=time_point,
            outcome_conditions=[col(Outcome.subgroup).is_(None)],
            version="v",
            include_derived=include_derived,
        )
        expected = json_of(Comparison, _reference(session, measure, time_point, include_derived=include_derived))
        assert c.comparison_json(plan) == expected, (measure, time_point, include_derived)
        assert json_of(Comparison, c.comparison_model(plan)) == expected
        pooled += plan.envelope.pooled is not None
    return pooled


def _session(client: TestClient) -> Session:
    return Session(app_state(client.app).database.engine)


def test_curated_comparisons_are_the_model_built_ones(client: TestClient) -> None:
    with _session(client) as session:
        _check_every_case(session)
        # Every figure has its stored part, and nothing else has one.
        stored = set(session.exec(select(ComparisonFragment.outcome_id)))
        assert stored == set(session.exec(select(Outcome.id)))


def test_pooling_comparisons_are_the_model_built_ones(tmp_path: Path) -> None:
    with TestClient(create_app(write_pooled_fixtures(tmp_path))) as client, _session(client) as session:
        assert _check_every_case(session) >= 2  # the synthetic data pools, with and without derived counts


# Each asks one thing more than the measure, so each must be computed, not read from the stored
# default: the synthetic data pools, so time point and include_derived change the answer there.
NOT_DEFAULT: dict[str, dict[str, Any]] = {
    "time_point=d99": {"time_point": "d99"},
    "include_derived=true": {"include_derived": True},
    "subgroup=any": {"subgroup": [SubgroupFilter(ANY_SUBGROUP)]},
    "study_id=pool-a": {"study_id": ["pool-a"]},
    "min_patients=1": {"study": StudyFilters(min_patients=1)},
}


def test_only_the_measure_alone_is_answered_from_the_stored_comparison(tmp_path: Path) -> None:
    with TestClient(create_app(write_pooled_fixtures(tmp_path))) as client, _session(client) as session:
        version = app_state(client.app).meta.dataset_version
        stored = {f.id: f.body for f in session.exec(select(Fragment).where(Fragment.kind == FragmentKind.comparison))}
        assert stored, "the build stores the default comparison of each measure"
        for measure in stored:
            answer = client.get("/v1/comparison", params={"measure": measure})
            assert answer.content == stored[measure]
            # The same rows asked another way (whole populations, named) are computed: the same bytes.
            assert client.get(f"/v1/comparison?measure={measure}&subgroup=none").content == stored[measure]
        for extra, asked in NOT_DEFAULT.items():
            answer = client.get(f"/v1/comparison?measure=cr&{extra}")
            assert answer.status_code == 200, answer.text
            parsed = {"study": StudyFilters(), "subgroup": None, "study_id": None, "time_point": None}
            parsed |= {"include_derived": False} | asked
            query = c.comparison_query(session, Measure.cr, version=version, **parsed)
            assert not query.default
            assert answer.content == c.comparison_json(c.plan(session, query)), extra
            assert answer.content != stored["cr"], extra
