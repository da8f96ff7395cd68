"""How a failed database connection is named (api.database): a shortage of file descriptors is a 503
with Retry-After that passes, anything else the database's own fault. Over a real process in
tests/http/test_descriptor_shortage.py; here the recognition itself, without the race it guards against."""

import errno
import os
from typing import Any

import pytest

from api.database import connect_naming_a_descriptor_shortage


class _FailingDialect:
    def __init__(self, message: str) -> None:
        self.message = message

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        raise RuntimeError(self.message)


@pytest.mark.parametrize("code", [errno.EMFILE, errno.ENFILE])
def test_a_driver_naming_the_descriptor_shortage_is_one_even_when_a_descriptor_is_free_again(code: int) -> None:
    """psycopg's words; by the time it is asked, a connection closing beside it may have freed one."""
    dialect = _FailingDialect(f'connection failed: could not create socket: "{os.strerror(code)}"')
    with pytest.raises(OSError) as raised:
        connect_naming_a_descriptor_shortage(dialect, (), {})  # type: ignore[arg-type]
    assert raised.value.errno == errno.EMFILE
    assert "no file descriptor free to connect to the database" in str(raised.value)
    assert isinstance(raised.value.__cause__, RuntimeError)


def test_any_other_failure_is_the_drivers_own() -> None:
    with pytest.raises(RuntimeError, match="password authentication failed"):
        connect_naming_a_descriptor_shortage(
            _FailingDialect("password authentication failed for user x"),  # type: ignore[arg-type]
            (),
            {},
        )


def test_a_shortage_seen_a_moment_ago_still_counts_then_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    """In a burst, a descriptor freed by an answer closing is taken back by the server's accept: a
    connection failing just after a shortage was seen is named one, and only for a moment."""
    import api.database as database

    now = [1000.0]
    monkeypatch.setattr(database.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(database, "_shortage_seen_at", float("-inf"))
    assert database.no_descriptor_free() is False
    real_open = os.open

    def exhausted(*args: Any, **kwargs: Any) -> int:
        raise OSError(errno.EMFILE, os.strerror(errno.EMFILE))

    monkeypatch.setattr(database.os, "open", exhausted)
    assert database.no_descriptor_free() is True
    monkeypatch.setattr(database.os, "open", real_open)
    now[0] += database.SHORTAGE_MEMORY_SECONDS - 0.01
    assert database.no_descriptor_free() is True
    now[0] += 0.02
    assert database.no_descriptor_free() is False
    with pytest.raises(RuntimeError):  # and a failure then is the driver's own again
        connect_naming_a_descriptor_shortage(_FailingDialect("server closed the connection"), (), {})  # type: ignore[arg-type]


def test_a_connection_lost_during_a_request_is_a_503_to_retry_not_a_restart() -> None:
    """Session 10's probe (P9): every driver error was answered "the service needs a restart",
    also a connection PostgreSQL ended, which the next request replaces."""
    import asyncio
    import json
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy.exc import OperationalError, ProgrammingError
    from starlette.requests import Request
    from starlette.responses import Response

    from api.main import _database_unavailable

    request = Request({"type": "http", "method": "GET", "path": "/v1/outcomes", "headers": [], "query_string": b""})

    def answered(exc: Exception) -> Response:
        # In a thread of its own: another test may have left this thread's event loop running.
        with ThreadPoolExecutor(1) as thread:
            return thread.submit(asyncio.run, _database_unavailable(request, exc)).result()

    lost = OperationalError("SELECT 1", {}, Exception("terminating connection"), connection_invalidated=True)
    answer = answered(lost)
    assert answer.status_code == 503 and answer.headers["retry-after"].isdigit()
    assert "try again" in json.loads(bytes(answer.body))["detail"]
    broken = OperationalError("SELECT 1", {}, Exception("no such table"))
    answer = answered(broken)
    assert answer.status_code == 503 and "retry-after" not in answer.headers
    assert "restart" in json.loads(bytes(answer.body))["detail"]
    # Session 14's probe (GB1): a connection PostgreSQL refuses was answered "needs a restart" too.
    psycopg = pytest.importorskip("psycopg")
    refused = OperationalError(None, None, psycopg.OperationalError("connection failed: Connection refused"))
    answer = answered(refused)
    assert answer.status_code == 503 and answer.headers["retry-after"].isdigit()
    assert "try again" in json.loads(bytes(answer.body))["detail"]
    # ...and a schema dropped under the service: no retry brings it back, nor does a restart.
    gone = ProgrammingError("SELECT", {}, psycopg.errors.UndefinedTable('relation "study" does not exist'))
    answer = answered(gone)
    assert answer.status_code == 503 and "retry-after" not in answer.headers
    assert json.loads(bytes(answer.body))["detail"].startswith("The dataset this service loaded is gone")


def test_a_pool_with_no_connection_free_in_time_is_busy_on_rest_and_mcp_alike() -> None:
    """Session 14's third probe (IB1): an MCP tool that waited out the pool's timeout (a stalled PostgreSQL under
    more calls than the pool) was "Error executing tool" and a traceback: the pool's TimeoutError is no DBAPIError."""
    from fastapi.testclient import TestClient
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from api.database import DATABASE_ERRORS, unavailable
    from api.deps import get_session
    from api.main import create_app

    exhausted = PoolTimeout("QueuePool limit of size 17 overflow 0 reached, connection timed out, timeout 30.00")
    assert isinstance(exhausted, DATABASE_ERRORS)
    told = unavailable(exhausted)
    assert (told.detail, told.passes) == ("The database is busy; try again shortly.", True)

    async def no_connection() -> Any:
        raise exhausted
        yield  # pragma: no cover - a generator, as get_session is

    app = create_app()
    app.dependency_overrides[get_session] = no_connection
    with TestClient(app) as client:
        answer = client.get("/v1/studies", params={"q": "busy"})
    assert answer.status_code == 503 and answer.headers["retry-after"] == "1"
    assert answer.json()["detail"] == "The database is busy; try again shortly."


def test_mcp_tool_calls_take_a_thread_only_when_admitted() -> None:
    """Session 14's third probe (IB2): each call took a worker thread, then waited for a connection; 40 calls on a
    stalled database held every thread, and /v1/meta, which reads none, went unanswered. At most
    TOOL_CALLS_AT_ONCE run at once; the others wait without a thread."""
    import threading
    import time

    import anyio

    from api.mcp.tools import TOOL_CALLS_AT_ONCE, answered_in_a_thread

    running, most = 0, 0
    lock = threading.Lock()

    def slow() -> Any:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return None

    async def main() -> None:
        tool = answered_in_a_thread(lambda exc: None)(slow)
        async with anyio.create_task_group() as group:
            for _ in range(TOOL_CALLS_AT_ONCE * 3):
                group.start_soon(tool)

    # In a thread of its own: a test before it on this worker may have left an event loop running in this one.
    done = threading.Thread(target=anyio.run, args=(main,))
    done.start()
    done.join(timeout=60)
    assert most == TOOL_CALLS_AT_ONCE < 40
