"""Build once, serve many: the dataset as one immutable SQLite file, or one PostgreSQL schema per version.

`tall-evidence build` validates the fixtures and writes them into a database that records
what it holds in a `dataset_build` table: the dataset version, the schema version of the
code that wrote it, the build's time, the record counts and a hash of the file's pages
(the inputs, a hash per fixture file, are in `dataset_inputs`). `serve` then only opens it (read-only, and for
SQLite immutable), checks that record against the contents and this code, and serves: no
YAML is parsed and nothing is copied, so any number of processes share one file or schema.
"""

import hashlib
import json
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from sqlalchemy import create_engine, func, select
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from api.database import READ_ONLY_SESSION, Database, Memo, postgres_connect_args
from api.errors import StartupRefusal
from api.garbage_collector import collector_paused
from api.loading.file_checks import BUILD_TABLE, not_a_file
from api.loading.fragments import fragment_code_digest
from api.loading.search_index import FIELDS as SEARCH_FIELDS
from api.settings import DATASET_VERSION_PATTERN, Settings
from models import TABLES

if TYPE_CHECKING:  # the build step's input; serving a built file never imports the fixture reader
    from api.loading.fixture_files import FixtureSet

# Bumped by hand when what is stored changes in a way the table definitions do not show
# (say, how a column is encoded); table and index definitions are hashed in anyway.
STORAGE_FORMAT = 4
FILE_PREFIX = "tall-evidence-"
FILE_SUFFIX = ".sqlite3"
INPUTS_TABLE = "dataset_inputs"
_READ_CHUNK = 1 << 20
# Written first and overwritten in place by the digest, same length, so no page moves.
_HASH_PLACEHOLDER = "0" * 32


class BuildFileError(StartupRefusal):
    """A database this code must not serve; the message is one line naming the file and the problem."""


@dataclass(frozen=True)
class BuildRecord:
    """What a built database says about itself (its dataset_build table)."""

    dataset_version: str
    schema_version: str
    built_at: str
    content_hash: str
    inputs: dict[str, str]
    counts: dict[str, int]
    public_url: str | None = None
    """TALL_PUBLIC_URL at build time, which the figures' permalinks are written on (None: built
    before it was recorded)."""


def schema_version() -> str:
    """A digest of every table and index definition this code creates, plus STORAGE_FORMAT and what
    the stored fragments depend on besides the data (api.queries.fragments.fragment_code_digest)."""
    dialect = sqlite_dialect.dialect()
    digest = hashlib.blake2b(f"format {STORAGE_FORMAT}\0search {','.join(SEARCH_FIELDS)}\0".encode(), digest_size=8)
    digest.update(f"fragments {fragment_code_digest()}\0".encode())
    for table in sorted(SQLModel.metadata.sorted_tables, key=lambda t: t.name):
        digest.update(str(CreateTable(table).compile(dialect=dialect)).encode())
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            digest.update(str(CreateIndex(index).compile(dialect=dialect)).encode())
    return digest.hexdigest()


def input_hashes(settings: Settings) -> dict[str, str]:
    """SHA-256 of each fixture file the dataset is built from, by the label validation messages use."""
    from api.loading.coverage_files import coverage_paths
    from api.loading.fixture_files import CONFLICTS_FILE, EPIDEMIOLOGY_FILE, STUDIES_DIR, regular_file_bytes
    from api.provenance.spans import SPANS_FILE_LIMIT

    files = {
        f"seeds/{path.name}": path
        for path in (settings.sources_registry, settings.terminology_file, settings.term_codes_file)
    }
    studies = settings.fixtures_dir / STUDIES_DIR
    for path in sorted(studies.glob("*.yaml")):
        files[f"fixtures/{STUDIES_DIR}/{path.name}"] = path
    for name in (CONFLICTS_FILE, EPIDEMIOLOGY_FILE):
        if (settings.fixtures_dir / name).is_file():
            files[f"fixtures/{name}"] = settings.fixtures_dir / name
    bounds = {label: settings.max_fixture_bytes for label in files}
    if settings.spans_file.is_file():  # figures are served with the spans it holds
        files[f"seeds/{settings.spans_file.name}"] = settings.spans_file
        bounds[f"seeds/{settings.spans_file.name}"] = SPANS_FILE_LIMIT
    for path in coverage_paths(settings.coverage_dir):  # and the corrections these record
        files[f"seeds/coverage/{path.name}"] = path
        bounds[f"seeds/coverage/{path.name}"] = settings.max_fixture_bytes
    # Read under the guards validation read them with (a FIFO swapped in since would block a plain read).
    return {
        label: hashlib.sha256(regular_file_bytes(path, str(path), max_bytes=bounds[label])).hexdigest()
        for label, path in files.items()
    }


