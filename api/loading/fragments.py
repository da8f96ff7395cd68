"""Writing the fragments (models.fragment) into the dataset being loaded, after its rows.

The only place the load side calls the read side: a fragment is by definition what the
read side answers, so it is computed by that code (api.queries.fragments), once, here.
"""

from collections.abc import Iterable

from sqlalchemy import Connection
from sqlmodel import Session, SQLModel

from api.queries.fragments import comparison_fragment_rows, fragment_code_digest, fragment_rows, stored_comparison_rows
from models.fragment import ComparisonFragment, Fragment

INSERT_BATCH = 1000

__all__ = ["fragment_code_digest", "write_fragments"]


def write_fragments(conn: Connection, *, version: str) -> None:
    """Compute every fragment from the rows conn has just written, and store them in its transaction:
    the records' JSON first, then the comparison's parts, computed from the outcomes' JSON, then the
    default comparison of each measure (of dataset version), computed from those parts."""
    with Session(bind=conn) as session:
        _insert(conn, Fragment, fragment_rows(session))
        _insert(conn, ComparisonFragment, comparison_fragment_rows(session))
        _insert(conn, Fragment, stored_comparison_rows(session, version=version))


def _insert(conn: Connection, table: type[SQLModel], rows: Iterable[dict[str, object]]) -> None:
    insert = table.__table__.insert()  # type: ignore[attr-defined]
    batch: list[dict[str, object]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == INSERT_BATCH:
            conn.execute(insert, batch)
            batch = []
    if batch:
        conn.execute(insert, batch)
