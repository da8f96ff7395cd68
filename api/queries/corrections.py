"""Corrections made by later readings of the documents, and the records each names."""

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from models.correction import Correction, CorrectionLink, CorrectionPublic

ORDER = (col(Correction.source_id), col(Correction.reading), col(Correction.position))


def corrections(
    session: Session, *, record_id: str | None = None, study_id: str | None = None, source_id: str | None = None
) -> list[CorrectionPublic]:
    """In the order of the documents' files; narrowed to those naming a record, or a study or any part of it."""
    statement = select(Correction)
    linked: list[ColumnElement[bool]] = []
    if record_id is not None:
        linked.append(col(CorrectionLink.record_id) == record_id)
    if study_id is not None:
        linked.append(col(CorrectionLink.study_id) == study_id)
    if linked:
        named = select(CorrectionLink.correction_id).where(*linked)
        statement = statement.where(col(Correction.id).in_(named))
    if source_id is not None:
        statement = statement.where(col(Correction.source_id) == source_id)
    return with_records(session, session.exec(statement.order_by(*ORDER)).all())


def with_records(session: Session, rows: Sequence[Correction]) -> list[CorrectionPublic]:
    names: dict[str, list[str]] = defaultdict(list)
    if rows:
        links = select(CorrectionLink).where(col(CorrectionLink.correction_id).in_([r.id for r in rows]))
        for link in session.exec(links):
            names[link.correction_id].append(link.record_id)
    return [CorrectionPublic.model_validate({**dict(row), "record_ids": sorted(names[row.id])}) for row in rows]


def corrections_by_study(session: Session, study_ids: Sequence[str] | None) -> dict[str, list[CorrectionPublic]]:
    """Each study's corrections (naming it or any of its parts); study_ids None reads every study's."""
    links = select(CorrectionLink.correction_id, CorrectionLink.study_id).where(
        col(CorrectionLink.study_id).is_not(None)
    )
    if study_ids is not None:
        links = links.where(col(CorrectionLink.study_id).in_(study_ids))
    studies_of: dict[str, set[str]] = defaultdict(set)
    for correction_id, study_id in session.exec(links):
        studies_of[correction_id].add(str(study_id))
    rows = session.exec(select(Correction).where(col(Correction.id).in_(studies_of)).order_by(*ORDER)).all()
    found: dict[str, list[CorrectionPublic]] = defaultdict(list)
    for correction in with_records(session, rows):
        for study_id in sorted(studies_of[correction.id]):
            found[study_id].append(correction)
    return found
