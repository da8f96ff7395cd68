"""Reading the evidence back out of the database into response models.

Children are fetched in bulk (one query per table, never one per row or per study), so a
page of studies, a batch of details or the whole dataset costs the same number of queries.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, SQLModel, col, select

from api.queries import roles
from api.queries.corrections import corrections_by_study
from api.queries.filters import StudyFilters
from api.queries.pages import page, to_public, where
from models import (
    FIGURE_TABLES,
    AdverseEvent,
    Arm,
    CarProduct,
    Characteristic,
    Conflict,
    ConflictLink,
    Finding,
    Intervention,
    Outcome,
    Report,
    Source,
    Study,
    StudyLink,
)
from models.adverse_event import AdverseEventPublic
from models.arm import ArmPublic, InterventionPublic
from models.car_product import CarProductPublic
from models.characteristic import CharacteristicPublic
from models.conflict import ConflictMember, ConflictPublic
from models.correction import CorrectionPublic
from models.enums import InterventionRole
from models.finding import FindingPublic
from models.outcome import OutcomePublic
from models.source import SourcePublic
from models.study import ReportPublic, StudyLinkPublic
from models.study_views import StudyDetail, StudyPublic

R = TypeVar("R", bound=SQLModel)


def _by_study(session: Session, table: type[R], study_ids: Sequence[str] | None) -> dict[str, list[R]]:
    """Rows of a child table grouped by study, in primary-key order; study_ids None reads them all."""
    grouped: dict[str, list[R]] = defaultdict(list)
    statement = select(table).order_by(*table.__table__.primary_key.columns)  # type: ignore[attr-defined]
    if study_ids is not None:
        statement = statement.where(col(table.study_id).in_(study_ids))  # type: ignore[attr-defined]
    for row in session.exec(statement):
        grouped[row.study_id].append(row)  # type: ignore[attr-defined]
    return grouped


@dataclass(frozen=True, kw_only=True)
class StudyRows:
    """Every row the studies own, by study id: one query per table, never one per study."""

    reports: dict[str, list[Report]]
    arms: dict[str, list[Arm]]
    interventions: dict[str, list[Intervention]]
    car_products: dict[str, list[CarProduct]]
    outcomes: dict[str, list[Outcome]]
    adverse_events: dict[str, list[AdverseEvent]]
    characteristics: dict[str, list[Characteristic]]
    findings: dict[str, list[Finding]]
    links: dict[str, list[StudyLink]]

    @classmethod
    def read(cls, session: Session, study_ids: Sequence[str] | None) -> "StudyRows":
        """The rows of these studies; None reads every row (no id list as long as the dataset)."""
        return cls(
            reports=_by_study(session, Report, study_ids),
            arms=_by_study(session, Arm, study_ids),
            interventions=_by_study(session, Intervention, study_ids),
            car_products=_by_study(session, CarProduct, study_ids),
            outcomes=_by_study(session, Outcome, study_ids),
            adverse_events=_by_study(session, AdverseEvent, study_ids),
            characteristics=_by_study(session, Characteristic, study_ids),
            findings=_by_study(session, Finding, study_ids),
            links=_by_study(session, StudyLink, study_ids),
        )

    def figures(self, study_id: str) -> tuple[Outcome | AdverseEvent | Characteristic, ...]:
        return (*self.outcomes[study_id], *self.adverse_events[study_id], *self.characteristics[study_id])


def _count_by_study(session: Session, table: type[SQLModel], study_ids: Sequence[str]) -> dict[str, int]:
    column = table.study_id  # type: ignore[attr-defined]
    statement = select(column, func.count()).where(col(column).in_(study_ids)).group_by(column)
    return dict(session.exec(statement).all())


def _unique(values: Sequence[object]) -> list:  # type: ignore[type-arg]
    return sorted(set(values), key=str)


def _summary(
    study: Study,
    *,
    interventions: list[Intervention],
    products: list[CarProduct],
    reports: list[Report],
    n_outcomes: int,
    n_adverse_events: int,
) -> StudyPublic:
    return to_public(
        StudyPublic,
        study,
        agents=_unique([x.agent for x in interventions if roles.counts(x.role)]),
        prior_therapies=_unique([x.agent for x in interventions if x.role == InterventionRole.prior_therapy]),
        target_antigens=_unique([a for p in products for a in p.target_antigens]),
        cell_sources=_unique([p.cell_source for p in products]),
        fratricide_strategies=_unique([p.fratricide_strategy for p in products]),
        source_ids=_unique([study.source_id, *(r.source_id for r in reports)]),
        n_outcomes=n_outcomes,
        n_adverse_events=n_adverse_events,
    )


def study_summaries(session: Session, studies: Sequence[Study]) -> list[StudyPublic]:
    ids = [s.id for s in studies]
    interventions = _by_study(session, Intervention, ids)
    products = _by_study(session, CarProduct, ids)
    reports = _by_study(session, Report, ids)
    n_outcomes = _count_by_study(session, Outcome, ids)
    n_events = _count_by_study(session, AdverseEvent, ids)
    return [
        _summary(
            s,
            interventions=interventions[s.id],
            products=products[s.id],
            reports=reports[s.id],
            n_outcomes=n_outcomes.get(s.id, 0),
            n_adverse_events=n_events.get(s.id, 0),
        )
        for s in studies
    ]


def conflicts_with_members(session: Session, conflict_ids: Sequence[str] | None = None) -> list[ConflictPublic]:
    """Conflicts (all, or those named) with every figure that refers to them.

    Members come kind by kind, each kind in the order the fixtures list its figures.
    """
    statement = select(Conflict).order_by(Conflict.id)
    if conflict_ids is not None:
        statement = statement.where(col(Conflict.id).in_(conflict_ids))
    conflicts = {c.id: to_public(ConflictPublic, c) for c in session.exec(statement)}
    if not conflicts:
        return []
    for kind, table in FIGURE_TABLES.items():
        members = (
            # sqlmodel's select() is typed for at most four columns; sqlalchemy's takes any number.
            select(  # type: ignore[call-overload]
                ConflictLink.conflict_id, table.id, table.source_id, table.locator, table.printed
            )
            .join(table, col(table.id) == ConflictLink.figure_id)
            .where(ConflictLink.kind == kind)
            .order_by(col(ConflictLink.figure_id))  # by id, whatever order the files list them in
        )
        if conflict_ids is not None:
            members = members.where(col(ConflictLink.conflict_id).in_(conflict_ids))
        for conflict_id, figure_id, source_id, locator, printed in session.exec(members):
            conflicts[conflict_id].members.append(
                ConflictMember(kind=kind, id=figure_id, source_id=source_id, locator=locator, printed=printed)
            )
    return list(conflicts.values())


def study_details(session: Session, studies: Sequence[Study], every_study: bool = False) -> list[StudyDetail]:
    """Each study with everything embedded, in the order given, in a fixed number of queries.

    every_study says the list is the whole table: children are then read without an id
    list, which would otherwise grow with the dataset (and hit bound-parameter limits).
    """
    rows = StudyRows.read(session, None if every_study else [s.id for s in studies])
    summaries = [
        _summary(
            s,
            interventions=rows.interventions[s.id],
            products=rows.car_products[s.id],
            reports=rows.reports[s.id],
            n_outcomes=len(rows.outcomes[s.id]),
            n_adverse_events=len(rows.adverse_events[s.id]),
        )
        for s in studies
    ]
    sources = sources_by_id(session, sorted({i for summary in summaries for i in summary.source_ids}))
    conflict_ids = sorted({c for s in studies for fig in rows.figures(s.id) for c in fig.conflict_ids})
    wanted = None if every_study else conflict_ids  # all of them, rather than an id list as long as the dataset
    conflicts = {c.id: c for c in conflicts_with_members(session, wanted)} if conflict_ids else {}
    corrected = corrections_by_study(session, None if every_study else [s.id for s in studies])
    return [
        _detail(study, summary, rows, sources=sources, conflicts=conflicts, corrections=corrected.get(study.id, []))
        for study, summary in zip(studies, summaries, strict=True)
    ]


def sources_by_id(session: Session, source_ids: Sequence[str]) -> dict[str, SourcePublic]:
    """The source documents among source_ids that exist, by id."""
    statement = select(Source).where(col(Source.id).in_(list(source_ids)))
    return {s.id: to_public(SourcePublic, s) for s in session.exec(statement)}


def _detail(
    study: Study,
    summary: StudyPublic,
    rows: StudyRows,
    *,
    sources: dict[str, SourcePublic],
    conflicts: dict[str, ConflictPublic],
    corrections: list[CorrectionPublic],
) -> StudyDetail:
    """One study's detail from rows already read."""
    sid = study.id
    by_arm = defaultdict(list)
    for x in rows.interventions[sid]:
        by_arm[x.arm_id].append(to_public(InterventionPublic, x))
    study_conflicts = sorted({c for fig in rows.figures(sid) for c in fig.conflict_ids})
    return StudyDetail(
        **dict(summary),
        reports=[to_public(ReportPublic, r) for r in rows.reports[sid]],
        arms=[to_public(ArmPublic, a, interventions=by_arm[a.id]) for a in rows.arms[sid]],
        car_products=[to_public(CarProductPublic, p) for p in rows.car_products[sid]],
        outcomes=[to_public(OutcomePublic, o) for o in rows.outcomes[sid]],
        adverse_events=[to_public(AdverseEventPublic, e) for e in rows.adverse_events[sid]],
        characteristics=[to_public(CharacteristicPublic, c) for c in rows.characteristics[sid]],
        findings=[to_public(FindingPublic, f) for f in rows.findings[sid]],
        related_studies=[to_public(StudyLinkPublic, link) for link in rows.links[sid]],
        sources=[sources[i] for i in summary.source_ids],
        conflicts=[conflicts[c] for c in study_conflicts],
        corrections=corrections,
    )


