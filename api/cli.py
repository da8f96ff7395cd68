"""Command line: `tall-evidence build | serve | mcp | validate | diff | resolve | export | openapi`, and more."""

import argparse
import json
import logging
import os
import re
import signal
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from pydantic_settings import SettingsError

from api.settings import (
    DATASET_VERSION_PATTERN,
    LOG_NAME,
    MAX_WORKERS,
    STOP_SIGNALS,
    Settings,
    env_name,
    get_settings,
)

if TYPE_CHECKING:
    import uvicorn

    from api.loading.build import BuildRecord
    from api.loading.fixture_files import FixtureError, FixtureSet

# A worker of `serve --workers N` must serve within this many seconds of being started (imports,
# checking the file, on a busy machine), and a serving one whose event loop stops ticking for
# this long is killed and replaced.
WORKER_START_SECONDS = 120
WORKER_HEALTHCHECK_SECONDS = 60

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """text with each control character written as a Python string literal writes it ('\\n', '\\x1b'):
    a path or value holding a newline would split a line in two, and let its second half pass for
    a line of ours (session 13's probe, FB6); an escape sequence would reach the terminal."""
    return CONTROL_CHARACTERS.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), text)


def refuse(*lines: str) -> None:
    """Each line on stderr as one line (one_line)."""
    for line in lines:
        print(one_line(line), file=sys.stderr)


def say(*lines: str) -> None:
    """Each line on stdout as one line (one_line)."""
    for line in lines:
        print(one_line(line))


def refuse_fixtures(prefix: str, exc: "FixtureError") -> None:
    """A FixtureError as its lines: the count after prefix, then each problem on its own line."""
    refuse(prefix + exc.lines[0], *exc.lines[1:])


def settings_problem(exc: ValidationError | SettingsError) -> str:
    """One line naming each bad setting by its environment variable."""
    if isinstance(exc, SettingsError):
        # pydantic-settings names the field, not the variable: 'error parsing value for field "x" ...'
        named = re.search(r'field "([a-z_]+)"', str(exc))
        name = env_name(named.group(1)) if named else "(unknown)"
        return f"invalid setting {name}: cannot be parsed ({exc.__cause__ or exc})"
    parts = []
    for error in exc.errors(include_url=False):
        if not error["loc"]:  # a check of the whole environment (a name that is no setting) names its variables
            parts.append(str(error["msg"]).removeprefix("Value error, "))
            continue
        field = str(error["loc"][0])
        given = f" (got {error['input']!r})" if isinstance(error.get("input"), str | int | float) else ""
        parts.append(f"{env_name(field)}: {error['msg']}{given}")
    return "invalid setting " + "; ".join(parts)


def path_problem(settings: Settings) -> str | None:
    """A directory or file setting that cannot be read, named by its environment variable with the fix."""
    # The coverage files are served too (their corrections): a mistyped directory would build without them.
    for field, want_dir in (("fixtures_dir", True), ("sources_registry", False), ("coverage_dir", True)):
        path: Path = getattr(settings, field)
        if (problem := _unreadable(path, want_dir=want_dir)) is not None:
            name = env_name(field)
            kind = "directory" if want_dir else "file"
            return f"invalid setting {name}: {path} {problem}; set {name} to the {kind} to read"
    return None


def _unreadable(path: Path, *, want_dir: bool) -> str | None:
    """What keeps a directory (want_dir) or a regular file from being read, in words; None if nothing."""
    from api.loading.file_checks import not_a_file, unexaminable

    if (why := unexaminable(path)) is not None:
        return f"cannot be read ({why})"
    if not path.exists():
        if not path.is_symlink():
            return "does not exist"
        try:  # a broken link, not an absent file
            path.stat()
        except FileNotFoundError:
            return "is a dangling symbolic link"
        except OSError as exc:
            return f"is a link that cannot be followed ({exc.strerror or exc})"
    if path.is_dir() != want_dir:
        return f"is not a {'directory' if want_dir else 'file'}"
    if not want_dir and (what := not_a_file(path)) is not None:
        return f"is {what}"  # a FIFO or a device: read as a file, it would hang or never end
    if not os.access(path, os.R_OK | (os.X_OK if want_dir else 0)):
        return "cannot be read"
    return None


def texts_dir_problem(settings: Settings, *, needed: bool) -> str | None:
    """TALL_SEEDS_TEXT_DIR set to a path that is not a readable directory: a typo would otherwise check
    nothing against the texts and still pass. Left unset, an absent default falls back to the spans file;
    set empty, the texts are not read (unless needed, as by `resolve`)."""
    path = settings.seeds_text_dir
    fix = "set TALL_SEEDS_TEXT_DIR to the directory holding the texts"
    if path is None:
        return (
            f"invalid setting TALL_SEEDS_TEXT_DIR: it is empty and this command reads the texts; {fix}"
            if needed
            else None
        )
    if "seeds_text_dir" not in settings.model_fields_set or (problem := _unreadable(path, want_dir=True)) is None:
        return None
    return f"invalid setting TALL_SEEDS_TEXT_DIR: {path} {problem}; {fix}, or set it empty to check the spans file only"


def dataset_version_problem(settings: Settings, args: argparse.Namespace) -> str | None:
    """TALL_DATASET_VERSION names a PostgreSQL schema to serve; set where no schema is served (a file,
    or the fixtures on SQLite), it would be ignored without a word."""
    if "dataset_version" not in settings.model_fields_set or settings.dataset_version is None:
        return None
    url = getattr(args, "database_url", None) or settings.database_url or ""
    if args.database or not url.startswith("postgresql"):
        return (
            "invalid setting TALL_DATASET_VERSION: it names the PostgreSQL schema to serve (with a postgresql "
            "DATABASE_URL); a file or the fixtures on SQLite are served whole, so unset it"
        )
    return None


SUPPORTED_BACKENDS = ("sqlite", "postgresql")