def file_content_hash(path: Path, record_page: int) -> str:
    """A digest of the file's bytes, less the 100-byte header (change counters) and the record's page."""
    return file_digests(path, record_page)[0]


def file_digests(path: Path, record_page: int) -> tuple[str, str]:
    """The content hash (the file's bytes less the 100-byte header, whose change counters move,
    and the record's page, which the digest is written into) and the SHA-256 of all its bytes,
    read in one pass.

    Every table, index and the full-text index live in the file's pages, so the content hash
    covers all the contents; reading the file straight through costs far less than reading
    every row through SQL (a few tenths of a second for a few hundred MiB). The whole-file
    SHA-256 names the exact bytes, record included: what `serve` passes to its workers.
    """
    # SHA-256 runs on the CPU's SHA instructions where present: about three times BLAKE2b's speed
    # here, which is most of a prebuilt file's start-up at 1000x the curated data.
    digest = hashlib.sha256()
    whole = hashlib.sha256()
    with path.open("rb") as file:
        header = file.read(100)
        whole.update(header)
        page_size = int.from_bytes(header[16:18], "big") or 65536  # 1 is stored for 65536
        skip_from, skip_to = (record_page - 1) * page_size, record_page * page_size
        position = 100
        while chunk := file.read(_READ_CHUNK):
            whole.update(chunk)
            end = position + len(chunk)
            view = memoryview(chunk)
            if end <= skip_from or position >= skip_to:
                digest.update(view)
            else:
                digest.update(view[: max(0, skip_from - position)])
                digest.update(view[max(0, skip_to - position) :])
            position = end
    return digest.hexdigest()[: len(_HASH_PLACEHOLDER)], whole.hexdigest()