def study_detail(session: Session, study: Study) -> StudyDetail:
    return study_details(session, [study])[0]


CONFLICT_CSV_COLUMNS = [
    "conflict_id",
    "kind",
    "description",
    "member_kind",
    "member_id",
    "source_id",
    "locator",
    "printed",
]


def conflict_member_rows(conflicts: Sequence[ConflictPublic]) -> list[dict[str, str]]:
    """Conflicts flattened for CSV: one row per disagreeing figure."""
    return [
        {
            "conflict_id": c.id,
            "kind": c.kind.value,
            "description": c.description,
            "member_kind": m.kind,
            "member_id": m.id,
            "source_id": m.source_id,
            "locator": m.locator,
            "printed": m.printed,
        }
        for c in conflicts
        for m in c.members
    ]


def study_page(session: Session, filters: StudyFilters, *, limit: int, offset: int) -> tuple[list[StudyPublic], int]:
    """One page of the matching studies (by relevance when searching with q, else by id, as /v1/studies), and
    how many match in all: only the page's
    studies are read whole (an embedded table of every study was 4.8 MB at 100 times the data)."""
    conditions, ranks = filters.conditions(session)
    if ranks is not None:
        ids = ranked_study_ids(session, conditions.all, ranks)
        shown = ids[offset : offset + limit]
        found = studies_by_id(session, shown)
        return study_summaries(session, [found[i] for i in shown]), len(ids)
    rows, total = page(session, Study, conditions, order_by=[col(Study.id)], limit=limit, offset=offset)
    return study_summaries(session, rows), total


