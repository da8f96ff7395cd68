"""Issue 21, last probe: when file descriptors run out (EMFILE), the error log showed a chained
traceback: the MCP SDK had put a `rich` handler on the root logger, rich imports modules as it
formats a record, and that import failed too, escaping the logging call (the request got a 500).

Now, over a real `serve` process whose descriptor limit is reached by held connections: a request
that needs a descriptor (a static file, a new database connection) is answered 503 with
Retry-After, the log gets one line saying what happened and no traceback, and once the
connections close the service serves as before.

Session 7: on PostgreSQL the same shortage was logged as "database unavailable" and answered
503 saying the service needs a restart: psycopg says only "could not create socket: Too many
open files" in an OperationalError. A connection that fails while no descriptor is free is now
reported as the shortage it is (api/database.py), on SQLite and PostgreSQL alike.
"""

import errno
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import starlette.responses
from fastapi.testclient import TestClient

from tests.http.live import HOST, LiveServer, live_server, read_until_closed, split_response

NOFILE = 160  # the server's descriptor limit: room to start, then used up by held connections
WAIT = 30.0


@pytest.fixture(scope="module")
def scarce(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("scarce"), nofile=NOFILE, fresh=True) as running:
        yield running


def _open_descriptors(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def _ask(sock: socket.socket, target: str) -> None:
    sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())


def _get(port: int, target: str) -> int:
    with socket.create_connection((HOST, port), timeout=WAIT) as sock:
        _ask(sock, target)
        received, _ = read_until_closed(sock, WAIT)
    return split_response(received)[0] if received else 0


POSTGRES_URL = os.environ.get("TALL_TEST_POSTGRES_URL")


@pytest.fixture(scope="module")
def scarce_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if not POSTGRES_URL:
        pytest.skip("no PostgreSQL server: set TALL_TEST_POSTGRES_URL (.ci/run starts one)")
    env = {"DATABASE_URL": POSTGRES_URL}
    with live_server(tmp_path_factory.mktemp("scarce-postgres"), env, nofile=NOFILE, fresh=True) as running:
        yield running


def test_out_of_descriptors_is_a_503_and_one_log_line_then_served_again(scarce: LiveServer) -> None:
    _shortage_is_a_503_and_one_log_line_then_served_again(scarce)


def test_out_of_descriptors_on_postgresql_is_named_as_such_not_database_unavailable(
    scarce_postgres: LiveServer,
) -> None:
    _shortage_is_a_503_and_one_log_line_then_served_again(scarce_postgres)
    assert "database unavailable" not in scarce_postgres.output(), scarce_postgres.output()[-3000:]


def _shortage_is_a_503_and_one_log_line_then_served_again(scarce: LiveServer) -> None:
    log_before = len(scarce.output())
    held = [socket.create_connection((HOST, scarce.port), timeout=WAIT) for _ in range(NOFILE + 20)]
    try:
        deadline = time.monotonic() + WAIT
        while _open_descriptors(scarce.process.pid) < NOFILE - 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _open_descriptors(scarce.process.pid) >= NOFILE - 1, "the held connections did not use the limit up"
        # The first connections were accepted before the limit was reached; each asks for something
        # never asked before (no cached answer), which needs a descriptor to open.
        asked = {held[i]: f"/static/embed.css?n={i}" for i in range(6)}
        asked.update({held[6 + i]: f"/v1/studies?limit=1&offset={100 + i}" for i in range(12)})
        for sock, target in asked.items():
            _ask(sock, target)
        answers = [read_until_closed(sock, WAIT)[0] for sock in asked]
    finally:
        for sock in held:
            sock.close()
    statuses = [split_response(data)[0] for data in answers if data]
    assert set(statuses) <= {200, 503} and 503 in statuses, statuses  # answered, or told to retry; never a 500
    for data in answers:
        status, headers, body = split_response(data)
        if status == 503:
            assert headers["content-type"] == "application/problem+json" and headers["retry-after"].isdigit()
            assert "file descriptor" in json.loads(body)["detail"]
    log = scarce.output()[log_before:]
    assert "Traceback" not in log and "Logging error" not in log and "Exception in ASGI" not in log, log[-3000:]
    shortages = [line for line in log.splitlines() if "out of file descriptors" in line]
    assert len(shortages) == statuses.count(503), log[-3000:]
    assert all(line.startswith("ERROR:") and line.endswith("answered 503") for line in shortages), shortages
    # The connections gone, the same requests are served.
    deadline = time.monotonic() + WAIT
    while _get(scarce.port, "/static/embed.css?n=2") != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _get(scarce.port, "/static/embed.css?n=3") == 200
    assert _get(scarce.port, "/v1/studies?limit=1&offset=200") == 200


def test_a_static_file_that_cannot_be_opened_is_a_503_not_a_response_already_started(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Starlette sends a file's status line before opening the file, so a shortage met at the open
    (CI saw it on the first file a fresh worker served) escaped as "response already started" with
    a traceback; the asset mount holds the status line back until the file gives its first bytes."""

    async def no_descriptor(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(starlette.responses.anyio, "open_file", no_descriptor)
    answer = client.get("/static/embed.css?n=emfile")
    assert answer.status_code == 503 and answer.headers["retry-after"].isdigit()
    assert "file descriptor" in answer.json()["detail"]
    monkeypatch.undo()
    assert client.get("/static/embed.css?n=emfile-after").status_code == 200