def database_url_problem(url: str | None, *, connect: bool = True) -> str | None:
    """What is wrong with DATABASE_URL, in one line naming it: not a URL, a backend this service
    does not support, a SQLite file that cannot be written where it points, a PostgreSQL server
    that cannot be reached (connect=False leaves that to the caller)."""
    from urllib.parse import unquote

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    if url is None:
        return None
    if "\x00" in unquote(url):  # libpq would end the connection string there, and connect elsewhere
        return "invalid setting DATABASE_URL: it holds a NUL character (%00)"
    try:
        parsed = make_url(url)
        parsed.get_dialect().import_dbapi()  # the driver named (postgresql+asyncpg...) must be installed
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        return f"invalid setting DATABASE_URL: {exc}"
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        return f"invalid setting DATABASE_URL: {parsed.get_backend_name()} is not supported (sqlite or postgresql)"
    if parsed.get_backend_name() == "sqlite":
        if parsed.query:
            # SQLAlchemy drops arguments it does not know with a warning, and some make a pool the
            # service cannot configure (a traceback at start-up): a file is all this URL names.
            names = ", ".join(sorted(parsed.query))
            return (
                f"invalid setting DATABASE_URL: query arguments are not taken for SQLite ({names}); name the file only"
            )
        return _sqlite_path_problem(parsed.database)
    from api.database import READ_ONLY_SESSION, postgres_connect_args

    try:
        postgres_connect_args(url)  # the serving connections' own: checked, as the bound below replaces them
    except ValueError as exc:
        return f"invalid setting DATABASE_URL: {exc}"
    if connect:
        try:
            # In a read-only session, as the service's: a URL asking target_session_attrs=read-write passed a
            # plain connection, then every serving one failed, a traceback (session 15's probe, JB4).
            engine = create_engine(url, connect_args={"connect_timeout": 10, "options": READ_ONLY_SESSION})
            try:
                with engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
            finally:
                engine.dispose()
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            if reason.endswith("session is read-only"):
                reason += "; the service's sessions are read-only: ask target_session_attrs=primary, not read-write"
            return f"invalid setting DATABASE_URL: cannot connect ({reason})"
    return None


def _sqlite_path_problem(database: str | None) -> str | None:
    from api.loading.file_checks import holds_a_build, unexaminable

    if database in (None, "", ":memory:"):
        # Each worker and each pooled connection would get a database of its own, empty.
        return "invalid setting DATABASE_URL: an in-memory SQLite database cannot be served; name a file"
    path = Path(database)
    if (why := unexaminable(path)) is not None:
        return f"invalid setting DATABASE_URL: {path} cannot be used ({why}); name the database file"
    if path.is_symlink() and not path.exists():
        return f"invalid setting DATABASE_URL: {path} is a dangling symbolic link; name the database file itself"
    if path.is_dir():
        return f"invalid setting DATABASE_URL: {path} is a directory, not a database file"
    if path.exists() and not path.is_file():
        return f"invalid setting DATABASE_URL: {path} is not a regular file (a device, FIFO or socket)"
    if path.exists() and holds_a_build(path):
        return (
            f"invalid setting DATABASE_URL: {path} was written by `tall-evidence build` and is served read-only "
            f"as it is: use `serve --database {path}` (DATABASE_URL names a database the fixtures are loaded into)"
        )
    if path.exists():
        try:  # by opening it: permission bits do not tell (root, /proc, read-only mounts)
            with path.open("r+b") as opened:
                head = opened.read(len(SQLITE_HEADER))
        except OSError as exc:
            return f"invalid setting DATABASE_URL: {path} cannot be written ({exc.strerror or exc})"
        if head and head != SQLITE_HEADER:  # an empty file is an empty database to SQLite
            return f"invalid setting DATABASE_URL: {path} is not a SQLite database; name a database file or a new path"
    # SQLite writes its journal beside the file: the directory must take a new file either way.
    if (problem := _new_file_problem(path.resolve().parent)) is not None:
        return f"invalid setting DATABASE_URL: {path} cannot be written ({problem}): the fixtures are loaded into it"
    return None


SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file


def _new_file_problem(directory: Path) -> str | None:
    """Why no new file can be made in directory, tried rather than read from permission bits; None if one can."""
    import tempfile

    try:
        tempfile.TemporaryFile(dir=directory).close()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def out_dir_problem(out: Path) -> str | None:
    """`build --out`: a directory that exists or can be made, and can be written."""
    from api.loading.file_checks import kind_of, unexaminable

    if (why := unexaminable(out)) is not None:
        return f"build: --out {out} cannot be used ({why})"
    if out.exists() and not out.is_dir():
        return f"build: --out {out} is {kind_of(out.stat().st_mode)}, not a directory"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"build: --out {out} cannot be written ({exc.strerror or exc})"
    if (problem := _new_file_problem(out)) is not None:
        return f"build: --out {out} cannot be written ({problem})"
    return None


def served_public_url(settings: Settings, built: list[tuple[str, "BuildRecord"]]) -> tuple[str, str | None]:
    """The public URL to serve built data with, and what is wrong, if anything, in one line naming
    TALL_PUBLIC_URL. Permalinks are written into the data at build time: TALL_PUBLIC_URL set now
    must be the one each file (or schema) was built with; unset, the current one's is taken."""
    recorded = [(where, record.public_url) for where, record in built if record.public_url is not None]
    explicit = "public_url" in settings.model_fields_set
    wanted = settings.public_url if explicit or not recorded else str(recorded[-1][1])
    for where, url in recorded:
        if url != wanted:
            now = "as set now" if explicit else f"as {recorded[-1][0]} was"
            return wanted, (
                f"invalid setting TALL_PUBLIC_URL: {where} was built with TALL_PUBLIC_URL={url}, not {wanted} {now}, "
                f"and its permalinks name {url}; build it again with TALL_PUBLIC_URL={wanted} "
                f"(tall-evidence build), or serve it with TALL_PUBLIC_URL={url}"
            )
    return wanted, None


def served_files_problem(settings: Settings, *, database_given: bool, command: str = "serve") -> str | None:
    """Settings the command would overwrite or not read, set anyway: the digests `serve` hands its
    workers from the files it checks; with --database, the files named in the environment instead;
    and, for `mcp`, which answers from one release, the earlier ones."""
    if command == "serve":
        for field in ("database_file_sha256", "previous_database_files_sha256"):
            if field in settings.model_fields_set:
                name = env_name(field)
                return f"invalid setting {name}: serve sets it for its workers, from the files it checks; unset it"
    elif settings.previous_database_files:
        name = env_name("previous_database_files")
        return f"invalid setting {name}: mcp answers from one release, the current one; unset {name}"
    for field in ("database_file", "previous_database_files"):
        if database_given and field in settings.model_fields_set:
            name = env_name(field)
            names = (
                "every file served (earlier builds as more --database, oldest first)"
                if command == "serve"
                else "the file served"
            )
            return f"invalid setting {name}: {command} --database names {names}; unset {name}, or leave out --database"
    return None


