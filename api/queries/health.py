"""Whether the database answers, with the data served: the health check's queries."""

from sqlalchemy import text
from sqlmodel import Session, select

from api.database import DatabaseFault
from models import Study

BUILD_RECORD_TABLE = "dataset_build"
"""api.loading.file_checks.BUILD_TABLE, which a query may not import (tests/queries/test_health.py holds them equal)."""


def check_database(session: Session, dataset_version: str) -> None:
    """Read one row of the served studies (none is fine); raises if the database cannot answer, or
    the data is gone (a PostgreSQL schema dropped under the service answers `SELECT 1` still).

    On PostgreSQL the schema's build record must still name dataset_version: a schema emptied under the
    service (TRUNCATE of its tables, a clean-up) was served on as an empty dataset under that version, /health
    ok (session 15's probe, JB6). Raises DatabaseFault then. A SQLite file is watched by its fingerprint instead.
    """
    session.exec(select(Study.id).limit(1)).first()
    if session.get_bind().dialect.name != "postgresql":
        return
    recorded = session.execute(
        text(f"SELECT value FROM {BUILD_RECORD_TABLE} WHERE key = 'dataset_version'")
    ).scalar_one_or_none()
    if recorded != dataset_version:
        raise DatabaseFault(
            f"the schema served was emptied or changed: its build record names no dataset version {dataset_version}"
        )
