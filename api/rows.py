"""Turning validated fixtures into table rows (local ids become global ones)."""

from collections.abc import Iterator

from sqlmodel import SQLModel

from api.fixture_set import FixtureSet
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
from models.fixture import StudyFile
from models.study import StudyBase

_REFS = {"id", "arm", "report", "interventions"}


def global_id(study_id: str, local_id: str | None) -> str | None:
    return None if local_id is None else f"{study_id}.{local_id}"


def _study_rows(study: StudyFile) -> Iterator[SQLModel]:
    sid = study.id
    yield Study(id=sid, **study.model_dump(include=set(StudyBase.model_fields)))
    for report in study.reports:
        yield Report(id=f"{sid}.{report.id}", study_id=sid, **report.model_dump(exclude=_REFS))
    for arm in study.arms:
        arm_id = f"{sid}.{arm.id}"
        yield Arm(id=arm_id, study_id=sid, **arm.model_dump(exclude=_REFS))
        for x in arm.interventions:
            yield Intervention(id=f"{arm_id}.{x.agent.value}", arm_id=arm_id, study_id=sid, **x.model_dump())
    for p in study.car_products:
        yield CarProduct(id=f"{sid}.{p.id}", study_id=sid, arm_id=global_id(sid, p.arm), **p.model_dump(exclude=_REFS))
    figure_tables: tuple[tuple[type[SQLModel], list], ...] = (
        (Outcome, study.outcomes),
        (AdverseEvent, study.adverse_events),
        (Characteristic, study.characteristics),
    )
    for table, figures in figure_tables:
        for fig in figures:
            yield table(
                id=f"{sid}.{fig.id}",
                study_id=sid,
                arm_id=global_id(sid, fig.arm),
                report_id=global_id(sid, fig.report),
                **fig.model_dump(exclude=_REFS),
            )
    for finding in study.findings:
        yield Finding(id=f"{sid}.{finding.id}", study_id=sid, **finding.model_dump(exclude=_REFS))


def build_rows(fixtures: FixtureSet) -> list[SQLModel]:
    """Every row to insert, parents before children so foreign keys hold at insert time."""
    rows: list[SQLModel] = [Source(**s.model_dump()) for s in fixtures.sources.sources]
    rows += [Conflict(**c.model_dump()) for c in fixtures.conflicts.conflicts]
    rows += [EpidemiologyFigure(**f.model_dump()) for f in fixtures.epidemiology.figures]
    for study in fixtures.studies.values():
        rows.extend(_study_rows(study))
    for study in fixtures.studies.values():
        rows += [
            StudyLink(study_id=study.id, related_study_id=link.study, relation=link.relation, note=link.note)
            for link in study.related_studies
        ]
    return rows
