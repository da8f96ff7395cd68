"""Writing the loaded database back out in fixture form (`tall-evidence export`).

Everything is read from the database tables, never from the fixture files, so the export
shows what the service actually holds. Each record goes through its fixture model before it
is written, so the output is a valid fixture set, and is written in one canonical form: a
field equal to its default (null, empty list, the default enum value, false) is left out,
exactly as a curator may leave it out. Lists of records are ordered by id.
"""

from collections import defaultdict
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from api.loading.fixture_files import CONFLICTS_FILE, EPIDEMIOLOGY_FILE, STUDIES_DIR
from api.queries.studies import StudyRows
from models import (
    Conflict,
    EpidemiologyFigure,
    Source,
    Study,
)
from models.fixture import (
    AdverseEventEntry,
    ArmEntry,
    CarProductEntry,
    CharacteristicEntry,
    ConflictEntry,
    ConflictsFile,
    EpidemiologyEntry,
    EpidemiologyFile,
    FindingEntry,
    InterventionEntry,
    OutcomeEntry,
    ReportEntry,
    SourceEntry,
    SourcesFile,
    StudyFile,
    StudyLinkEntry,
)

R = TypeVar("R", bound=SQLModel)

HEADER = "# Written by `tall-evidence export` from the loaded database.\n"
SOURCES_FILE = "sources.yaml"


def _local(study_id: str, global_id: str | None) -> str | None:
    """'<study id>.<local id>' -> '<local id>' (the inverse of api.loading.rows.global_id)."""
    return None if global_id is None else global_id.removeprefix(f"{study_id}.")


def _entry(row: SQLModel, model: type[BaseModel], **refs: Any) -> dict[str, Any]:
    """The row's columns that the fixture model has, with the references (local ids) the caller works out."""
    columns = type(row).model_fields
    return {name: getattr(row, name) for name in model.model_fields if name in columns} | refs


def _rows(session: Session, table: type[R]) -> list[R]:
    return list(session.exec(select(table).order_by(*table.__table__.primary_key.columns)))  # type: ignore[attr-defined]


class _StudyReader:
    """Every study-owned row (api.queries.studies.StudyRows, one query per table), turned back into study files."""

    def __init__(self, session: Session) -> None:
        self.rows = StudyRows.read(session, None)

    def study_file(self, study: Study) -> StudyFile:
        sid = study.id
        interventions: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for x in self.rows.interventions[sid]:
            interventions[x.arm_id].append(_entry(x, InterventionEntry))

        def local(row: Any, model: type[BaseModel], **refs: Any) -> dict[str, Any]:
            return _entry(row, model, id=_local(sid, row.id), **refs)

        def figure(row: Any, model: type[BaseModel]) -> dict[str, Any]:
            return local(row, model, arm=_local(sid, row.arm_id), report=_local(sid, row.report_id))

        return StudyFile.model_validate(
            _entry(study, StudyFile)
            | {
                "reports": [local(r, ReportEntry) for r in self.rows.reports[sid]],
                "arms": [local(a, ArmEntry, interventions=interventions[a.id]) for a in self.rows.arms[sid]],
                "car_products": [
                    local(p, CarProductEntry, arm=_local(sid, p.arm_id)) for p in self.rows.car_products[sid]
                ],
                "outcomes": [figure(o, OutcomeEntry) for o in self.rows.outcomes[sid]],
                "adverse_events": [figure(e, AdverseEventEntry) for e in self.rows.adverse_events[sid]],
                "characteristics": [figure(c, CharacteristicEntry) for c in self.rows.characteristics[sid]],
                "findings": [local(f, FindingEntry) for f in self.rows.findings[sid]],
                "related_studies": [
                    _entry(link, StudyLinkEntry, study=link.related_study_id) for link in self.rows.links[sid]
                ],
            }
        )


def _canonical(model: BaseModel) -> dict[str, Any]:
    canonical: dict[str, Any] = _id_first(model.model_dump(mode="json", exclude_defaults=True))
    return canonical


def _id_first(value: Any) -> Any:
    # Curators open every record with its id; the models declare it last.
    if isinstance(value, dict):
        ordered = {"id": value["id"]} if "id" in value else {}
        return ordered | {k: _id_first(v) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        return [_id_first(v) for v in value]
    return value


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(HEADER + text, encoding="utf-8")
    return path


def export_database(engine: Engine, out: Path) -> list[Path]:
    """Write seeds/sources.yaml and fixtures/{studies/*,conflicts,epidemiology}.yaml under out."""
    with Session(engine) as session:
        # Validated through the fixture models: what is written is a fixture set the loader accepts.
        sources = SourcesFile.model_validate({"sources": [_entry(s, SourceEntry) for s in _rows(session, Source)]})
        conflicts = ConflictsFile.model_validate(
            {"conflicts": [_entry(c, ConflictEntry) for c in _rows(session, Conflict)]}
        )
        epidemiology = EpidemiologyFile.model_validate(
            {"figures": [_entry(f, EpidemiologyEntry) for f in _rows(session, EpidemiologyFigure)]}
        )
        reader = _StudyReader(session)
        studies = [reader.study_file(study) for study in _rows(session, Study)]
    fixtures = out / "fixtures"
    # The files' top-level lists are written even when empty, so each file says what it holds.
    written = [_write(out / "seeds" / SOURCES_FILE, {"sources": [_canonical(s) for s in sources.sources]})]
    written += [_write(fixtures / STUDIES_DIR / f"{study.id}.yaml", _canonical(study)) for study in studies]
    written.append(_write(fixtures / CONFLICTS_FILE, {"conflicts": [_canonical(c) for c in conflicts.conflicts]}))
    written.append(_write(fixtures / EPIDEMIOLOGY_FILE, {"figures": [_canonical(f) for f in epidemiology.figures]}))
    return written
