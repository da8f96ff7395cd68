"""Writing the fragments (models.fragment) into the dataset being loaded, after its rows.

The only place the load side calls the read side: a fragment is by definition what the
read side answers, so it is computed by that code (api.queries.fragments), once, here.
"""

from sqlalchemy import Connection
from sqlmodel import Session

from api.queries.fragments import fragment_code_digest, fragment_rows
from models.fragment import Fragment

INSERT_BATCH = 1000

__all__ = ["fragment_code_digest", "write_fragments"]


def write_fragments(conn: Connection) -> None:
    """Compute every fragment from the rows conn has just written, and store them in its transaction."""
    insert = Fragment.__table__.insert()  # type: ignore[attr-defined]
    batch: list[dict[str, object]] = []
    with Session(bind=conn) as session:
        for row in fragment_rows(session):
            batch.append(row)
            if len(batch) == INSERT_BATCH:
                conn.execute(insert, batch)
                batch = []
    if batch:
        conn.execute(insert, batch)
