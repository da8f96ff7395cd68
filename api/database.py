"""Database engine, the one write transaction (loading fixtures), and read-only sessions afterwards.

Read-only is enforced by the database, not only by the absence of write routes: once the
fixtures are loaded, SQLite connections run with `PRAGMA query_only` and PostgreSQL
transactions are opened READ ONLY.
"""

import errno
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, Enum, String, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection, Dialect
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeEngine
from sqlmodel import Session, SQLModel, create_engine

import models  # noqa: F401  (registers every table on SQLModel.metadata)

MEMO_KEY = "counts"
"""Where a session's `info` holds the memo of the database it reads (see Database.session)."""


def is_postgres(url: str) -> bool:
    """Whether a DATABASE_URL names PostgreSQL (served from a schema per dataset version)."""
    return url.startswith(("postgresql", "postgres:"))


class Memo(Protocol):
    """Something remembered about the data (api.queries.counts.CountMemo): void once it is replaced."""

    def clear(self) -> None: ...


# Connections in the pool, and sessions open at once (api.deps admits no more): a request
# waiting for a session holds neither a worker thread nor a connection, so the requests
# holding connections can always finish. Fewer than anyio's 40 worker threads, which the
# response serialisation also needs. One more connection is kept for /health alone, so it
# answers while every other one is busy.
MAX_CONNECTIONS = 16


# A connection that fails this soon after a descriptor shortage was seen is named one: in a burst,
# answers closing their connections free a descriptor now and then, which the server's accept
# takes back at once, so asking "is one free?" after a failure often answers yes.
SHORTAGE_MEMORY_SECONDS = 2.0
_shortage_seen_at = float("-inf")


def no_descriptor_free() -> bool:
    """Whether this process cannot open a file now for want of a file descriptor (EMFILE, ENFILE),
    or could not a moment ago (SHORTAGE_MEMORY_SECONDS)."""
    global _shortage_seen_at
    try:
        os.close(os.open(os.devnull, os.O_RDONLY))
    except OSError as exc:
        if exc.errno in (errno.EMFILE, errno.ENFILE):
            _shortage_seen_at = time.monotonic()
            return True
        return False
    return time.monotonic() - _shortage_seen_at < SHORTAGE_MEMORY_SECONDS


def connect_naming_a_descriptor_shortage(
    dialect: Dialect, cargs: tuple[Any, ...], cparams: dict[str, Any]
) -> DBAPIConnection:
    """The driver's own connect (SQLAlchemy's do_connect event); a failure while no file
    descriptor is free raised as that (OSError EMFILE). psycopg says only "could not create
    socket: Too many open files", SQLite "unable to open database file", each in an
    OperationalError, which read as the database down for good (a 503 asking for a restart)
    rather than a shortage that passes."""
    try:
        return dialect.connect(*cargs, **cparams)
    except Exception as exc:
        # Asking afterwards races with connections closing beside this one, so the driver's own words
        # (the C library's text for EMFILE or ENFILE, as psycopg passes it on) count too.
        if no_descriptor_free() or any(os.strerror(code) in str(exc) for code in (errno.EMFILE, errno.ENFILE)):
            raise OSError(errno.EMFILE, f"no file descriptor free to connect to the database ({exc})") from exc
        raise


class DatabaseFault(Exception):
    """The database is no longer the one loaded at start-up (deleted, replaced or edited)."""


def _driver_is_psycopg(exc: DBAPIError) -> bool:
    # By the exception's module: psycopg comes with the `postgres` extra and may not be installed.
    return type(exc.orig).__module__.startswith("psycopg")


def served_schema_gone(exc: Exception) -> bool:
    """Whether PostgreSQL says a table or schema the service reads is not there (SQLSTATE 42P01, 3F000).

    Nothing here drops one after the build, so the schema served (or a table of it) was dropped under the
    service (session 14's probe, GB1): no request will be served again, and a restart finds no build. One
    emptied is found by /health (api.queries.health).
    """
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in ("42P01", "3F000")


DATABASE_ERRORS = (DBAPIError, DatabaseFault, PoolTimeout)
"""The errors that say the database cannot serve a request (told by `unavailable`): the faces that catch
them need not import the driver's layer."""


@dataclass(frozen=True)
class Unavailable:
    """Why the database could not serve a request, as every face says it (REST's 503, an MCP tool's error)."""

    detail: str
    passes: bool  # whether trying again may succeed (a Retry-After), or the data is gone until rebuilt
    logged: str  # the log line's words before the driver's own


