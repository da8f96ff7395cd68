"""Item 5: a database file deleted, corrupted or edited behind the server's back is reported, not served.

/health answers 503 and uncached requests are refused with a 503 in our format instead of a 500,
or of data that no longer matches the dataset version and ETags the server announces; the first
such request stops the service (exit status 3), which a process supervisor sees.
"""

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.http.live import LiveServer, live_server


@pytest.fixture
def own_database(tmp_path: Path) -> Iterator[tuple[LiveServer, Path]]:
    database = tmp_path / "evidence.sqlite3"
    with live_server(tmp_path, {"DATABASE_URL": f"sqlite:///{database}"}) as running:
        yield running, database


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert response.headers["content-type"] == "application/problem+json"
    assert json.loads(response.text)["status"] == 503


def _check(server: LiveServer) -> None:
    """503 in our format, then the service stops (exit 3, one line saying why) rather than answer
    503 until someone restarts it."""
    with httpx.Client(base_url=server.base, timeout=30) as client:
        _assert_unavailable(client.get("/health"))
        try:
            _assert_unavailable(client.get("/v1/studies", params={"limit": 7}))
        except httpx.TransportError:
            pass  # already stopping (the first 503 saw the change): refused, never answered from the file
    assert server.process.wait(timeout=60) == 3, server.output()[-2000:]
    stopping = [line for line in server.output().splitlines() if "stopping the service" in line]
    assert len(stopping) == 1 and "database" in stopping[0], server.output()[-2000:]


def test_a_deleted_database_file_is_reported(own_database: tuple[LiveServer, Path]) -> None:
    server, database = own_database
    assert httpx.get(f"{server.base}/health").status_code == 200
    database.unlink()
    _check(server)


def test_a_corrupted_database_file_is_reported(own_database: tuple[LiveServer, Path]) -> None:
    server, database = own_database
    with database.open("r+b") as raw:
        raw.seek(0)
        raw.write(b"\0" * 4096)
    _check(server)


def test_an_edit_in_place_is_not_served_under_the_old_version(own_database: tuple[LiveServer, Path]) -> None:
    server, database = own_database
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE study SET title = 'edited behind the server' WHERE id = (SELECT min(id) FROM study)")
    _check(server)
