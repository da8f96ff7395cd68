"""Whether the database answers: the health check's one query."""

from sqlalchemy import text
from sqlmodel import Session


def check_database(session: Session) -> None:
    """Run the smallest query there is; raises if the database cannot answer."""
    session.exec(text("SELECT 1"))  # type: ignore[call-overload]
