"""Whether the database answers, with the data served: the health check's one query."""

from sqlmodel import Session, select

from models import Study


def check_database(session: Session) -> None:
    """Read one row of the served studies (none is fine); raises if the database cannot answer, or
    the data is gone (a PostgreSQL schema dropped under the service answers `SELECT 1` still)."""
    session.exec(select(Study.id).limit(1)).first()