def host_problem(host: str, port: int, *, named: str = "invalid setting TALL_HOST") -> str | None:
    """A host `serve` cannot bind, named (by its variable, or `--host`) before uvicorn tries."""
    import socket

    if not host.strip():
        return f"{named}: empty; give an interface such as 127.0.0.1"
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"{named}: {host!r} cannot be resolved ({exc.strerror or exc})"
    return None


def port_problem(host: str, port: int, *, given: bool) -> str | None:
    """A port another process listens on, named (by TALL_PORT, or `--port` when given) before the
    application is made: uvicorn found it only after loading, in lines naming neither, and ended with
    the status that says the data changed (session 14's probe, GB6). Bound as uvicorn binds it."""
    import errno
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            # Only a port in use is this check's: anything else binding finds is left to uvicorn's own words.
            if exc.errno != errno.EADDRINUSE:
                return None
            where = f"{host}:{port} is in use by another process"
            return (
                f"invalid --port: {where}"
                if given
                else f"invalid setting TALL_PORT: {where}; set another, or give --port"
            )
    return None


def _checked_fixtures() -> "FixtureSet | None":
    """The validated fixtures with a one-line summary on stdout, or None after listing the problems."""
    from api.loading.fixture_files import FixtureError
    from api.loading.load import validate_fixtures

    try:
        fixtures = validate_fixtures(get_settings())
    except FixtureError as exc:
        refuse_fixtures("invalid fixtures: ", exc)
        return None
    figures = sum(len(s.outcomes) + len(s.adverse_events) + len(s.characteristics) for s in fixtures.studies.values())
    sources = len(fixtures.sources.sources)
    say(f"ok: {len(fixtures.studies)} studies, {figures} figures, {sources} sources, version {fixtures.version}")
    return fixtures


def _validate() -> int:
    if _checked_fixtures() is None:
        return 1
    return 0 if _provenance_ok() else 1


def _provenance_ok() -> bool:
    """Locators and printed strings against the texts (TALL_SEEDS_TEXT_DIR), or the committed spans without them."""
    from api.loading.fixture_files import FixtureError
    from api.provenance.check import verify

    settings = get_settings()
    try:
        outcome = verify(
            settings.fixtures_dir, settings.sources_registry, settings.seeds_text_dir, spans_file=settings.spans_file
        )
    except FixtureError as exc:
        refuse_fixtures("provenance: ", exc)
        return False
    for note in outcome.notes:
        say(f"note: {note}")
    if outcome.problems:
        refuse(f"provenance: {len(outcome.problems)} problem(s):")
        for problem in outcome.problems:
            refuse(f"  {problem}")
        return False
    if not outcome.texts_present:
        say("note: to check against the source texts, set TALL_SEEDS_TEXT_DIR to the directory holding them")
    where = f"the texts in {settings.seeds_text_dir}" if outcome.texts_present else settings.spans_file.name
    say(f"ok: provenance of {len(outcome.spans)} printed figures checked against {where}")
    return True


def _resolve(check: bool) -> int:
    """Write the spans file from the texts; problems are listed but do not stop the spans being written."""
    from api.loading.fixture_files import FixtureError
    from api.provenance.check import verify
    from api.provenance.spans import render_spans
    from api.tools.committed_files import write_generated

    settings = get_settings()
    if settings.seeds_text_dir is None or not settings.seeds_text_dir.is_dir():
        refuse(f"resolve: source texts not found at {settings.seeds_text_dir} (set TALL_SEEDS_TEXT_DIR)")
        return 1
    try:
        outcome = verify(
            settings.fixtures_dir, settings.sources_registry, settings.seeds_text_dir, spans_file=settings.spans_file
        )
    except FixtureError as exc:
        refuse_fixtures("resolve: ", exc)
        return 1
    unusable = [
        (outcome.missing_texts, "the registry names are not in"),
        (outcome.unreadable_texts, "cannot be read in"),
        (outcome.mismatched_texts, "are not the registry's documents (SHA-256) in"),
    ]
    if said := " and ".join(f"{len(texts)} text(s) {words}" for texts, words in unusable if texts):
        # Written without them, the spans file would lose every figure of those documents.
        refuse(
            f"resolve: {said} {settings.seeds_text_dir} (TALL_SEEDS_TEXT_DIR); "
            f"{settings.spans_file.name} " + ("cannot be checked without them:" if check else "was not written:")
        )
        for problem in outcome.problems:
            refuse(f"  {problem}")
        return 1
    text = render_spans(outcome.spans, outcome.documents)
    target = settings.spans_file
    if check:
        return _report_check(target, text, command="resolve")
    unwritten = write_generated(target, text)
    if unwritten is not None:
        refuse(f"resolve: {target}: {unwritten}")
        return 1
    say(f"wrote {target} ({len(outcome.spans)} spans)")
    unresolved = [p for p in outcome.problems if not p.startswith(target.name)]
    for problem in unresolved:
        refuse(f"  {problem}")
    return 1 if unresolved else 0


