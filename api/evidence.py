"""Reading the evidence back out of the database into response models.

Children are fetched in bulk per page (one query per table, never one per row).
"""

from collections import defaultdict
from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from api.crud import to_public
from models import (
    AdverseEvent,
    Arm,
    CarProduct,
    Characteristic,
    Conflict,
    EpidemiologyFigure,
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
from models.finding import FindingPublic
from models.outcome import OutcomePublic
from models.source import SourcePublic
from models.study import ReportPublic, StudyLinkPublic
from models.study_views import StudyDetail, StudyPublic

R = TypeVar("R", bound=SQLModel)

FIGURE_TABLES: dict[str, type[Outcome] | type[AdverseEvent] | type[Characteristic] | type[EpidemiologyFigure]] = {
    "outcome": Outcome,
    "adverse_event": AdverseEvent,
    "characteristic": Characteristic,
    "epidemiology": EpidemiologyFigure,
}


def _by_study(session: Session, table: type[R], study_ids: Sequence[str]) -> dict[str, list[R]]:
    grouped: dict[str, list[R]] = defaultdict(list)
    column = table.study_id  # type: ignore[attr-defined]
    for row in session.exec(select(table).where(col(column).in_(study_ids)).order_by(table.id)):  # type: ignore[attr-defined]
        grouped[row.study_id].append(row)  # type: ignore[attr-defined]
    return grouped


def _unique(values: Sequence[object]) -> list:  # type: ignore[type-arg]
    return sorted(set(values), key=str)


def study_summaries(session: Session, studies: Sequence[Study]) -> list[StudyPublic]:
    ids = [s.id for s in studies]
    interventions = _by_study(session, Intervention, ids)
    products = _by_study(session, CarProduct, ids)
    reports = _by_study(session, Report, ids)
    counts = {
        name: dict(
            session.exec(
                select(table.study_id, func.count()).where(col(table.study_id).in_(ids)).group_by(table.study_id)  # type: ignore[attr-defined]
            ).all()
        )
        for name, table in (("outcomes", Outcome), ("adverse_events", AdverseEvent))
    }
    out = []
    for s in studies:
        prods = products[s.id]
        out.append(
            to_public(
                StudyPublic,
                s,
                agents=_unique([x.agent for x in interventions[s.id]]),
                target_antigens=_unique([a for p in prods for a in p.target_antigens]),
                cell_sources=_unique([p.cell_source for p in prods]),
                fratricide_strategies=_unique([p.fratricide_strategy for p in prods]),
                source_ids=_unique([s.source_id, *(r.source_id for r in reports[s.id])]),
                n_outcomes=counts["outcomes"].get(s.id, 0),
                n_adverse_events=counts["adverse_events"].get(s.id, 0),
            )
        )
    return out


def conflicts_with_members(session: Session, conflict_ids: Sequence[str] | None = None) -> list[ConflictPublic]:
    """Conflicts (all, or those named) with every figure that refers to them."""
    statement = select(Conflict).order_by(Conflict.id)
    if conflict_ids is not None:
        statement = statement.where(col(Conflict.id).in_(conflict_ids))
    conflicts = {c.id: to_public(ConflictPublic, c) for c in session.exec(statement)}
    for kind, table in FIGURE_TABLES.items():
        in_conflict = func.json_array_length(table.conflict_ids) > 0
        for fig in session.exec(select(table).where(in_conflict).order_by(table.id)).all():
            for conflict_id in fig.conflict_ids:
                if conflict_id in conflicts:
                    conflicts[conflict_id].members.append(
                        ConflictMember(
                            kind=kind,
                            id=fig.id,
                            source_id=fig.source_id,
                            locator=fig.locator,
                            printed=fig.printed,
                        )
                    )
    return list(conflicts.values())


def study_detail(session: Session, study: Study) -> StudyDetail:
    summary = study_summaries(session, [study])[0]
    sid = [study.id]
    interventions = defaultdict(list)
    for x in _by_study(session, Intervention, sid)[study.id]:
        interventions[x.arm_id].append(to_public(InterventionPublic, x))
    arms = [to_public(ArmPublic, a, interventions=interventions[a.id]) for a in _by_study(session, Arm, sid)[study.id]]
    outcomes = _by_study(session, Outcome, sid)[study.id]
    events = _by_study(session, AdverseEvent, sid)[study.id]
    characteristics = _by_study(session, Characteristic, sid)[study.id]
    links = session.exec(
        select(StudyLink).where(StudyLink.study_id == study.id).order_by(StudyLink.related_study_id)
    ).all()
    conflict_ids = sorted({c for fig in (*outcomes, *events, *characteristics) for c in fig.conflict_ids})
    sources = session.exec(select(Source).where(col(Source.id).in_(summary.source_ids)).order_by(Source.id)).all()
    return StudyDetail(
        **dict(summary),
        reports=[to_public(ReportPublic, r) for r in _by_study(session, Report, sid)[study.id]],
        arms=arms,
        car_products=[to_public(CarProductPublic, p) for p in _by_study(session, CarProduct, sid)[study.id]],
        outcomes=[to_public(OutcomePublic, o) for o in outcomes],
        adverse_events=[to_public(AdverseEventPublic, e) for e in events],
        characteristics=[to_public(CharacteristicPublic, c) for c in characteristics],
        findings=[to_public(FindingPublic, f) for f in _by_study(session, Finding, sid)[study.id]],
        related_studies=[to_public(StudyLinkPublic, link) for link in links],
        sources=[to_public(SourcePublic, s) for s in sources],
        conflicts=conflicts_with_members(session, conflict_ids) if conflict_ids else [],
    )


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
