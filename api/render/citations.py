"""Numbered source references for a page: [1], [2]... in order of first citation."""

from collections.abc import Iterable

from sqlmodel import Session, col, select

from models import Source
from models.source import SourcePublic


class Citations:
    """Numbers the documents a page cites and holds their descriptions for the reference list."""

    def __init__(self, session: Session, source_ids: Iterable[str]) -> None:
        ordered = list(dict.fromkeys(source_ids))
        rows = {s.id: s for s in session.exec(select(Source).where(col(Source.id).in_(ordered)))}
        self.sources: list[SourcePublic] = [SourcePublic.model_validate(dict(rows[i])) for i in ordered if i in rows]
        self._numbers = {source.id: n for n, source in enumerate(self.sources, start=1)}

    def number(self, source_id: str) -> int | None:
        return self._numbers.get(source_id)