def _build(out: Path | None, database_url: str | None) -> int:
    """Validate the fixtures, then write them into one file named by the version (or a PostgreSQL schema)."""
    from api.database import is_postgres
    from api.loading.build import build_file, build_schema, schema_name

    fixtures = _checked_fixtures()
    if fixtures is None:
        return 1
    settings = get_settings()
    if database_url is not None:
        if not is_postgres(database_url):
            refuse("build: --database-url must be a PostgreSQL URL (postgresql+psycopg://...)")
            return 1
        record = build_schema(settings, database_url, fixtures)
        say(f"built dataset version {record.dataset_version} in schema {schema_name(record.dataset_version)}")
        say(f"serve it with: tall-evidence serve --database-url URL --dataset-version {record.dataset_version}")
        return 0
    assert out is not None  # argparse requires one of the two
    try:
        path = build_file(settings, out, fixtures)
    except OSError as exc:
        refuse(f"build: cannot write {exc.filename2 or exc.filename or out} ({exc.strerror or exc})")
        return 1
    say(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


def _serve(
    host: str | None,
    port: int | None,
    *,
    databases: list[Path] | None = None,
    workers: int = 1,
    database_url: str | None = None,
    dataset_version: str | None = None,
    stops: "_StopSignals",
) -> int:
    """Serve a prebuilt file (checked, then opened as it is), a PostgreSQL schema, or the fixtures built now.

    Without --database the fixtures are validated and built into a temporary file first, and
    that file is served exactly as a prebuilt one would be. Each of N workers is a separate
    process opening the same file read-only: they share nothing else. With several
    --database files, each is a release served side by side; the last given is the current one.
    """
    import tempfile

    settings = get_settings()
    url = database_url or settings.database_url
    # Refused before the application's modules are imported: a bad setting is answered in a third of the time.
    # --host named as itself (an empty one refused, not replaced by TALL_HOST).
    bound = (
        host_problem(host, port or settings.port, named="invalid --host")
        if host is not None
        else host_problem(settings.host, port or settings.port)
    )
    # A file served beside a DATABASE_URL would leave the URL unused without a word (session 14's second
    # probe, HB4), as TALL_DATASET_VERSION beside a file would (dataset_version_problem).
    both = (
        "invalid setting DATABASE_URL: `serve --database` serves the built file(s) named, so a DATABASE_URL "
        "beside them would be ignored; unset it, or serve without --database"
        if databases and url
        else None
    )
    problem = (
        bound
        or both
        or database_url_problem(url)
        or port_problem(host if host is not None else settings.host, port or settings.port, given=port is not None)
    )
    if problem is not None:
        refuse(problem)
        return 2

    from api.database import is_postgres
    from api.loading.build import (
        BuildFileError,
        attach_schema,
        build_file,
        build_schema,
        checked_file,
        file_sha256,
        schema_name,
    )

    updates: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="tall-evidence-") as scratch:
        try:
            if databases:
                seen: dict[str, Path] = {}
                sha256 = ""
                built = []
                digests: list[str] = []
                for database in databases:
                    # Refuse a bad file in one line, before any worker starts.
                    record, sha256 = checked_file(database)
                    digests.append(sha256)
                    built.append((str(database), record))
                    if record.dataset_version in seen:
                        raise BuildFileError(
                            f"{database}: dataset version {record.dataset_version} is given already "
                            f"({seen[record.dataset_version]})"
                        )
                    seen[record.dataset_version] = database
                public_url, problem = served_public_url(settings, built)
                if problem is not None:
                    refuse(problem)
                    return 2
                # Said once every file is accepted: a refusal is the one line printed.
                for (name, record), database in zip(built, databases, strict=True):
                    current = " (current)" if database is databases[-1] and len(databases) > 1 else ""
                    say(f"serving {name} (dataset version {record.dataset_version}){current}")
                # Checked here once; each worker then checks that the current file's bytes it opens are
                # still these (a file altered or replaced since is refused).
                updates.update(
                    public_url=public_url,
                    database_file=databases[-1].resolve(),
                    previous_database_files=[path.resolve() for path in databases[:-1]],
                    previous_database_files_sha256=digests[:-1],
                    verify_database_file=False,
                    database_file_sha256=sha256,
                )
            elif url is not None and is_postgres(url):
                version = dataset_version or settings.dataset_version
                if version is None:
                    fixtures = _checked_fixtures()
                    if fixtures is None:
                        return 1
                    version = build_schema(settings, url, fixtures).dataset_version
                    del fixtures
                attached, record = attach_schema(url, version)  # checks the schema; each worker attaches its own
                attached.close()
                public_url, problem = served_public_url(settings, [(f"schema {schema_name(version)}", record)])
                if problem is not None:
                    refuse(problem)
                    return 2
                updates.update(database_url=url, dataset_version=version, public_url=public_url)
            elif url is not None:
                if workers > 1:
                    refuse(
                        "serve: more than one worker (--workers, WEB_CONCURRENCY) needs a built file or PostgreSQL, "
                        "not a DATABASE_URL loaded in place"
                    )
                    return 1
            else:
                # Fail fast with a clean message instead of a lifespan traceback.
                fixtures = _checked_fixtures()
                if fixtures is None:
                    return 1
                path = build_file(settings, Path(scratch), fixtures)
                del fixtures  # served from the file; the parsed files need not live on
                # Just written; its workers check that it still holds these bytes, as for --database.
                updates.update(database_file=path, verify_database_file=False, database_file_sha256=file_sha256(path))
        except BuildFileError as exc:
            refuse(f"serve: {exc}")
            return 1
        return _run_uvicorn(settings.model_copy(update=updates), host=host, port=port, workers=workers, stops=stops)


