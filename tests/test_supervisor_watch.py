"""serve --workers N's watch over its workers (api/supervisor.py `_watch`), in process: a worker that
stops answering is killed and that is said once, however long it takes to end (session 8's probe saw
113 lines for one SIGSTOPped worker on a loaded machine)."""

import logging
import time
from typing import Any

import pytest

from api import supervisor


class _StillDying:
    """A process that was sent SIGKILL and has not ended yet (a stopped process on a busy machine)."""

    pid = 4242
    exitcode = None

    def __init__(self) -> None:
        self.kills = 0

    def is_alive(self) -> bool:
        return True

    def kill(self) -> None:
        self.kills += 1


class _QuietConnection:
    def poll(self) -> bool:
        return False

    def recv(self) -> Any:  # pragma: no cover - never called: nothing to poll
        raise EOFError


def test_a_worker_that_stops_answering_is_killed_and_said_once(caplog: pytest.LogCaptureFixture) -> None:
    process = _StillDying()
    worker = supervisor.Worker(
        process=process,  # type: ignore[arg-type]
        conn=_QuietConnection(),  # type: ignore[arg-type]
        started_at=time.monotonic() - 100,
        last_beat=time.monotonic() - 100,
    )

    def no_new_worker() -> supervisor.Worker:
        raise AssertionError("a worker still alive is not replaced")

    with caplog.at_level(logging.ERROR, logger=supervisor.logger.name):
        for _ in range(5):
            found = supervisor._watch([worker], start=no_new_worker, start_seconds=60, healthcheck_seconds=10)
            assert found is None
    said = [r.getMessage() for r in caplog.records if "has not answered" in r.getMessage()]
    assert said == ["Worker [4242] has not answered for 10 s; killing it"]
    assert process.kills == 1
