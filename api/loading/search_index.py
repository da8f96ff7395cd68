"""The full-text index of studies, the write side: built from the fixtures at load time, like the facet index.

SQLite gets an FTS5 table, PostgreSQL a tsvector column; api.queries.search reads either.
"""

from sqlalchemy import Connection, text

FIELDS = ("title", "summary", "products", "interventions", "findings", "notes")


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