class StopSignalled(KeyboardInterrupt):
    """A stop signal while `serve` prepares, raised as a Ctrl-C is; it names the signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


STUCK_THREAD_SECONDS = 2.0
"""How long a stopped `serve` waits for its threads before it exits without them."""


def end_despite_stuck_threads(code: int) -> None:
    """Exit with code now if a thread is still busy a moment after the service stopped: one blocked in the
    database driver, on a connection that stopped answering, kept the process alive after its "stopped" line
    for as long as the connection lasted (session 13's probe, FB13), and a supervisor waiting for the exit
    waited with it. Returns when every thread has ended (the usual case), for the interpreter's normal exit."""
    deadline = time.monotonic() + STUCK_THREAD_SECONDS
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    for thread in others:
        thread.join(max(0.0, deadline - time.monotonic()))
    if any(thread.is_alive() for thread in others):
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


class _StopSignals:
    """SIGINT, SIGTERM and SIGHUP from the moment `serve` starts (before its settings are read): noted,
    then the work interrupted (KeyboardInterrupt) or, once there is a server, the server told to stop.
    Noted too, because a KeyboardInterrupt can be swallowed where it lands (CI saw one lost while the
    fixtures were built or the application made, and `serve` went on to serve): before serving, it is asked."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self.server: uvicorn.Server | None = None
        for stop_signal in STOP_SIGNALS:
            signal.signal(stop_signal, self)
        # Raised inside a finalizer or a collector callback, the interruption cannot propagate: Python
        # prints it as "Exception ignored in ..." with a traceback (session 12's probe, B2). It is noted
        # already, and asked before serving.
        self._unraisable = sys.unraisablehook
        sys.unraisablehook = self._unraisable_unless_stopped

    def _unraisable_unless_stopped(self, unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, StopSignalled):
            self._unraisable(unraisable)

    def __call__(self, signum: int, _frame: object) -> None:
        self.received.append(signum)
        if self.server is None:
            raise StopSignalled(signum)
        self.server.should_exit = True  # uvicorn's graceful shutdown

    def before_serving(self) -> int | None:
        """The exit status, after one line, when a stop signal came before anything served."""
        return _interrupted_before_serving(self.received[0]) if self.received else None


def _interrupted_before_serving(signum: int) -> int:
    """One line naming the stop signal that ended `serve` before it served; its exit status."""
    refuse(f"serve: interrupted ({signal.Signals(signum).name}) before it served")
    return 128 + signum


def _run_uvicorn(settings: Settings, *, host: str | None, port: int | None, workers: int, stops: _StopSignals) -> int:
    import os

    import uvicorn

    from api.server import guarded_protocol
    from api.supervisor import STARTUP_FAILURE, quiet_when_forced, supervise

    options: dict[str, object] = {
        "host": host or settings.host,
        "port": port or settings.port,
        # The C parser (bounded and answering in problem details, see api.server) and event
        # loop (uvicorn[standard]); named so a missing one fails loudly instead of silently
        # falling back to the pure-Python stack.
        "http": guarded_protocol(
            header_timeout=settings.header_timeout,
            send_timeout=settings.send_timeout,
            body_timeout=settings.body_timeout,
            max_connections=settings.max_connections,
        ),
        "loop": "uvloop",
        # No WebSocket endpoint exists: an Upgrade is ignored (RFC 9110 7.8) and the request answered
        # as HTTP by the application, with its headers, instead of a bare 403 from the WebSocket layer.
        "ws": "none",
        "timeout_keep_alive": settings.keep_alive_timeout,
        "timeout_graceful_shutdown": settings.shutdown_timeout,
        "access_log": settings.access_log,
        "log_config": log_config(),
        "server_header": False,
        "date_header": True,
    }
    if workers <= 1:
        # Imported here only: with workers, this process supervises and never makes the app (each
        # worker is a fresh process that imports it), and importing it costs about a second of CPU.
        from api.main import create_app

        changed: list[str] = []

        def stop(reason: str) -> None:
            changed.append(reason)
            server.should_exit = True  # uvicorn's graceful shutdown

        # uvicorn.run, with a handle on the server so the application can stop it.
        app = quiet_when_forced(create_app(settings, on_database_changed=stop), lambda: server.should_exit)
        server = uvicorn.Server(uvicorn.Config(app, **options))  # type: ignore[arg-type]
        # uvicorn takes SIGINT and SIGTERM while it serves and raises each again once it has stopped:
        # landing in `stops` rather than in asyncio's handler, a Ctrl-C (or two) ends the command with
        # a line instead of a KeyboardInterrupt traceback.
        stops.server = server
        if (status := stops.before_serving()) is not None:
            return status
        server.run()
        if stops.received:
            names = sorted({signal.Signals(signum).name for signum in stops.received})
            how = ", not waiting for requests in flight" if server.force_exit else ""
            logging.getLogger("uvicorn.error").info(f"Received {' and '.join(names)}: stopped{how}.")
            end_despite_stuck_threads(0)
            return 0
        if changed:
            refuse(f"serve: stopping the service: {changed[0]}; rebuild or restore it and start again")
            return STARTUP_FAILURE
        return 0 if server.started else STARTUP_FAILURE
    # Workers are fresh processes that make the app from their settings, read from the
    # environment: pass on what this command decided (the file or schema to serve).
    for name, value in (
        ("TALL_DATABASE_FILE", settings.database_file),
        ("DATABASE_URL", settings.database_url),
        ("TALL_DATASET_VERSION", settings.dataset_version),
        ("TALL_VERIFY_DATABASE_FILE", str(settings.verify_database_file).lower()),
        ("TALL_PREVIOUS_DATABASE_FILES", json.dumps([str(p) for p in settings.previous_database_files])),
        ("TALL_DATABASE_FILE_SHA256", settings.database_file_sha256),
        ("TALL_PREVIOUS_DATABASE_FILES_SHA256", json.dumps(settings.previous_database_files_sha256)),
        ("TALL_PUBLIC_URL", settings.public_url),
    ):
        if value is not None:
            os.environ[name] = str(value)
    # Each worker builds the bounded protocol itself (a class made by a function cannot be pickled).
    del options["http"]
    if (status := stops.before_serving()) is not None:
        return status
    return supervise(
        options,
        workers=workers,
        start_seconds=WORKER_START_SECONDS,
        healthcheck_seconds=WORKER_HEALTHCHECK_SECONDS,
        shutdown_seconds=settings.shutdown_timeout,
    )


def log_config() -> dict[str, object]:
    """uvicorn's logging configuration, with the service's own logger written by the same plain
    handler (one line per record: 'ERROR:    ...'), not left to whatever the root logger has."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"][LOG_NAME] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def _diff(old: Path, new: Path) -> int:
    from api.loading.build import BuildFileError
    from api.tools.diff import diff_files

    try:
        changes = diff_files(old, new)
    except BuildFileError as exc:
        refuse(f"diff: {exc}")
        return 1
    sys.stdout.write(changes.model_dump_json(indent=2) + "\n")
    return 0


def _client_gone(exc: BaseException) -> bool:
    """Whether exc is, or holds only, the broken pipe or stream of a client that closed its output."""
    import anyio

    gone = (BrokenPipeError, anyio.BrokenResourceError)
    if isinstance(exc, BaseExceptionGroup):
        _, rest = exc.split(gone)
        return rest is None
    return isinstance(exc, gone)


def _mcp_interrupted(_signum: int, _frame: object) -> None:
    # Written past Python's buffered stderr, which a signal landing inside one of its writes would find busy.
    os.write(2, b"tall-evidence mcp: interrupted (SIGINT)\n")
    os._exit(128 + signal.SIGINT)