def unavailable(exc: Exception) -> Unavailable:
    """How a database error that is no fault of the request is told (DatabaseFault, or a driver's error)."""
    if isinstance(exc, PoolTimeout):
        # Every connection of the pool busy past its timeout: a database that answers slowly or not at all,
        # under more requests than the pool (session 14's third probe, IB1: an MCP tool's traceback).
        return Unavailable("The database is busy; try again shortly.", True, "busy")
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        # Lost during the request (checked when taken from the pool, so rarely): the next is a new connection.
        return Unavailable("The connection to the database was lost; try again shortly.", True, "connection lost")
    if isinstance(exc, OperationalError) and _driver_is_psycopg(exc) and not served_schema_gone(exc):
        # No connection could be made (refused, timed out, too many clients, the server starting up or
        # shutting down): the same process serves again once PostgreSQL answers (session 14's probe, GB1).
        return Unavailable("The database cannot be reached for the moment; try again shortly.", True, "not reachable")
    if isinstance(exc, DatabaseFault) or served_schema_gone(exc):
        detail = "The dataset this service loaded is gone or was changed; it must be rebuilt or restored."
        return Unavailable(detail, False, "unavailable")
    return Unavailable("The database is unavailable; the service needs a restart.", False, "unavailable")


def _is_text(column_type: TypeEngine[Any]) -> bool:
    """A string column (SQLModel's AutoString decorates String); enumerations sort by code in queries."""
    impl = getattr(column_type, "impl", column_type)
    return isinstance(impl, String) and not isinstance(impl, Enum)


def _collate_bytewise(conn: Connection) -> None:
    """Collate every text column "C" on PostgreSQL: code-point order, as SQLite compares text.

    Otherwise PostgreSQL orders (and compares ranges of) text by the database's locale, which
    the deployer chose, and one dataset would be listed in two orders (docs/querying-order.md).
    """
    for table in SQLModel.metadata.sorted_tables:
        texts = [c for c in table.columns if _is_text(c.type)]
        if texts:
            changes = ", ".join(
                f'ALTER COLUMN "{c.name}" TYPE {c.type.compile(dialect=conn.dialect)} COLLATE "C"' for c in texts
            )
            conn.exec_driver_sql(f'ALTER TABLE "{table.name}" {changes}')


# A PostgreSQL server that stops answering: a request needing a new connection waited psycopg's default of
# 130 s for its 503, /health included (session 13's probe, FB7). A connection is made within 10 s, as the
# start-up check asks; an open one whose peer is gone (a partition, a stopped host) is given up after about
# 20 s of unacknowledged data or silence (TCP keepalives and user timeout). An intermediary that keeps the
# connection open and relays nothing is not seen so: a statement timeout at the server or pooler bounds that.
POSTGRES_CONNECT_ARGS: dict[str, object] = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 2,
    "tcp_user_timeout": 20_000,
}


READ_ONLY_SESSION = "-c default_transaction_read_only=on"
"""The libpq options that make every transaction of a serving session read-only (its connect `options`)."""


# libpq reads connect_timeout as an int (seconds); psycopg refuses what int(float()) cannot read.
LONGEST_CONNECT_TIMEOUT = 2**31 - 1


def postgres_connect_args(url: str) -> dict[str, object]:
    """The serving connections' bounds (POSTGRES_CONNECT_ARGS) less those the URL sets itself, which win (FD4),
    and their client encoding, which does not.

    Raises ValueError, in words naming the parameter, for a connect_timeout no connection could use:
    the start-up check connects with its own bound, so a bad value surfaced only at the first serving
    connection, as a traceback (session 14's probe, GB4). 0, a negative or an empty value is refused too:
    to libpq each means no bound at all, and a request would wait for a server that never answers.
    """
    query = make_url(url).query
    if "connect_timeout" in query:
        given = query["connect_timeout"]
        for value in (given,) if isinstance(given, str) else given:
            _check_connect_timeout(value)
    # UTF8 whatever the URL or PGCLIENTENCODING say: the data and the requests' text are Unicode, and in
    # another encoding a search was a 500, a figure a 503 asking for a restart (session 15's probe, JB5).
    return {**{k: v for k, v in POSTGRES_CONNECT_ARGS.items() if k not in query}, "client_encoding": "UTF8"}


def _check_connect_timeout(value: str) -> None:
    try:
        seconds = int(value.strip())
    except ValueError:
        raise ValueError(f"bad value for connect_timeout: {value!r} (a whole number of seconds)") from None
    if seconds < 1:
        raise ValueError(f"bad value for connect_timeout: {value!r} (from 1 second; 0 or less means no bound)")
    if seconds > LONGEST_CONNECT_TIMEOUT:
        raise ValueError(f"bad value for connect_timeout: {value!r} (at most {LONGEST_CONNECT_TIMEOUT} seconds)")


