"""The full-text index of studies, the write side: built from the fixtures at load time, like the facet index.

The same tables on every database (models.search_index); api.queries.search reads and ranks them.
"""

from collections import Counter

from sqlalchemy import Connection

from models.search_index import SearchDocument, SearchPosting, search_words

FIELDS = ("title", "summary", "products", "interventions", "findings")


def create_search_index(conn: Connection, documents: dict[str, dict[str, str]]) -> None:
    """Postings and lengths of each study's text (its FIELDS), studies numbered in id order."""
    conn.exec_driver_sql("DROP TABLE IF EXISTS study_search")  # the index of builds before this one
    lengths: list[dict[str, object]] = []
    postings: list[dict[str, object]] = []
    for number, study_id in enumerate(sorted(documents), start=1):
        words = search_words(" ".join(documents[study_id].get(f, "") for f in FIELDS))
        lengths.append({"number": number, "study_id": study_id, "length": len(words)})
        postings += [{"term": t, "number": number, "count": n} for t, n in sorted(Counter(words).items())]
    if lengths:
        conn.execute(SearchDocument.__table__.insert(), lengths)  # type: ignore[attr-defined]
    if postings:
        conn.execute(SearchPosting.__table__.insert(), postings)  # type: ignore[attr-defined]