def _mcp(settings: Settings, database: Path | None) -> int:
    """MCP over stdio: stdout carries the protocol, so every message of ours goes to stderr."""
    from api.loading.build import BuildFileError, read_file_record
    from api.loading.fixture_files import FixtureError
    from api.mcp.transports import serve_stdio

    if database is not None:
        try:
            record = read_file_record(database)
        except BuildFileError as exc:
            refuse(f"mcp: {exc}")
            return 1
        public_url, problem = served_public_url(settings, [(str(database), record)])
        if problem is not None:
            refuse(problem)
            return 2
        settings = settings.model_copy(update={"database_file": database.resolve(), "public_url": public_url})
    elif (problem := database_url_problem(settings.database_url)) is not None:
        refuse(problem)
        return 2
    # A Ctrl-C ends the session at once, with its line: raised as a KeyboardInterrupt inside the SDK's task
    # groups, it came out as an exception group of broken streams, a 96-line traceback, and the process then
    # waited for the calls' threads stuck on a database that had stopped answering (session 15's probe, LB3).
    signal.signal(signal.SIGINT, _mcp_interrupted)
    try:
        unanswered = serve_stdio(settings)
    except (BrokenPipeError, BaseExceptionGroup) as exc:
        if not _client_gone(exc):
            raise
        # The client closed its end of stdout with answers still owed: nothing can reach it any more (a traceback
        # of the SDK's task groups; a client crashing did it: session 15's review).
        os.write(2, b"tall-evidence mcp: the client closed its output; stopped\n")
        os._exit(0)  # stdout's buffer cannot be flushed at the interpreter's exit either
    except BuildFileError as exc:  # e.g. altered since checked, or not the TALL_DATABASE_FILE_SHA256 named
        refuse(f"mcp: {exc}")
        return 1
    except FixtureError as exc:
        refuse_fixtures("invalid fixtures: ", exc)
        return 1
    if unanswered:
        refuse(
            f"mcp: the client closed its input with {unanswered} request(s) still running; answered "
            f"'Connection closed' after {settings.shutdown_timeout} s (TALL_SHUTDOWN_TIMEOUT)"
        )
    end_despite_stuck_threads(0)  # a call's thread can be stuck in the database driver
    return 0


def _export(out: Path) -> int:
    from api.database import Database
    from api.loading.file_checks import unexaminable
    from api.loading.fixture_files import FixtureError
    from api.loading.load import load_dataset
    from api.tools.export import export_database

    if (why := unexaminable(out)) is not None:
        refuse(f"export: {out} cannot be used ({why}); choose a new directory")
        return 1
    if out.is_symlink() and not out.exists():
        refuse(f"export: {out} is a symbolic link to nothing; choose a new directory")
        return 1
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        # Never mix an export with older files: a stale study file would read as current data.
        refuse(f"export: {out} exists and is not an empty directory; choose a new one")
        return 1
    settings = get_settings()
    database = Database(settings.database_url)
    try:
        load_dataset(settings, database)
        written = export_database(database.engine, out)
    except FixtureError as exc:
        refuse_fixtures("invalid fixtures: ", exc)
        return 1
    except OSError as exc:  # the directory cannot be made or written (a parent that is a file, no space)
        refuse(f"export: cannot write {out}: {exc.strerror or exc}")
        return 1
    finally:
        database.close()
    say(f"wrote {len(written)} files under {out}")
    return 0


def _openapi(out: Path | None) -> int:
    from api.loading.file_checks import not_a_file
    from api.main import create_app
    from api.tools.committed_files import write_generated

    if out is not None and os.path.lexists(out) and (kind := not_a_file(out)) is not None:
        # Said before the document is built (which takes a while).
        refuse(f"openapi: --out {out}: {kind}; name a regular file or a new path")
        return 1
    document = json.dumps(create_app().openapi(), indent=2, sort_keys=False) + "\n"
    if out is None:
        sys.stdout.write(document)
        return 0
    problem = write_generated(out, document)
    if problem is not None:
        refuse(f"openapi: --out {out}: {problem}")
        return 1
    # On stderr: `--out /dev/stdout > file` wrote this line over the document's start (session 12's probe).
    refuse(f"wrote {out}")
    return 0


def _schema(check: bool) -> int:
    from api.loading.fixture_files import SCHEMA_DIR
    from api.tools.fixture_schemas import stale_schemas, write_schemas

    directory = get_settings().fixtures_dir / SCHEMA_DIR
    if check:
        stale = stale_schemas(directory)
        if stale:
            refuse(f"stale fixture schemas (run `tall-evidence schema`): {', '.join(stale)}")
            return 1
        say("fixture schemas are up to date")
        return 0
    written, problems = write_schemas(directory)
    for path in written:
        say(f"wrote {path}")
    for problem in problems:
        refuse(f"schema: {problem}")
    return 1 if problems else 0


def _coverage(check: bool) -> int:
    from api.loading.fixture_files import FixtureError
    from api.loading.load import validate_fixtures
    from api.tools.coverage import read_coverage, render_coverage

    settings = get_settings()
    try:
        text = render_coverage(
            validate_fixtures(settings), read_coverage(settings.coverage_dir, max_bytes=settings.max_fixture_bytes)
        )
    except FixtureError as exc:
        refuse_fixtures("invalid fixtures: ", exc)
        return 1
    return _write_or_check(settings.coverage_dir.parent / "COVERAGE.md", text, check=check, command="coverage")


def _write_or_check(target: Path, text: str, *, check: bool, command: str) -> int:
    """Write a generated file, or (check) only say whether the committed one differs from it."""
    from api.tools.committed_files import write_generated

    if check:
        return _report_check(target, text, command=command)
    problem = write_generated(target, text)
    if problem is not None:
        refuse(f"{command}: {target}: {problem}")
        return 1
    say(f"wrote {target}")
    return 0


def _report_check(target: Path, text: str, *, command: str) -> int:
    """A --check mode's answer: whether the committed file is the text the command would write."""
    from api.tools.committed_files import staleness

    reason = staleness(target, text)
    if reason is not None:
        refuse(f"{target} {reason} (run `tall-evidence {command}`)")
        return 1
    say(f"{target.name} is up to date")
    return 0


