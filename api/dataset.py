"""Validating fixtures and loading them: the one path from files to a served database."""

from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

from sqlalchemy import func
from sqlmodel import Session, select

from api.checks import check_fixture_set
from api.collector import collector_paused
from api.db import Database
from api.fixture_set import FixtureSet, read_fixture_set
from api.rows import build_rows, search_documents
from api.settings import Settings
from models import TABLES
from models.meta import Meta


def validate_fixtures(settings: Settings) -> FixtureSet:
    """Parse and check every fixture; raise FixtureError naming file and field on any problem."""
    with collector_paused():
        fixtures = read_fixture_set(settings.fixtures_dir, settings.sources_registry, settings.max_fixture_bytes)
        check_fixture_set(fixtures)
    return fixtures


def api_version() -> str:
    try:
        return version("tall-evidence")
    except PackageNotFoundError:
        return "0+unknown"


def load_dataset(settings: Settings, database: Database, fixtures: FixtureSet | None = None) -> Meta:
    """Validate everything first, then write it all in one transaction; return the dataset's metadata.

    fixtures, when given, were validated moments ago by the caller (`tall-evidence serve`
    checks them before starting the server), so they are not read and checked twice.
    """
    fixtures = fixtures or validate_fixtures(settings)
    with collector_paused():
        database.load(build_rows(fixtures), search_documents(fixtures))
    with Session(database.engine) as session:
        counts = {
            table.__tablename__: session.exec(select(func.count()).select_from(table)).one()  # type: ignore[arg-type]
            for table in TABLES
        }
    return Meta(
        dataset_version=fixtures.version,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        licence=settings.data_licence,
        api_version=api_version(),
        counts=counts,
    )