def ranked_studies(
    session: Session, conditions: Sequence[ColumnElement[bool]], ranks: Mapping[str, float]
) -> list[Study]:
    """Every study matching a search, by rank, then id (ranked search results are few)."""
    return sorted(session.exec(where(select(Study), list(conditions))).all(), key=lambda s: (ranks[s.id], s.id))


def ranked_study_ids(
    session: Session, conditions: Sequence[ColumnElement[bool]], ranks: Mapping[str, float]
) -> list[str]:
    """The ids of ranked_studies, without loading the studies (a JSON page splices their stored JSON)."""
    statement = select(Study.id).where(*conditions) if conditions else select(Study.id)
    return sorted(session.exec(statement).all(), key=lambda i: (ranks[i], i))


def studies_by_id(session: Session, study_ids: Sequence[str]) -> dict[str, Study]:
    """The studies among study_ids that exist, by id."""
    return {s.id: s for s in session.exec(select(Study).where(col(Study.id).in_(list(study_ids))))}


def outcomes_by_study(session: Session, study_ids: Sequence[str]) -> dict[str, list[OutcomePublic]]:
    """The outcome figures of each study, in id order (a study without any is absent)."""
    grouped = _by_study(session, Outcome, study_ids)
    return {study_id: [to_public(OutcomePublic, row) for row in rows] for study_id, rows in grouped.items()}
