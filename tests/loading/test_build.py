"""Build once, serve many: the prebuilt file, its checks, workers, and identical answers everywhere."""

import hashlib
import io
import shutil
import sqlite3
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.loading.build import BUILD_TABLE, BuildFileError, build_time, schema_version
from api.main import create_app
from api.settings import PROJECT_ROOT, Settings
from api.state import app_state
from tests.support import built_file, free_port, run_cli, running

COMPARED_URLS = (
    "/v1/meta",
    "/v1/studies?limit=5",
    "/v1/outcomes?limit=3&offset=2",
    "/v1/studies?q=nelarabine",
    "/v1/dataset",
    "/v1/dataset?format=csv",
)


@pytest.fixture(scope="module")
def database_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_file(tmp_path_factory.mktemp("build"))


def _record(path: Path) -> dict[str, str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return dict(conn.execute(f"SELECT key, value FROM {BUILD_TABLE}").fetchall())


def test_build_writes_one_file_named_by_the_dataset_version(database_file: Path, client: TestClient) -> None:
    version = client.get("/v1/meta").json()["dataset_version"]
    assert database_file.name == f"tall-evidence-{version}.sqlite3"
    assert list(database_file.parent.iterdir()) == [database_file]  # no partial file left behind
    record = _record(database_file)
    assert record["dataset_version"] == version
    assert record["schema_version"] == schema_version()
    with sqlite3.connect(f"file:{database_file}?mode=ro", uri=True) as conn:
        inputs = dict(conn.execute("SELECT file, sha256 FROM dataset_inputs").fetchall())
    study = next((PROJECT_ROOT / "fixtures" / "studies").glob("*.yaml"))
    assert inputs[f"fixtures/studies/{study.name}"] == hashlib.sha256(study.read_bytes()).hexdigest()
    assert (
        inputs["seeds/sources.yaml"] == hashlib.sha256((PROJECT_ROOT / "seeds/sources.yaml").read_bytes()).hexdigest()
    )
    with sqlite3.connect(f"file:{database_file}?mode=ro", uri=True) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        assert {"sqlite_stat1", "search_posting", "outcome"} <= names  # statistics, full-text index, data
        assert any(name.startswith("ix_") for name in names)  # the models' indexes
        assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0  # compacted
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # no -wal file needed to read it


def test_the_file_is_served_as_built_without_reading_fixtures(database_file: Path, client: TestClient) -> None:
    before = database_file.read_bytes()
    nowhere = Settings(database_file=database_file, fixtures_dir=Path("/nonexistent"), sources_registry=Path("/x"))
    with TestClient(create_app(nowhere)) as served:
        meta = served.get("/v1/meta").json()
        assert meta["built_at"] == _record(database_file)["built_at"]
        for url in ("/v1/studies?limit=500", "/v1/outcomes?limit=500", "/v1/comparison?measure=cr"):
            assert served.get(url).json() == client.get(url).json(), url
        database = app_state(served.app).database
        with pytest.raises(Exception, match=r"readonly|read-only|query_only"):
            with database.engine.begin() as conn:
                conn.exec_driver_sql("DELETE FROM outcome")
    assert database_file.read_bytes() == before
    assert [p.name for p in database_file.parent.iterdir()] == [database_file.name]  # no journal, no copy


def _tampered(source: Path, tmp_path: Path, statement: str) -> Path:
    copy = tmp_path / source.name
    shutil.copy(source, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute(statement)
    return copy


@pytest.mark.parametrize(
    ("statement", "complaint"),
    [
        ("UPDATE study SET title = title || ' (edited)' WHERE rowid = (SELECT min(rowid) FROM study)", "do not match"),
        ("UPDATE search_posting SET count = count + 1 WHERE term = (SELECT min(term) FROM search_posting)", "match"),
        (f"UPDATE {BUILD_TABLE} SET value = 'feedface' WHERE key = 'schema_version'", "is not this code's"),
        (f"DROP TABLE {BUILD_TABLE}", "not a database written by `tall-evidence build`"),
    ],
)
def test_serve_refuses_a_file_that_does_not_match(
    database_file: Path, tmp_path: Path, statement: str, complaint: str
) -> None:
    bad = _tampered(database_file, tmp_path, statement)
    done = run_cli("serve", "--database", str(bad), "--port", str(free_port()), timeout=60)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and complaint in lines[0], done.stderr


def test_serve_refuses_a_missing_or_foreign_file(tmp_path: Path) -> None:
    foreign = tmp_path / "other.sqlite3"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.close()
    for path, complaint in ((tmp_path / "absent.sqlite3", "no such file"), (foreign, "not a database written")):
        done = run_cli("serve", "--database", str(path), "--port", str(free_port()), timeout=60)
        assert done.returncode == 1 and complaint in done.stderr and str(path) in done.stderr, done.stderr


def _answers(base: str, host: str | None = None) -> dict[str, tuple[int, bytes, str | None]]:
    headers = {"Host": host} if host else {}
    answers = {}
    for url in COMPARED_URLS:
        response = httpx.get(base + url, headers=headers, timeout=30)
        answers[url] = (response.status_code, response.content, response.headers.get("etag"))
    return answers


def test_separate_processes_on_one_file_give_identical_bodies_and_etags(database_file: Path) -> None:
    with running("--database", str(database_file)) as first, running("--database", str(database_file)) as second:
        ours, theirs = _answers(first.base, "api.example.org"), _answers(second.base, "api.example.org")
    assert ours == theirs
    archive = zipfile.ZipFile(io.BytesIO(ours["/v1/dataset?format=csv"][1]))
    # Every entry stamped with one fixed time, neither the request's nor the build's: the archive
    # is the same from every build of the version, on any database (issue 26).
    for info in archive.infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0), info.filename


def test_workers_serve_one_file_with_identical_answers(database_file: Path) -> None:
    with running("--database", str(database_file), "--workers", "2") as server:
        workers = server.worker_pids()
        answers = [_answers(server.base) for _ in range(4)]  # fresh connections: spread over the workers
    assert len(workers) == 2, workers
    assert all(a == answers[0] for a in answers)


def test_etag_follows_the_host_the_links_are_built_from(client: TestClient) -> None:
    one = client.get("/v1/studies?limit=1", headers={"Host": "a.example.org"})
    two = client.get("/v1/studies?limit=1", headers={"Host": "b.example.org"})
    assert one.json()["links"]["self"].startswith("http://a.example.org/")
    assert two.json()["links"]["self"].startswith("http://b.example.org/")
    assert one.headers["etag"] != two.headers["etag"]
    again = client.get("/v1/studies?limit=1", headers={"Host": "a.example.org"})
    assert again.headers["etag"] == one.headers["etag"]


def test_cache_control_suits_shared_caches(client: TestClient) -> None:
    policy = client.get("/v1/studies").headers["cache-control"]
    assert "public" in policy and "s-maxage=3600" in policy and "stale-while-revalidate=86400" in policy


def test_a_version_pinned_url_is_immutable(client: TestClient) -> None:
    version = client.get("/v1/meta").json()["dataset_version"]
    plain = client.get("/v1/studies?limit=2&therapy_class=car_t")
    pinned = client.get(f"/v1/studies?limit=2&version={version}&therapy_class=car_t")
    assert pinned.status_code == 200
    assert pinned.json()["items"] == plain.json()["items"]
    assert pinned.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "immutable" not in plain.headers["cache-control"]


def test_a_url_pinned_to_another_version_is_a_clear_404(client: TestClient) -> None:
    version = client.get("/v1/meta").json()["dataset_version"]
    response = client.get("/v1/studies?version=0123456789abcdef")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    detail = response.json()["detail"]
    assert version in detail and "0123456789abcdef" in detail


def test_the_app_checks_the_file_unless_told_it_was_checked(database_file: Path, tmp_path: Path) -> None:
    bad = _tampered(database_file, tmp_path, "UPDATE source SET title = title || '!' WHERE rowid = 1")
    with pytest.raises(BuildFileError, match="do not match the recorded dataset version"):
        with TestClient(create_app(Settings(database_file=bad))):
            pass
    # `serve --database` checks once, then tells its workers not to read the whole file again.
    with TestClient(create_app(Settings(database_file=bad, verify_database_file=False))) as trusting:
        assert trusting.get("/health").status_code == 200


def test_two_builds_of_one_version_share_etags_except_where_the_build_shows(
    database_file: Path, tmp_path: Path
) -> None:
    """Answers about the data are one representation per version; those showing built_at are one per build."""
    while build_time() == _record(database_file)["built_at"]:
        time.sleep(0.2)  # a second build, at another second
    other = built_file(tmp_path)
    assert _record(other)["built_at"] != _record(database_file)["built_at"]
    with (
        TestClient(create_app(Settings(database_file=database_file))) as first,
        TestClient(create_app(Settings(database_file=other))) as second,
    ):
        for url in ("/v1/studies?q=car", "/v1/outcomes?sort=-value", "/v1/dataset.zip", "/v1/comparison?measure=os"):
            ours, theirs = first.get(url), second.get(url)
            assert (ours.content, ours.headers["etag"]) == (theirs.content, theirs.headers["etag"]), url
        for url in ("/v1/meta", "/v1/dataset", "/fhir/metadata"):
            ours, theirs = first.get(url), second.get(url)
            assert ours.status_code == theirs.status_code == 200, url
            assert ours.content != theirs.content and ours.headers["etag"] != theirs.headers["etag"], url
            # A client holding one build's tag gets the other build's body, not a 304.
            assert second.get(url, headers={"If-None-Match": ours.headers["etag"]}).status_code == 200, url