def _configuration(check: bool) -> int:
    """Regenerate (or check) the settings table of docs/configuration.md from the settings model."""
    from api.loading.fixture_files import FixtureError, regular_file_bytes, utf8_text
    from api.tools.settings_reference import CONFIGURATION_PAGE, MAX_PAGE_BYTES, replace_settings_table

    if not CONFIGURATION_PAGE.exists() and not CONFIGURATION_PAGE.is_symlink():
        refuse(f"configuration: {CONFIGURATION_PAGE} not found; run this in a source checkout")
        return 1
    # Read under the fixtures' guards: a FIFO, a device or a huge file in its place is not the page.
    label = str(CONFIGURATION_PAGE)
    try:
        page = utf8_text(regular_file_bytes(CONFIGURATION_PAGE, label, max_bytes=MAX_PAGE_BYTES), label)
    except FixtureError as exc:
        refuse(f"configuration: {exc.issues[0].file} {exc.issues[0].message}")
        return 1
    try:
        text = replace_settings_table(page)
    except ValueError as exc:
        refuse(f"configuration: {CONFIGURATION_PAGE} {exc}; restore the page from version control")
        return 1
    return _write_or_check(CONFIGURATION_PAGE, text, check=check, command="configuration")


def _version() -> str:
    from api.version import api_version  # the version /v1/meta and MCP's serverInfo name too

    return f"tall-evidence {api_version()}"


def _texts_words(settings: Settings) -> str:
    """Where `validate` looks for the source texts, and how to point it elsewhere."""
    texts = settings.seeds_text_dir
    if texts is None:
        return (
            "Source texts: not read (TALL_SEEDS_TEXT_DIR is empty; the spans file is checked instead); "
            "set TALL_SEEDS_TEXT_DIR=/path/to/texts to read them."
        )
    from api.loading.file_checks import unexaminable

    found = "cannot be read" if unexaminable(texts) is not None else "found" if texts.is_dir() else "not found"
    return (
        f"Source texts: read from {texts} ({found}), the setting TALL_SEEDS_TEXT_DIR; "
        "set TALL_SEEDS_TEXT_DIR=/path/to/texts to read them elsewhere, or set it empty to check the spans file only."
    )


def _worker_count(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_WORKERS} (got {text!r})")
    return int(text)


def _dataset_version(text: str) -> str:
    if not re.fullmatch(DATASET_VERSION_PATTERN, text):
        raise argparse.ArgumentTypeError(
            f"must be a dataset version, lowercase hex digits as /v1/meta gives (got {text!r})"
        )
    return text


def _named_path(text: str) -> Path:
    # Path("") is ".": an empty argument (an unset shell variable) would name the working directory.
    if not text.strip():
        raise argparse.ArgumentTypeError(f"must name a file or directory (got {text!r})")
    return Path(text)


def _named_url(text: str) -> str:
    # An empty URL (an unset shell variable) was taken as no URL: `serve` built the fixtures into a private
    # SQLite file and served that, where a PostgreSQL schema was meant (session 12's probe, B4).
    if not text.strip():
        raise argparse.ArgumentTypeError(f"must be a database URL, e.g. postgresql+psycopg://host/db (got {text!r})")
    return text


