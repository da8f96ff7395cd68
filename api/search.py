"""Full-text search over studies: SQLite FTS5 by default, PostgreSQL text search when used.

The index is derived from the fixtures at load time, like the facet index.
"""

import re

from sqlalchemy import Connection, text
from sqlmodel import Session

from api.errors import InvalidInput
from models.problem import ProblemField

FIELDS = ("title", "summary", "products", "interventions", "findings", "notes")
MAX_QUERY_LENGTH = 200


def create_search_index(conn: Connection, documents: dict[str, dict[str, str]]) -> None:
    conn.exec_driver_sql("DROP TABLE IF EXISTS study_search")
    rows = [{"study_id": sid, **{f: doc.get(f, "") for f in FIELDS}} for sid, doc in documents.items()]
    if conn.dialect.name == "sqlite":
        columns = ", ".join(FIELDS)
        conn.exec_driver_sql(
            f"CREATE VIRTUAL TABLE study_search USING fts5(study_id UNINDEXED, {columns}, "
            "tokenize='unicode61 remove_diacritics 2')"
        )
        if rows:
            values = ", ".join(f":{f}" for f in FIELDS)
            conn.execute(text(f"INSERT INTO study_search (study_id, {columns}) VALUES (:study_id, {values})"), rows)
    else:
        conn.exec_driver_sql("CREATE TABLE study_search (study_id text PRIMARY KEY, document text, tsv tsvector)")
        docs = [{"study_id": r["study_id"], "document": " ".join(r[f] for f in FIELDS)} for r in rows]
        if docs:
            conn.execute(text("INSERT INTO study_search (study_id, document) VALUES (:study_id, :document)"), docs)
        conn.exec_driver_sql("UPDATE study_search SET tsv = to_tsvector('simple', document)")


def query_words(q: str) -> list[str]:
    """The words of a search query (none for pure punctuation); raises InvalidInput when it is too long."""
    if len(q) > MAX_QUERY_LENGTH:
        raise InvalidInput(
            "The search query is too long.",
            [ProblemField(location="query.q", message=f"at most {MAX_QUERY_LENGTH} characters")],
        )
    return re.findall(r"\w+", q)


def search_ranks(session: Session, q: str) -> dict[str, float]:
    """Matching study ids with a rank (lower is better); every word must match, as a prefix."""
    words = query_words(q)
    if not words:
        return {}  # nothing to match: no study, rather than an error
    if session.get_bind().dialect.name == "sqlite":
        # Each word quoted, so user input is never read as FTS5 query syntax.
        match = " ".join('"' + w.replace('"', "") + '"*' for w in words)
        result = session.execute(
            text("SELECT study_id, bm25(study_search) FROM study_search WHERE study_search MATCH :q"), {"q": match}
        )
    else:
        tsquery = " & ".join(re.sub(r"[^\w]", "", w) + ":*" for w in words)
        result = session.execute(
            text(
                "SELECT study_id, -ts_rank(tsv, to_tsquery('simple', :q)) FROM study_search "
                "WHERE tsv @@ to_tsquery('simple', :q)"
            ),
            {"q": tsquery},
        )
    return {study_id: float(rank) for study_id, rank in result}
