"""Validating fixtures and loading them: the one path from files to a served database."""

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from api.database import Database
from api.garbage_collector import collector_paused
from api.loading.checks import check_fixture_set
from api.loading.coverage_files import check_every_document_covered, correction_rows, coverage_paths, read_coverage
from api.loading.fixture_files import FixtureError, FixtureIssue, FixtureSet, read_fixture_set, regular_file_bytes
from api.loading.fragments import write_fragments
from api.loading.rows import TableRows, build_rows, printed_words, search_documents
from api.loading.search_index import create_search_index
from api.loading.terminology import read_terminology
from api.provenance.check import read_documents, span_issues
from api.provenance.spans import Span, servable_spans
from api.settings import Settings
from api.version import api_version
from models import TABLES
from models.meta import Meta, attribution_text, how_to_cite_text


def _named_as_read(issues: list[FixtureIssue], settings: Settings) -> list[FixtureIssue]:
    """Issues under the path read and its setting where the seed registry or the fixtures directory is not
    the data's own: inside the data they are known as seeds/<its name> and fixtures/... (the version and
    the build record's inputs hash those labels), which name the checkout's files, or none, when
    TALL_SOURCES_REGISTRY or TALL_FIXTURES_DIR points elsewhere (N3; session 13's probe, FB2)."""
    registry, fixtures_dir = settings.sources_registry, settings.fixtures_dir
    own_registry, own_fixtures = (
        Settings.model_fields[name].get_default(call_default_factory=True).resolve() == path.resolve()
        for name, path in (("sources_registry", registry), ("fixtures_dir", fixtures_dir))
    )

    def shown(label: str) -> str:
        if not own_registry and label == f"seeds/{registry.name}":
            return f"{registry} (TALL_SOURCES_REGISTRY)"
        if not own_fixtures and label.startswith("fixtures/"):
            return f"{fixtures_dir / label.removeprefix('fixtures/')} (TALL_FIXTURES_DIR)"
        return label

    return [FixtureIssue(shown(i.file), i.path, i.message) for i in issues]


def validate_fixtures(settings: Settings) -> FixtureSet:
    """Parse and check every fixture; raise FixtureError naming file and field on any problem."""
    # Say which setting to set before anything else, e.g. for an install that does not carry the data.
    missing = [
        FixtureIssue(str(path), "", f"not found; set {name} to where it is")
        for name, path, present in (
            ("TALL_FIXTURES_DIR", settings.fixtures_dir, settings.fixtures_dir.is_dir()),
            ("TALL_SOURCES_REGISTRY", settings.sources_registry, settings.sources_registry.is_file()),
            ("TALL_COVERAGE_DIR", settings.coverage_dir, settings.coverage_dir.is_dir()),
        )
        if not present
    ]
    if missing:
        raise FixtureError(missing)
    with collector_paused():
        try:
            fixtures = read_fixture_set(settings.fixtures_dir, settings.sources_registry, settings.max_fixture_bytes)
            check_fixture_set(fixtures)
        except FixtureError as exc:
            raise FixtureError(_named_as_read(exc.issues, settings)) from None
        fixtures.terminology = read_terminology(
            settings.terminology_file, settings.term_codes_file, max_bytes=settings.max_fixture_bytes
        )
        registry = {s.id: s.sha256 for s in fixtures.sources.sources}
        fixtures.spans = servable_spans(settings.spans_file, registry)
        check_served_spans(settings, fixtures)
        # Read before anything hashes the directory's files (the version, the build record's inputs).
        fixtures.coverage = read_coverage(settings.coverage_dir, max_bytes=settings.max_fixture_bytes)
        check_every_document_covered(fixtures.coverage, list(registry), settings.coverage_dir)
    # The code list and the recorded corrections are served with the data: they are part of what it names.
    # Only the files read above are hashed, under the same guards: a stray file in the coverage directory
    # (a backup, a 4 GiB dump) is neither read nor hashed.
    served_inputs = [settings.terminology_file, settings.term_codes_file, *coverage_paths(settings.coverage_dir)]
    fixtures.version = served_version(
        fixtures.version,
        fixtures.spans,
        settings.public_url,
        inputs=files_digest(served_inputs, max_bytes=settings.max_fixture_bytes),
    )
    return fixtures


