"""What a process serves: a prebuilt file, a PostgreSQL schema, or the fixtures built just now.

Every path ends the same way: a read-only Database and the Meta recorded at build time, so
processes serving the same build answer with the same bytes (`built_at` is the build's time).
"""

import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from api.database import Database, Memo, is_postgres
from api.loading.build import BuildFileError, BuildRecord, attach_schema, build_file, build_schema, open_file
from api.settings import Settings
from api.version import api_version
from models.meta import Meta, attribution_text, how_to_cite_text

if TYPE_CHECKING:  # read only by the build step: a worker serving a built file never imports it
    from api.loading.fixture_files import FixtureSet


def meta_of(record: BuildRecord, settings: Settings) -> Meta:
    return Meta(
        dataset_version=record.dataset_version,
        built_at=record.built_at,
        licence=settings.data_licence,
        api_version=api_version(),
        counts=record.counts,
        attribution=attribution_text(
            version=record.dataset_version, licence=settings.data_licence, public_url=settings.public_url
        ),
        how_to_cite=how_to_cite_text(version=record.dataset_version, public_url=settings.public_url),
        citation_file="CITATION.cff",
    )


def open_dataset(
    settings: Settings, stack: ExitStack, memo: Memo | None = None, *, fixtures: "FixtureSet | None" = None
) -> tuple[Database, Meta]:
    """The database to serve and its metadata; closing stack releases both (and any temporary file).

    In order: settings.database_file (a prebuilt file, opened as it is); a PostgreSQL
    DATABASE_URL (the dataset_version's schema, built from the fixtures first when no version
    is named); another DATABASE_URL (loaded in place, as before); otherwise the fixtures are
    built into a temporary file, which is then served exactly like a prebuilt one.
    """
    url = settings.database_url
    if settings.database_file is not None:
        database, record = open_file(
            settings.database_file,
            memo,
            verify_content=settings.verify_database_file,
            expected_sha256=settings.database_file_sha256,
        )
    elif url is not None and is_postgres(url):
        version = settings.dataset_version or build_schema(settings, url, fixtures).dataset_version
        database, record = attach_schema(url, version, memo)
    elif url is not None:
        database = Database(url, memo)
        stack.callback(database.close)
        from api.loading.load import load_dataset

        return database, load_dataset(settings, database, fixtures)
    else:
        directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="tall-evidence-"))
        path = build_file(settings, Path(directory), fixtures)
        # Just written by this process: its contents need no second check.
        database, record = open_file(path, memo, verify_content=False)
    stack.callback(database.close)
    return database, meta_of(record, settings)


def open_previous_releases(
    settings: Settings, stack: ExitStack, memos: Callable[[], Memo | None]
) -> list[tuple[Database, Meta]]:
    """The earlier builds served beside the current one (settings.previous_database_files), oldest first.

    Each is opened like the current file, with a memo of its own (memos() makes one); two
    files of one dataset version are refused, since a ?version= must name one build.
    """
    opened: list[tuple[Database, Meta]] = []
    seen: dict[str, Path] = {}
    digests: list[str | None] = list(settings.previous_database_files_sha256)
    if digests and len(digests) != len(settings.previous_database_files):
        raise BuildFileError(
            f"TALL_PREVIOUS_DATABASE_FILES_SHA256 names {len(digests)} digests for "
            f"{len(settings.previous_database_files)} files in TALL_PREVIOUS_DATABASE_FILES"
        )
    digests = digests or [None] * len(settings.previous_database_files)
    for path, digest in zip(settings.previous_database_files, digests, strict=True):
        # As the current file: a worker serves an earlier build only if its bytes are those `serve` checked.
        database, record = open_file(
            path, memos(), verify_content=settings.verify_database_file, expected_sha256=digest
        )
        stack.callback(database.close)
        if record.dataset_version in seen:
            first = seen[record.dataset_version]
            raise BuildFileError(f"{path}: dataset version {record.dataset_version} is served already from {first}")
        seen[record.dataset_version] = path
        opened.append((database, meta_of(record, settings)))
    return opened
