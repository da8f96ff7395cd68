"""Command line: `tall-evidence serve | validate | export | openapi | schema | coverage | resolve`."""

import argparse
import json
import os
import sys
from pathlib import Path

from pydantic import ValidationError
from pydantic_settings import SettingsError

from api.loading.fixture_files import SCHEMA_DIR, FixtureError, FixtureSet
from api.settings import Settings, env_name, get_settings


def settings_problem(exc: ValidationError | SettingsError) -> str:
    """One line naming each bad setting by its environment variable."""
    if isinstance(exc, SettingsError):
        return f"invalid setting: {exc}"
    parts = []
    for error in exc.errors(include_url=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        given = f" (got {error['input']!r})" if isinstance(error.get("input"), str | int | float) else ""
        parts.append(f"{env_name(field)}: {error['msg']}{given}")
    return "invalid setting " + "; ".join(parts)


def path_problem(settings: Settings) -> str | None:
    """A directory or file setting that cannot be read, named by its environment variable."""
    for field, want_dir in (("fixtures_dir", True), ("sources_registry", False)):
        path: Path = getattr(settings, field)
        kind = "directory" if want_dir else "file"
        if not path.exists():
            return f"invalid setting {env_name(field)}: {path} does not exist"
        if path.is_dir() != want_dir:
            return f"invalid setting {env_name(field)}: {path} is not a {kind}"
        if not os.access(path, os.R_OK | (os.X_OK if want_dir else 0)):
            return f"invalid setting {env_name(field)}: {path} cannot be read"
    return None


def database_url_problem(url: str | None) -> str | None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    if url is None:
        return None
    try:
        make_url(url).get_dialect()
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        return f"invalid setting DATABASE_URL: {exc}"
    return None


def _checked_fixtures() -> FixtureSet | None:
    """The validated fixtures with a one-line summary on stdout, or None after listing the problems."""
    from api.loading.load import validate_fixtures

    try:
        fixtures = validate_fixtures(get_settings())
    except FixtureError as exc:
        print(f"invalid fixtures: {exc}", file=sys.stderr)
        return None
    figures = sum(len(s.outcomes) + len(s.adverse_events) + len(s.characteristics) for s in fixtures.studies.values())
    sources = len(fixtures.sources.sources)
    print(f"ok: {len(fixtures.studies)} studies, {figures} figures, {sources} sources, version {fixtures.version}")
    return fixtures


def _validate() -> int:
    if _checked_fixtures() is None:
        return 1
    return 0 if _provenance_ok() else 1


def _provenance_ok() -> bool:
    """Locators and printed strings against the texts (TALL_SEEDS_TEXT_DIR), or the committed spans without them."""
    from api.loading.provenance import verify

    settings = get_settings()
    outcome = verify(
        settings.fixtures_dir, settings.sources_registry, settings.seeds_text_dir, spans_file=settings.spans_file
    )
    for note in outcome.notes:
        print(f"note: {note}")
    if outcome.problems:
        print(f"provenance: {len(outcome.problems)} problem(s):", file=sys.stderr)
        for problem in outcome.problems:
            print(f"  {problem}", file=sys.stderr)
        return False
    where = "the texts" if outcome.texts_present else settings.spans_file.name
    print(f"ok: provenance of {len(outcome.spans)} printed figures checked against {where}")
    return True


def _resolve(check: bool) -> int:
    """Write the spans file from the texts; problems are listed but do not stop the spans being written."""
    from api.loading.provenance import render_spans, verify

    settings = get_settings()
    if not settings.seeds_text_dir.is_dir():
        print(
            f"resolve: source texts not found at {settings.seeds_text_dir} (set TALL_SEEDS_TEXT_DIR)", file=sys.stderr
        )
        return 1
    outcome = verify(
        settings.fixtures_dir, settings.sources_registry, settings.seeds_text_dir, spans_file=settings.spans_file
    )
    text = render_spans(outcome.spans, outcome.documents)
    target = settings.spans_file
    stale = not target.exists() or target.read_text(encoding="utf-8") != text
    if check:
        if stale:
            print(f"{target} is stale (run `tall-evidence resolve`)", file=sys.stderr)
            return 1
        print(f"{target.name} is up to date")
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target} ({len(outcome.spans)} spans)")
    unresolved = [p for p in outcome.problems if not p.startswith(target.name)]
    for problem in unresolved:
        print(f"  {problem}", file=sys.stderr)
    return 1 if unresolved else 0