def _port(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 65535 (got {text!r})")
    return int(text)


def _parser(texts_words: str) -> argparse.ArgumentParser:
    """The command line: each subcommand says what it does, its arguments and an example."""
    parser = argparse.ArgumentParser(
        prog="tall-evidence",
        description="The T-ALL evidence service: check the curated data, build it, serve it as a read-only API.",
        epilog="Settings are environment variables (TALL_*, DATABASE_URL): see docs/configuration.md. "
        "Run `tall-evidence COMMAND --help` for one command.",
    )
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, *, details: str, example: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=summary,
            description=textwrap.fill(f"{summary[0].upper()}{summary[1:]}. {details}", width=88),
            epilog=f"example:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    build = command(
        "build",
        "validate the fixtures and write them into one database to serve",
        details="The file is named by the dataset version; `serve --database FILE` serves it as it is.",
        example="tall-evidence build --out data/",
    )
    target = build.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--out", type=_named_path, help="directory for the file tall-evidence-<dataset version>.sqlite3"
    )
    target.add_argument(
        "--database-url",
        type=_named_url,
        help="PostgreSQL URL: load into the schema tall_<dataset version> (kept if already built)",
    )
    serve = command(
        "serve",
        "serve the API (from a built file, or build the fixtures first)",
        details="Without --database the fixtures are validated and built into a temporary file, then served. "
        "The API answers on http://HOST:PORT/ (docs at /docs).",
        example="tall-evidence serve --port 8000   # or: tall-evidence serve --database data/tall-evidence-V.sqlite3",
    )
    serve.add_argument("--host", help="interface to bind (default from TALL_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=_port, help="port, 1 to 65535 (default from TALL_PORT, 8000)")
    serve.add_argument(
        "--database",
        type=_named_path,
        action="append",
        help="a file written by `tall-evidence build`, served read-only as it is; repeat it to serve several "
        "releases side by side (the last one given is current, the others are answered under ?version=)",
    )
    serve.add_argument(
        "--workers",
        type=_worker_count,
        help="processes serving the same file or schema (default from WEB_CONCURRENCY, 1)",
    )
    serve.add_argument(
        "--database-url", type=_named_url, help="PostgreSQL URL to attach to read-only (default: DATABASE_URL)"
    )
    serve.add_argument(
        "--dataset-version",
        type=_dataset_version,
        help="with a PostgreSQL URL: the built version to serve (default: build the fixtures)",
    )
    mcp = command(
        "mcp",
        "answer the Model Context Protocol over stdin/stdout, for an AI agent",
        details="The tools search_studies, get_study, find_figures, compare, check_claim and cite, read-only; "
        "stdout carries the protocol and every message of ours goes to stderr. Over HTTP the same server "
        "answers at /mcp of `serve`.",
        example="tall-evidence mcp --database data/tall-evidence-V.sqlite3",
    )
    mcp.add_argument(
        "--database",
        type=_named_path,
        help="a file written by `tall-evidence build` (default: build the fixtures first)",
    )
    command(
        "validate",
        "check every fixture and its provenance without starting a server",
        details="Exit status 1 and every problem listed as `file: field.path: message` when something is wrong. "
        f"{texts_words} Without them, the committed spans file (TALL_SPANS_FILE) is checked instead.",
        example="TALL_SEEDS_TEXT_DIR=../shared/seeds tall-evidence validate",
    )
    diff = command(
        "diff",
        "print what changed between two built files, as GET /v1/changes?from=OLD&to=NEW answers (JSON)",
        details="Each study, arm, intervention, figure, finding, conflict and source added, removed or changed "
        "from OLD to NEW, with the fields that differ.",
        example="tall-evidence diff data/tall-evidence-OLD.sqlite3 data/tall-evidence-NEW.sqlite3",
    )
    diff.add_argument("old", type=_named_path, help="the older file written by `tall-evidence build`")
    diff.add_argument("new", type=_named_path, help="the newer file written by `tall-evidence build`")
    export = command(
        "export",
        "load the fixtures, then write the database back in fixture form",
        details="Records are written in one canonical form, ordered by id; loading an export gives the same answers.",
        example="tall-evidence export --out /tmp/exported",
    )
    export.add_argument("--out", type=_named_path, required=True, help="new or empty directory to write into")
    openapi = command(
        "openapi",
        "write the OpenAPI document",
        details="The same document the server answers at /openapi.json.",
        example="tall-evidence openapi --out openapi.json",
    )
    openapi.add_argument("--out", type=_named_path, help="file to write (default: standard output)")
    checks = {
        "schema": (
            "regenerate the fixture JSON Schemas",
            "Written from the models into fixtures/schema/; point your editor at them.",
            "the committed ones are stale",
        ),
        "coverage": (
            "regenerate the per-document coverage table (seeds/COVERAGE.md)",
            "Made from the fixtures and seeds/coverage/.",
            "the committed table is stale",
        ),
        "resolve": (
            "find each printed figure in its source text and write the spans file (seeds/spans.yaml)",
            texts_words,
            "the committed spans file is stale",
        ),
        "configuration": (
            "regenerate the settings table of docs/configuration.md from the settings model",
            "Run it after adding or changing a setting in api/settings.py.",
            "the committed table is stale",
        ),
    }
    for name, (summary, details, stale) in checks.items():
        regenerate = command(name, summary, details=details, example=f"tall-evidence {name} --check")
        regenerate.add_argument("--check", action="store_true", help=f"only report whether {stale} (exit status 1)")
    return parser


def main(argv: list[str] | None = None) -> int:
    # `serve` notes its stop signals first: a Ctrl-C while the settings are read is its one line too.
    words = sys.argv[1:] if argv is None else argv
    name = next((w for w in words if not w.startswith("-")), None)
    stops = _StopSignals() if name == "serve" else None
    try:
        return _command(argv, stops)
    except KeyboardInterrupt as exc:
        if stops is None:
            # A Ctrl-C to any other command (build, validate, export...): one line, not a traceback
            # (session 12's probe, B11); each writes its files whole or not at all.
            refuse(f"tall-evidence {name or ''}: interrupted (SIGINT)".replace(" :", ":"))
            # `mcp` may have a call's thread stuck on a database that stopped answering, which the interpreter's
            # exit waited for after the line (session 15's probe, KB3).
            end_despite_stuck_threads(128 + signal.SIGINT)
            return 128 + signal.SIGINT
        return _interrupted_before_serving(exc.signum if isinstance(exc, StopSignalled) else signal.SIGINT)
    except Exception:
        # The interruption raised where the signal landed can come back as another exception: inside
        # pydantic-core's schema building (Rust calling back into Python) it is wrapped in a SchemaError
        # (session 12's probe, B2). A stop signal noted before serving is the reason, whatever was raised.
        if stops is None or not stops.received or stops.server is not None:
            raise
        return _interrupted_before_serving(stops.received[0])


def _command(argv: list[str] | None, stops: _StopSignals | None) -> int:
    try:
        settings = get_settings()
    except (ValidationError, SettingsError) as exc:
        settings = None
        settings_error = settings_problem(exc)
    parser = _parser(_texts_words(settings) if settings is not None else "Source texts: TALL_SEEDS_TEXT_DIR.")
    args = parser.parse_args(argv)
    if settings is None:
        refuse(settings_error)
        return 2
    if args.command in ("serve", "mcp") and (
        problem := served_files_problem(settings, database_given=bool(args.database), command=args.command)
    ):
        refuse(problem)
        return 2
    if args.command == "serve" and args.database is None and settings.database_file is not None:
        # TALL_DATABASE_FILE alone means `serve --database` it (after TALL_PREVIOUS_DATABASE_FILES, if set)
        args.database = [*settings.previous_database_files, settings.database_file]
    if args.command == "mcp" and args.database is None:
        args.database = settings.database_file  # TALL_DATABASE_FILE alone means `mcp --database` it
    if args.command in ("serve", "mcp") and (problem := dataset_version_problem(settings, args)) is not None:
        refuse(problem)
        return 2
    # A built file or PostgreSQL schema is served without reading any fixture.
    reads_fixtures = args.command == "build" or (
        args.command in ("serve", "mcp") and not args.database and not getattr(args, "dataset_version", None)
    )
    if args.command in ("validate", "export", "coverage") or reads_fixtures:
        problem = path_problem(settings)
        if problem is not None:
            refuse(problem)
            return 2
    if args.command in ("validate", "resolve") and (
        problem := texts_dir_problem(settings, needed=args.command == "resolve")
    ):
        refuse(problem)
        return 2
    if args.command == "build":
        problem = out_dir_problem(args.out) if args.out is not None else database_url_problem(args.database_url)
        if problem is not None:
            refuse(problem)
            return 2
        return _build(args.out, args.database_url)
    if args.command == "serve":
        if args.database and (args.database_url or args.dataset_version):
            parser.error("--database serves a file; leave out --database-url and --dataset-version")
        assert stops is not None  # main notes them for serve
        return _serve(
            args.host,
            args.port,
            databases=args.database,
            workers=args.workers or settings.workers,
            database_url=args.database_url,
            dataset_version=args.dataset_version,
            stops=stops,
        )
    if args.command == "mcp":
        return _mcp(settings, args.database)
    if args.command == "validate":
        return _validate()
    if args.command == "export":
        problem = database_url_problem(settings.database_url)
        if problem is not None:
            refuse(problem)
            return 2
        return _export(args.out)
    if args.command == "diff":
        return _diff(args.old, args.new)
    if args.command == "openapi":
        return _openapi(args.out)
    if args.command == "coverage":
        return _coverage(args.check)
    if args.command == "resolve":
        return _resolve(args.check)
    if args.command == "configuration":
        return _configuration(args.check)
    return _schema(args.check)


if __name__ == "__main__":
    sys.exit(main())
