"""serve --workers N's watch over its workers (api/supervisor.py `_watch`), in process: a worker that
stops answering is killed and that is said once, however long it takes to end (session 8's probe saw
113 lines for one SIGSTOPped worker on a loaded machine)."""

import logging
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

from api import supervisor
from api.settings import PROJECT_ROOT


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


# What the first spawn does inside the window: it starts multiprocessing's resource tracker, which
# unblocks SIGINT as it does (session 12's probe, B7: a Ctrl-C held there was discarded, and `serve`
# went on serving). Run in a process of its own: it sends itself a signal.
HELD_CTRL_C = """
import os, signal
from multiprocessing import resource_tracker
from api.supervisor import _ctrl_c_ignored_by_children
seen = []
signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
with _ctrl_c_ignored_by_children():
    os.kill(os.getpid(), signal.SIGINT)
    resource_tracker.ensure_running()
print(seen)
"""


def test_a_ctrl_c_held_while_a_worker_is_spawned_reaches_the_handler_after() -> None:
    done = subprocess.run(
        [sys.executable, "-c", HELD_CTRL_C], capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == f"[{int(signal.SIGINT)}]", done.stdout + done.stderr[-2000:]