def _serve(host: str | None, port: int | None) -> int:
    import uvicorn

    from api.main import create_app
    from api.server import guarded_protocol

    settings = get_settings()
    problem = database_url_problem(settings.database_url)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    # Fail fast with a clean message instead of a lifespan traceback; the app then loads
    # these same validated fixtures rather than reading and checking them a second time.
    fixtures = _checked_fixtures()
    if fixtures is None:
        return 1
    app = create_app(settings, fixtures)
    del fixtures  # the app drops them once loaded; holding them here would keep them for good
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port,
        # The C parser (bounded and answering in problem details, see api.server) and event
        # loop (uvicorn[standard]); named so a missing one fails loudly instead of silently
        # falling back to the pure-Python stack.
        http=guarded_protocol(header_timeout=settings.header_timeout),
        loop="uvloop",
        timeout_keep_alive=settings.keep_alive_timeout,
        timeout_graceful_shutdown=settings.shutdown_timeout,
        access_log=settings.access_log,
        server_header=False,
        date_header=True,
    )
    return 0


def _export(out: Path) -> int:
    from api.database import Database
    from api.loading.load import load_dataset
    from api.tools.export import export_database

    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        # Never mix an export with older files: a stale study file would read as current data.
        print(f"export: {out} exists and is not an empty directory; choose a new one", file=sys.stderr)
        return 1
    settings = get_settings()
    database = Database(settings.database_url)
    try:
        load_dataset(settings, database)
        written = export_database(database.engine, out)
    except FixtureError as exc:
        print(f"invalid fixtures: {exc}", file=sys.stderr)
        return 1
    finally:
        database.close()
    print(f"wrote {len(written)} files under {out}")
    return 0


def _openapi(out: Path | None) -> int:
    from api.main import create_app

    document = json.dumps(create_app().openapi(), indent=2, sort_keys=False) + "\n"
    if out is None:
        sys.stdout.write(document)
    else:
        out.write_text(document, encoding="utf-8")
        print(f"wrote {out}")
    return 0


def _schema(check: bool) -> int:
    from api.tools.fixture_schemas import stale_schemas, write_schemas

    directory = get_settings().fixtures_dir / SCHEMA_DIR
    if check:
        stale = stale_schemas(directory)
        if stale:
            print(f"stale fixture schemas (run `tall-evidence schema`): {', '.join(stale)}", file=sys.stderr)
            return 1
        print("fixture schemas are up to date")
        return 0
    for path in write_schemas(directory):
        print(f"wrote {path}")
    return 0


def _coverage(check: bool) -> int:
    from api.loading.load import validate_fixtures
    from api.tools.coverage import read_coverage, render_coverage

    settings = get_settings()
    try:
        text = render_coverage(validate_fixtures(settings), read_coverage(settings.coverage_dir))
    except FixtureError as exc:
        print(f"invalid fixtures: {exc}", file=sys.stderr)
        return 1
    target = settings.coverage_dir.parent / "COVERAGE.md"
    if check:
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            print(f"{target} is stale (run `tall-evidence coverage`)", file=sys.stderr)
            return 1
        print("coverage table is up to date")
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tall-evidence", description="T-ALL evidence service")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="validate the fixtures, load them and serve the API")
    serve.add_argument("--host", help="interface to bind (default from TALL_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default from TALL_PORT, 8000)")
    commands.add_parser("validate", help="check every fixture without starting a server")
    export = commands.add_parser("export", help="load the fixtures, then write the database back in fixture form")
    export.add_argument("--out", type=Path, required=True, help="new or empty directory to write into")
    openapi = commands.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--out", type=Path, help="file to write (default: standard output)")
    schema = commands.add_parser("schema", help="regenerate the fixture JSON Schemas")
    schema.add_argument("--check", action="store_true", help="only report whether the committed ones are stale")
    coverage = commands.add_parser("coverage", help="regenerate the per-document coverage table (seeds/COVERAGE.md)")
    coverage.add_argument("--check", action="store_true", help="only report whether the committed table is stale")
    resolve = commands.add_parser(
        "resolve", help="find each printed figure in its source text and write the spans file (seeds/spans.yaml)"
    )
    resolve.add_argument("--check", action="store_true", help="only report whether the committed spans file is stale")
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except (ValidationError, SettingsError) as exc:
        print(settings_problem(exc), file=sys.stderr)
        return 2
    if args.command in ("serve", "validate", "export", "coverage"):
        problem = path_problem(settings)
        if problem is not None:
            print(problem, file=sys.stderr)
            return 2
    if args.command == "serve":
        return _serve(args.host, args.port)
    if args.command == "validate":
        return _validate()
    if args.command == "export":
        return _export(args.out)
    if args.command == "openapi":
        return _openapi(args.out)
    if args.command == "coverage":
        return _coverage(args.check)
    if args.command == "resolve":
        return _resolve(args.check)
    return _schema(args.check)


if __name__ == "__main__":
    sys.exit(main())
