"""What the FHIR face is mapped from does not depend on the order the database stores rows in.

SQLite hands rows back in the order they were inserted unless asked for another, and the build
inserts them in id order, so a query that forgot its ORDER BY still looked ordered on SQLite;
PostgreSQL makes no such promise (an update moves a row). Here a copy of the built database
stores every table's rows the other way round, and the inputs read from it must be the same.
"""

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, create_engine

from api.fhir.queries import FhirInputs, fhir_inputs
from api.state import app_state


def _stored_backwards(built: Path, copy: Path) -> None:
    """A copy of the database whose tables hold their rows in reverse order (each rowid negated)."""
    with (
        closing(sqlite3.connect(f"file:{built}?mode=ro", uri=True)) as source,
        closing(sqlite3.connect(copy)) as target,
    ):
        source.backup(target)
        tables = target.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
        for table, sql in tables:
            keys = [c for c in target.execute(f"PRAGMA table_info('{table}')") if c[5]]
            integer_key = len(keys) == 1 and keys[0][2].upper() == "INTEGER"
            # An INTEGER key is the rowid itself, which other rows may refer to; a WITHOUT ROWID table has none.
            if not integer_key and "WITHOUT ROWID" not in (sql or "").upper():
                target.execute(f"UPDATE '{table}' SET rowid = -rowid")
        target.commit()


def _inputs(path: Path, version: str) -> FhirInputs:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with Session(engine) as session:
            return fhir_inputs(session, version)
    finally:
        engine.dispose()


def test_the_inputs_are_the_same_whatever_order_the_rows_are_stored_in(client: TestClient, tmp_path: Path) -> None:
    state = app_state(client.app)
    if not state.database.is_sqlite:
        pytest.skip("the stored order is changed through SQLite's rowid; the app here is not on SQLite")
    built = Path(str(state.database.engine.url.database))
    backwards = tmp_path / "backwards.sqlite3"
    _stored_backwards(built, backwards)
    with closing(sqlite3.connect(backwards)) as copy:
        stored = [row[0] for row in copy.execute("SELECT id FROM study ORDER BY rowid")]
    assert stored == sorted(stored, reverse=True) and len(stored) > 1  # the copy really holds them backwards

    version = state.meta.dataset_version
    inputs, from_backwards = _inputs(built, version), _inputs(backwards, version)
    assert [s.id for s in from_backwards.studies] == sorted(stored)
    assert from_backwards == inputs
