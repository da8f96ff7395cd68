"""Database engine, the one write transaction (loading fixtures), and read-only sessions afterwards.

Read-only is enforced by the database, not only by the absence of write routes: once the
fixtures are loaded, SQLite connections run with `PRAGMA query_only` and PostgreSQL
transactions are opened READ ONLY.
"""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, SQLModel, create_engine

import models  # noqa: F401  (registers every table on SQLModel.metadata)

MEMO_KEY = "counts"
"""Where a session's `info` holds the memo of the database it reads (see Database.session)."""


class Memo(Protocol):
    """Something remembered about the data (api.queries.counts.CountMemo): void once it is replaced."""

    def clear(self) -> None: ...


class Database:
    """Owns the engine; filled once (api.loading.load), then hands out read-only sessions."""

    def __init__(self, url: str | None, memo: Memo | None = None) -> None:
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        if url is None:
            # One private file per process: each thread gets its own connection, and
            # nothing is left behind after shutdown.
            self._tmpdir = tempfile.TemporaryDirectory(prefix="tall-evidence-")
            url = f"sqlite:///{Path(self._tmpdir.name) / 'evidence.sqlite3'}"
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        connect_args = {"check_same_thread": False} if self.is_sqlite else {}
        self.engine: Engine = create_engine(url, connect_args=connect_args)
        self._read_only = False
        self.memo = memo
        event.listen(self.engine, "connect", self._on_connect)
        event.listen(self.engine, "begin", self._on_begin)

    def _on_connect(self, dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        if self.is_sqlite:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            if self._read_only:
                cursor.execute("PRAGMA query_only = ON")
            cursor.close()

    def _on_begin(self, connection: object) -> None:
        if self._read_only and not self.is_sqlite:
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")  # type: ignore[attr-defined]

    @contextmanager
    def replacing(self) -> Iterator[Connection]:
        """One transaction on empty tables for the caller to fill; the database is read-only after it."""
        with self.engine.begin() as conn:
            if self.is_sqlite:
                # Python's sqlite3 runs DDL outside any transaction unless one is opened by
                # hand: each CREATE/DROP would then commit (and fsync) on its own, which made
                # start-up slow and the load not quite one transaction.
                conn.exec_driver_sql("BEGIN")
            SQLModel.metadata.drop_all(conn)
            SQLModel.metadata.create_all(conn)
            yield conn
        # Pooled connections opened while writable must not serve reads afterwards.
        self.engine.dispose()
        if self.memo is not None:
            self.memo.clear()  # what was remembered of the data just replaced is void
        self._read_only = True

    def session(self) -> Iterator[Session]:
        with Session(self.engine, info={} if self.memo is None else {MEMO_KEY: self.memo}) as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None
