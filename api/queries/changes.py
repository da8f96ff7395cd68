"""What changed between two releases, record by record: studies, arms, interventions, figures, findings,
conflicts and sources (nothing else: reports, tags and indexes follow from these).

Each release is read into a snapshot (type, id) -> {field: value} with the values as JSON
gives them; comparing two snapshots lists each record added, removed or changed with the
fields that differ. Where a figure sits in its source text (span offsets, occurrence) and
its permalink are left out: they follow from fields compared already.
"""

import json
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from models import (
    AdverseEvent,
    Arm,
    Characteristic,
    Conflict,
    ConflictLink,
    EpidemiologyFigure,
    Finding,
    Intervention,
    Outcome,
    Source,
    Study,
)
from models.release import RECORD_TYPES, FieldChange, RecordChange, RecordType

TABLES_BY_TYPE: dict[RecordType, type[SQLModel]] = {
    "study": Study,
    "arm": Arm,
    "intervention": Intervention,
    "outcome": Outcome,
    "adverse_event": AdverseEvent,
    "characteristic": Characteristic,
    "epidemiology": EpidemiologyFigure,
    "finding": Finding,
    "conflict": Conflict,
    "source": Source,
}
NOT_COMPARED = frozenset({"span_start", "span_end", "occurrence", "permalink"})

Snapshot = dict[tuple[RecordType, str], dict[str, Any]]


def snapshot(session: Session) -> Snapshot:
    """Every compared record of one release, by (type, id)."""
    records: Snapshot = {}
    for kind, table in TABLES_BY_TYPE.items():
        # Columns as stored (JSON columns decoded), as JSON would give them: dates as ISO strings.
        for row in session.connection().execute(select(table.__table__)):  # type: ignore[attr-defined]
            values = {k: v for k, v in json.loads(json.dumps(dict(row._mapping), default=str)).items()}
            records[(kind, str(values["id"]))] = {k: v for k, v in values.items() if k not in NOT_COMPARED}
    members: dict[str, list[str]] = {}
    for link in session.exec(select(ConflictLink).order_by(col(ConflictLink.conflict_id), col(ConflictLink.position))):
        members.setdefault(link.conflict_id, []).append(f"{link.kind}:{link.figure_id}")
    for (kind, record_id), values in records.items():
        if kind == "conflict":
            values["members"] = members.get(record_id, [])
    return records


def compare(old: Snapshot, new: Snapshot) -> list[RecordChange]:
    """Records added, removed or changed from old to new, by type (RECORD_TYPES order), then id."""
    order = {kind: i for i, kind in enumerate(RECORD_TYPES)}
    changes: list[RecordChange] = []
    for key in sorted(old.keys() | new.keys(), key=lambda k: (order[k[0]], k[1])):
        kind, record_id = key
        before, after = old.get(key), new.get(key)
        if before is None:
            changes.append(RecordChange(id=record_id, type=kind, change="added", fields=[]))
        elif after is None:
            changes.append(RecordChange(id=record_id, type=kind, change="removed", fields=[]))
        else:
            fields = [
                FieldChange(field=name, before=before.get(name), after=after.get(name))
                for name in sorted(before.keys() | after.keys())
                if before.get(name) != after.get(name)
            ]
            if fields:
                changes.append(RecordChange(id=record_id, type=kind, change="changed", fields=fields))
    return changes


def changes_between(old: Session, new: Session) -> list[RecordChange]:
    return compare(snapshot(old), snapshot(new))