def check_served_spans(settings: Settings, fixtures: FixtureSet) -> None:
    """The spans to serve against their figures' printed words, and against the texts when TALL_SEEDS_TEXT_DIR
    holds them (only those of the registered SHA-256: offsets name that text's characters); FixtureError
    naming the spans file and each span otherwise. A text that cannot be read is skipped: `validate` names it."""
    texts = settings.seeds_text_dir
    registry = {s.id: s.sha256 for s in fixtures.sources.sources}
    documents = {
        doc_id: document
        for doc_id, document in (
            read_documents(texts, settings.sources_registry, problems=[]) if texts and texts.is_dir() else {}
        ).items()
        if document.sha256 == registry.get(doc_id)
    }
    label = f"{settings.spans_file} (TALL_SPANS_FILE)"
    issues = span_issues(fixtures.spans or {}, printed_words(fixtures), documents, label=label)
    if issues:
        raise FixtureError(issues)


def files_digest(paths: list[Path], *, max_bytes: int) -> str:
    """One digest of several files' names and bytes, each read under the fixtures' guards
    (a missing file counts as absent)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(os.fsencode(path.name) + b"\0")  # its bytes: a name need not be UTF-8
        if not path.exists():
            digest.update(b"\0absent")
            continue
        digest.update(regular_file_bytes(path, str(path), max_bytes=max_bytes))
    return digest.hexdigest()


def served_version(fixtures_digest: str, spans: dict[str, Span], public_url: str, *, inputs: str = "") -> str:
    """The dataset version: names everything the build writes, so two builds that differ in any
    stored byte never share it. The fixture files, the spans served with their figures, and the
    public URL the figures' permalinks are built on."""
    digest = hashlib.sha256(f"fixtures {fixtures_digest}\0public_url {public_url}\0".encode())
    if inputs:  # the code list and recorded corrections, served with the data
        digest.update(f"inputs {inputs}\0".encode())
    for rid, span in sorted(spans.items()):
        digest.update(f"{rid}\0{span.source_id}\0{span.start}\0{span.end}\0{span.context}\0".encode())
    return digest.hexdigest()[:16]


def dataset_rows(settings: Settings, fixtures: FixtureSet) -> TableRows:
    """The table rows of validated fixtures, figures with their committed spans and context."""
    spans = fixtures.spans
    if spans is None:  # read without validate_fixtures
        spans = servable_spans(settings.spans_file, {s.id: s.sha256 for s in fixtures.sources.sources})
    rows = build_rows(fixtures, spans, settings.public_url)
    # The corrections recorded by later readings, served with the data.
    coverage = fixtures.coverage
    if coverage is None:  # read without validate_fixtures
        coverage = read_coverage(settings.coverage_dir, max_bytes=settings.max_fixture_bytes)
    rows.update(correction_rows(coverage, rows))
    return rows


def load_dataset(settings: Settings, database: Database, fixtures: FixtureSet | None = None) -> Meta:
    """Validate everything first, then write it all in one transaction; return the dataset's metadata.

    fixtures, when given, were validated moments ago by the caller (`tall-evidence serve`
    checks them before starting the server), so they are not read and checked twice.
    """
    fixtures = fixtures or validate_fixtures(settings)
    with collector_paused():
        write_dataset(database, settings, fixtures)
    with Session(database.engine) as session:
        counts = {
            str(table.__tablename__): session.exec(select(func.count()).select_from(table)).one() for table in TABLES
        }
    return Meta(
        dataset_version=fixtures.version,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        licence=settings.data_licence,
        api_version=api_version(),
        counts=counts,
        attribution=attribution_text(
            version=fixtures.version, licence=settings.data_licence, public_url=settings.public_url
        ),
        how_to_cite=how_to_cite_text(version=fixtures.version, public_url=settings.public_url),
        citation_file="CITATION.cff",
    )


def write_dataset(database: Database, settings: Settings, fixtures: FixtureSet) -> None:
    """Write the validated fixtures' rows, search index and fragments into database, in one transaction."""
    write_rows(database, dataset_rows(settings, fixtures), search_documents(fixtures), version=fixtures.version)


def write_rows(database: Database, rows: TableRows, documents: dict[str, dict[str, str]], *, version: str) -> None:
    """Replace all data with rows and the search index in one transaction; read-only afterwards."""
    by_table = {model.__table__: values for model, values in rows.items()}  # type: ignore[attr-defined]
    with database.replacing() as conn:
        # Parents before children, so foreign keys hold at every insert.
        for table in SQLModel.metadata.sorted_tables:
            if by_table.get(table):
                conn.execute(table.insert(), by_table[table])
        create_search_index(conn, documents)
        write_fragments(conn, version=version)
