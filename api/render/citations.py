"""Numbered source references for a page: [1], [2]... in order of first citation."""

from collections.abc import Iterable, Mapping

from models.source import SourcePublic


class Citations:
    """Numbers the documents a page cites and holds their descriptions for the reference list."""

    def __init__(self, sources: Mapping[str, SourcePublic], source_ids: Iterable[str]) -> None:
        """`sources`: the cited documents by id (read by the query layer); `source_ids` in the order cited."""
        ordered = list(dict.fromkeys(source_ids))
        self.sources: list[SourcePublic] = [sources[i] for i in ordered if i in sources]
        self._numbers = {source.id: n for n, source in enumerate(self.sources, start=1)}

    def number(self, source_id: str) -> int | None:
        return self._numbers.get(source_id)