class Database:
    """Owns the engine; filled once (api.loading.load), then hands out read-only sessions."""

    def __init__(
        self,
        url: str | None,
        memo: Memo | None = None,
        *,
        connect_args: dict[str, object] | None = None,
        creator: Callable[[], sqlite3.Connection] | None = None,
        read_only: bool = False,
    ) -> None:
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        if url is None:
            # One private file per process: each thread gets its own connection, and
            # nothing is left behind after shutdown.
            self._tmpdir = tempfile.TemporaryDirectory(prefix="tall-evidence-")
            url = f"sqlite:///{Path(self._tmpdir.name) / 'evidence.sqlite3'}"
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        args: dict[str, object] = {"check_same_thread": False} if self.is_sqlite else postgres_connect_args(url)
        args.update(connect_args or {})
        extra: dict[str, Any] = {"creator": creator} if creator is not None else {}
        # A PostgreSQL connection can be ended under the service (a server restart, a failover, a
        # pooler, idle_session_timeout): checked as it leaves the pool, and replaced, the request it
        # was for is served rather than answered 503. A SQLite file's connection cannot be ended so.
        self.engine: Engine = create_engine(
            url,
            connect_args=args,
            pool_size=MAX_CONNECTIONS + 1,
            max_overflow=0,
            pool_timeout=30,
            pool_pre_ping=not self.is_sqlite,
            **extra,
        )
        # read_only: a database built elsewhere (`tall-evidence build`), attached and never written.
        self._read_only = read_only
        self._file: Path | None = None
        self._fingerprint: tuple[int, ...] | None = None
        if self.is_sqlite and creator is None and self.engine.url.database not in (None, "", ":memory:"):
            self._file = Path(str(self.engine.url.database))
        self.memo = memo
        event.listen(
            self.engine,
            "do_connect",
            lambda dialect, _record, cargs, cparams: connect_naming_a_descriptor_shortage(dialect, cargs, cparams),
        )
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
            if not self.is_sqlite:
                _collate_bytewise(conn)
            yield conn
        # Pooled connections opened while writable must not serve reads afterwards.
        self.engine.dispose()
        if self.memo is not None:
            self.memo.clear()  # what was remembered of the data just replaced is void
        self._read_only = True
        self._fingerprint = self._stat()

    def _stat(self) -> tuple[int, ...] | None:
        return None if self._file is None else self.file_identity(self._file)

    @staticmethod
    def file_identity(path: Path) -> tuple[int, ...] | None:
        """The file's inode and its size, modification and change times; None if it cannot be read.

        The change time moves on every write (and on chmod or a new hard link); unlike the
        modification time, no one can set it back, so an edit that keeps size and mtime shows.
        """
        try:
            stat = path.stat()
        except OSError:
            return None
        return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)

    def unchanged(self) -> bool:
        """Whether the SQLite file is still there and unchanged since it was loaded (check, as a test)."""
        return self._fingerprint is not None and self._stat() == self._fingerprint

    def check(self) -> None:
        """Raise DatabaseFault if the SQLite file is gone or changed since it was loaded.

        Nothing here writes after loading, so any change is someone else's: serving it would
        pair data with a dataset version and ETags that no longer describe it. A stat per
        session costs microseconds; PostgreSQL (no file) relies on its READ ONLY transactions.
        """
        if self._fingerprint is None:
            return
        current = self._stat()
        if current is None:
            raise DatabaseFault(f"the database file {self._file} is gone")
        if current != self._fingerprint:
            raise DatabaseFault(f"the database file {self._file} was changed after loading")

    @classmethod
    def from_file(
        cls, path: Path, uri: str, memo: Memo | None = None, *, identity: tuple[int, ...] | None = None
    ) -> "Database":
        """A read-only Database on a prebuilt file, connecting by uri (mode=ro&immutable=1).

        SQLite trusts an immutable file not to change, so the file is watched like a loaded
        one (check): edited or replaced under a running process, it is no longer served.
        identity is the file_identity of the bytes checked, when they were checked earlier;
        each new connection is checked against it too, just after it opens the file.
        """

        def connect() -> sqlite3.Connection:
            try:
                connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
            except sqlite3.OperationalError as exc:
                # SQLite says only "unable to open database file". The file was there a moment ago;
                # still the one checked, what failed is a file descriptor to open it with (asking
                # whether one is free now raced with connections closing beside this one).
                if no_descriptor_free() or database.unchanged():
                    raise OSError(errno.EMFILE, "no file descriptor free to open the database file") from exc
                raise
            try:
                database.check()  # the inode just opened is the one checked, unchanged
            except DatabaseFault:
                connection.close()
                raise
            return connection

        # A file URL, so SQLAlchemy pools as for a file (not one connection per thread as for
        # :memory:); the creator is what actually connects.
        database = cls(f"sqlite:///{path}", memo, creator=connect, read_only=True)
        database._file = path
        database._fingerprint = identity or database._stat()
        return database

    def session(self) -> Iterator[Session]:
        with self.open_session() as session:
            yield session

    def open_session(self) -> Session:
        """A session on the checked database; it connects on its first query, and the caller closes it."""
        self.check()
        return Session(self.engine, info={} if self.memo is None else {MEMO_KEY: self.memo})

    def close(self) -> None:
        self.engine.dispose()
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None