def file_sha256(path: Path) -> str:
    """The SHA-256 of all the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def record_page(connection: sqlite3.Connection) -> int:
    row = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (BUILD_TABLE,)).fetchone()
    if row is None:
        raise sqlite3.DatabaseError(f"no {BUILD_TABLE} table")
    return int(row[0])


def table_counts(connection: sqlite3.Connection) -> dict[str, int]:
    return {
        name: int(connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
        for name in (str(table.__tablename__) for table in TABLES)
    }


def file_name(dataset_version: str) -> str:
    return f"{FILE_PREFIX}{dataset_version}{FILE_SUFFIX}"


def _write_record(connection: sqlite3.Connection, record: BuildRecord) -> None:
    """The record in a table of one page (WITHOUT ROWID: no separate index), the inputs in another table."""
    connection.execute(f"CREATE TABLE {INPUTS_TABLE} (file TEXT PRIMARY KEY, sha256 TEXT NOT NULL)")
    connection.executemany(f"INSERT INTO {INPUTS_TABLE} (file, sha256) VALUES (?, ?)", sorted(record.inputs.items()))
    connection.execute(f"CREATE TABLE {BUILD_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID")
    connection.executemany(
        f"INSERT INTO {BUILD_TABLE} (key, value) VALUES (?, ?)", _record_rows(record, with_inputs=False)
    )


def _record_rows(record: BuildRecord, *, with_inputs: bool) -> list[tuple[str, str]]:
    rows = [
        ("dataset_version", record.dataset_version),
        ("schema_version", record.schema_version),
        ("built_at", record.built_at),
        ("content_hash", record.content_hash),
        ("counts", json.dumps(record.counts)),  # in TABLES order, as /v1/meta lists them
        *([("public_url", record.public_url)] if record.public_url is not None else []),
    ]
    return [*rows, ("inputs", json.dumps(record.inputs, sort_keys=True))] if with_inputs else rows


def _record_from_rows(rows: dict[str, str], inputs: dict[str, str] | None = None) -> BuildRecord:
    return BuildRecord(
        dataset_version=rows["dataset_version"],
        schema_version=rows["schema_version"],
        built_at=rows["built_at"],
        content_hash=rows["content_hash"],
        inputs=inputs if inputs is not None else json.loads(rows["inputs"]),
        counts=json.loads(rows["counts"]),
        public_url=rows.get("public_url"),
    )


def build_time() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def build_file(settings: Settings, out_dir: Path, fixtures: "FixtureSet | None" = None) -> Path:
    """Validate the fixtures and write them into out_dir/tall-evidence-<version>.sqlite3; return its path.

    Written under a temporary name and renamed into place, so a process that opens the final
    name never sees half a file (and one still serving an older file keeps its open copy).
    Raises FixtureError, naming every problem, before anything is written.
    """
    from api.loading.load import validate_fixtures, write_dataset

    fixtures = fixtures or validate_fixtures(settings)
    inputs = input_hashes(settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / file_name(fixtures.version)
    partial = Path(tempfile.mkstemp(prefix=f".{final.name}.", suffix=".partial", dir=out_dir)[1])
    try:
        database = Database(f"sqlite:///{partial}")
        try:
            with collector_paused():
                write_dataset(database, settings, fixtures)
        finally:
            database.close()
        connection = sqlite3.connect(partial, isolation_level=None)
        try:
            connection.execute("BEGIN")
            connection.execute("ANALYZE")  # query planner statistics, stored in the file
            record = BuildRecord(
                dataset_version=fixtures.version,
                schema_version=schema_version(),
                built_at=build_time(),
                content_hash=_HASH_PLACEHOLDER,
                inputs=inputs,
                counts=table_counts(connection),
                public_url=settings.public_url,
            )
            _write_record(connection, record)
            connection.execute("COMMIT")
            connection.execute("PRAGMA journal_mode = DELETE")
            connection.execute("VACUUM")  # compact: no free pages, tables stored in order
            page = record_page(connection)
            digest = file_content_hash(partial, page)
            connection.execute(f"UPDATE {BUILD_TABLE} SET value = ? WHERE key = 'content_hash'", (digest,))
            if record_page(connection) != page or file_content_hash(partial, page) != digest:
                raise RuntimeError(f"{partial}: writing the content hash moved other pages")
        finally:
            connection.close()
        os.chmod(partial, 0o644)  # mkstemp makes it private; the file is public data
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return final


def immutable_uri(path: Path) -> str:
    """The SQLite URI that opens path read-only and immutable: no locks, no journal, no writes."""
    return f"file:{quote(os.fsencode(path.resolve()))}?mode=ro&immutable=1"  # bytes: a name need not be UTF-8


def connect_immutable(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(immutable_uri(path), uri=True, check_same_thread=False)


def read_file_record(path: Path, *, verify_content: bool = True) -> BuildRecord:
    """The file's build record, after checking it against the contents and this code's schema.

    Raises BuildFileError with one line naming the file and what is wrong.
    """
    return _checked_record(path, verify_content=verify_content)[0]


def checked_file(path: Path) -> tuple[BuildRecord, str]:
    """The file's build record checked against its contents, and the SHA-256 of the bytes checked.

    What `serve` checks once and hands to its workers: each of them serves the file only if
    its bytes still have this SHA-256 (open_file). Raises BuildFileError as read_file_record.
    """
    record, sha256 = _checked_record(path, verify_content=True)
    assert sha256 is not None
    return record, sha256


def _checked_record(path: Path, *, verify_content: bool) -> tuple[BuildRecord, str | None]:
    if (kind := not_a_file(path)) is not None:
        raise BuildFileError(f"{path}: {kind}")
    try:
        connection = connect_immutable(path)
    except sqlite3.Error as exc:
        raise BuildFileError(f"{path}: cannot be opened as SQLite ({exc})") from exc
    try:
        try:
            rows = dict(connection.execute(f"SELECT key, value FROM {BUILD_TABLE}").fetchall())
            inputs = dict(connection.execute(f"SELECT file, sha256 FROM {INPUTS_TABLE}").fetchall())
            page = record_page(connection)
        except sqlite3.DatabaseError as exc:
            raise BuildFileError(
                f"{path}: not a database written by `tall-evidence build` (no {BUILD_TABLE} table: {exc})"
            ) from exc
        try:
            record = _record_from_rows(rows, inputs)
        except (KeyError, ValueError) as exc:
            raise BuildFileError(f"{path}: incomplete {BUILD_TABLE} record ({exc})") from exc
        ours = schema_version()
        if record.schema_version != ours:
            raise BuildFileError(
                f"{path}: schema version {record.schema_version} is not this code's ({ours}); rebuild it with "
                "`tall-evidence build`"
            )
        if not verify_content:
            return record, None
        try:
            actual, sha256 = file_digests(path, page)
        except OSError as exc:
            raise BuildFileError(f"{path}: cannot be read ({exc})") from exc
        if actual != record.content_hash:
            raise BuildFileError(
                f"{path}: contents do not match the recorded dataset version {record.dataset_version} "
                f"(content hash {actual}, recorded {record.content_hash})"
            )
        return record, sha256
    finally:
        connection.close()


def open_file(
    path: Path, memo: Memo | None = None, *, verify_content: bool = True, expected_sha256: str | None = None
) -> tuple[Database, BuildRecord]:
    """A checked build record and a read-only Database on the file as it is (never copied).

    With expected_sha256 (what `serve` checked before any worker started) the file is served
    only if all its bytes still have that digest: every worker checks the file it opens, so
    one started later, after the file was altered or replaced, refuses it instead of serving
    other data under the same version. The Database then refuses to go on (DatabaseFault) as
    soon as the file's inode is replaced or changed in any way, its change time included.
    """
    if (kind := not_a_file(path)) is not None:  # before resolve(), which raises RuntimeError on a link loop
        raise BuildFileError(f"{path}: {kind}")
    path = path.resolve()
    if expected_sha256 is None:
        record = read_file_record(path, verify_content=verify_content)
        return Database.from_file(path, immutable_uri(path), memo), record
    before = Database.file_identity(path)
    try:
        actual = file_sha256(path)
    except OSError as exc:
        raise BuildFileError(f"{path}: cannot be read ({exc})") from exc
    if actual != expected_sha256 or Database.file_identity(path) != before:
        raise BuildFileError(
            f"{path}: its bytes are not those checked when `serve` started (SHA-256 {actual}, checked "
            f"{expected_sha256}): the file was altered or replaced; restart `serve` to check and serve it anew"
        )
    record = read_file_record(path, verify_content=False)  # the bytes are those `serve` checked
    return Database.from_file(path, immutable_uri(path), memo, identity=before), record


def engine_counts(database: Database) -> dict[str, int]:
    with database.engine.connect() as conn:
        return {
            str(table.__tablename__): conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in TABLES
        }


# --- PostgreSQL: one schema per dataset version -------------------------------------------------

_SCHEMA_RE = re.compile(DATASET_VERSION_PATTERN)


def schema_name(dataset_version: str) -> str:
    """The PostgreSQL schema holding one dataset version (versions are hex digests)."""
    if not _SCHEMA_RE.match(dataset_version):
        raise BuildFileError(f"dataset version {dataset_version!r}: expected lowercase hex digits")
    return f"tall_{dataset_version}"


def _pg_engine_options(url: str, schema: str, *, read_only: bool) -> dict[str, object]:
    """Connect arguments for one version's schema: the serving connections' bounds and encoding, that schema."""
    options = f"-c search_path={schema}"
    if read_only:
        options += f" {READ_ONLY_SESSION}"
    return {**postgres_connect_args(url), "options": options}


@contextmanager
def _advisory_lock(url: str, key: str) -> Iterator[None]:
    """Serialise builds of one version across processes (two replicas starting at once)."""
    engine = create_engine(url, connect_args=postgres_connect_args(url))
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT pg_advisory_lock(hashtext(%(key)s))", {"key": key})
            try:
                yield
            finally:
                conn.exec_driver_sql("SELECT pg_advisory_unlock(hashtext(%(key)s))", {"key": key})
                conn.commit()
    finally:
        engine.dispose()


def read_schema_record(url: str, dataset_version: str) -> BuildRecord | None:
    """The build record of the version's schema, or None when there is no complete one (no record table, or a
    record without its keys)."""
    schema = schema_name(dataset_version)
    engine = create_engine(url, connect_args=_pg_engine_options(url, schema, read_only=True))
    try:
        with engine.connect() as conn:
            present = conn.exec_driver_sql(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = %(s)s AND table_name = %(t)s",
                {"s": schema, "t": BUILD_TABLE},
            ).first()
            if present is None:
                return None
            rows: dict[str, str] = {
                str(key): str(value) for key, value in conn.exec_driver_sql(f"SELECT key, value FROM {BUILD_TABLE}")
            }
    finally:
        engine.dispose()
    try:
        return _record_from_rows(rows)
    except (KeyError, ValueError):
        # Emptied or cut short by hand (a TRUNCATE): a traceback at `serve`, and `build` could not repair it
        # (session 15's probe, JB7). `build` writes the record last, so without its keys the build is not whole.
        return None


def build_schema(settings: Settings, url: str, fixtures: "FixtureSet | None" = None) -> BuildRecord:
    """Load the fixtures into the schema named by their version, unless a complete one is there already.

    Other versions' schemas are left alone: processes serving them keep working.
    """
    from api.loading.load import validate_fixtures, write_dataset

    fixtures = fixtures or validate_fixtures(settings)
    schema = schema_name(fixtures.version)
    with _advisory_lock(url, schema):
        existing = read_schema_record(url, fixtures.version)
        if existing is not None and existing.schema_version == schema_version():
            return existing
        admin = create_engine(url, connect_args=postgres_connect_args(url))
        try:
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        finally:
            admin.dispose()
        database = Database(url, connect_args=_pg_engine_options(url, schema, read_only=False))
        try:
            with collector_paused():
                write_dataset(database, settings, fixtures)
            counts = engine_counts(database)
        finally:
            database.close()
        record = BuildRecord(
            dataset_version=fixtures.version,
            schema_version=schema_version(),
            built_at=build_time(),
            content_hash="",  # not recomputed on PostgreSQL: the schema is only ever written here
            inputs=input_hashes(settings),
            counts=counts,
            public_url=settings.public_url,
        )
        writer = create_engine(url, connect_args=_pg_engine_options(url, schema, read_only=False))
        try:
            with writer.begin() as conn:
                conn.exec_driver_sql(f"CREATE TABLE {BUILD_TABLE} (key text PRIMARY KEY, value text NOT NULL)")
                for key, value in _record_rows(record, with_inputs=True):
                    conn.exec_driver_sql(
                        f"INSERT INTO {BUILD_TABLE} (key, value) VALUES (%(k)s, %(v)s)", {"k": key, "v": value}
                    )
                conn.exec_driver_sql("ANALYZE")
        finally:
            writer.dispose()
        return record


def attach_schema(url: str, dataset_version: str, memo: Memo | None = None) -> tuple[Database, BuildRecord]:
    """A read-only Database on the version's schema: sessions can only read, and only that schema."""
    record = read_schema_record(url, dataset_version)
    where = f"{_redacted(url)} schema {schema_name(dataset_version)}"
    if record is None:
        raise BuildFileError(
            f"{where}: no complete build of dataset version {dataset_version}; "
            "run `tall-evidence build --database-url URL`"
        )
    if record.schema_version != schema_version():
        raise BuildFileError(f"{where}: schema version {record.schema_version} is not this code's ({schema_version()})")
    if record.dataset_version != dataset_version:
        raise BuildFileError(f"{where}: records dataset version {record.dataset_version}, not {dataset_version}")
    database = Database(
        url,
        memo,
        connect_args=_pg_engine_options(url, schema_name(dataset_version), read_only=True),
        read_only=True,
    )
    return database, record


def _redacted(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)
