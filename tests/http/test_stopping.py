"""Session 7's probe, on stopping `tall-evidence serve` (real processes, real signals):

- a Ctrl-C, or two, printed a KeyboardInterrupt traceback (uvicorn raises the signals it took
  again once it has stopped, into asyncio's handler; a second Ctrl-C also skipped the
  application's shutdown, which Starlette reported as a failed one with a traceback). Now each
  ends the command with one line and status 0; the second one still stops it at once, without
  waiting for requests in flight, which are answered 503;
- `serve --workers 2` SIGKILLed while its workers started left them starting, and serving, for
  seconds: a worker now ends the moment `serve` does.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from api.settings import PROJECT_ROOT
from tests import launcher
from tests.http.live import (
    HOST,
    LiveServer,
    built_file,
    cli_env,
    live_server,
    read_until_closed,
    split_response,
    worker_pids,
)
from tests.support import free_port

# Long enough that a stop that waits on the request held below would take this long.
PATIENCE = {"TALL_SHUTDOWN_TIMEOUT": "60", "TALL_BODY_TIMEOUT": "60"}
WAIT = 30.0  # how long a test waits for what must happen at once


def _hold_a_request(server: LiveServer) -> socket.socket:
    """A POST /mcp whose body never ends: a request in flight, which a graceful stop waits for."""
    sock = socket.create_connection((HOST, server.port), timeout=WAIT)
    head = (
        "POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAccept: application/json\r\n"
        "Content-Length: 100\r\n\r\n"
    )
    sock.sendall(head.encode() + b'{"jsonrpc"')
    return sock


def _said_once_without_a_traceback(output: str, words: str) -> None:
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output[-3000:]
    assert "CancelledError" not in output, output[-3000:]
    assert sum(words in line for line in output.splitlines()) == 1, output[-3000:]


def test_a_second_ctrl_c_stops_serve_at_once_with_one_line(tmp_path: Path) -> None:
    with live_server(tmp_path, PATIENCE) as server:
        with _hold_a_request(server) as held:
            time.sleep(0.5)  # the request reaches the application
            server.process.send_signal(signal.SIGINT)
            time.sleep(1.0)
            assert server.process.poll() is None, "the first Ctrl-C waits for the request in flight"
            server.process.send_signal(signal.SIGINT)
            assert server.process.wait(timeout=WAIT) == 0, server.output()[-3000:]
            answer, _ = read_until_closed(held, WAIT)
        _said_once_without_a_traceback(server.output(), "Received SIGINT: stopped, not waiting for requests")
        # The request cut short is answered, not dropped (uvicorn wrote a plain 500, or nothing).
        assert split_response(answer)[0] == 503, answer


def test_one_ctrl_c_stops_serve_with_one_line(tmp_path: Path) -> None:
    with live_server(tmp_path) as server:
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(timeout=WAIT) == 0, server.output()[-3000:]
        _said_once_without_a_traceback(server.output(), "Received SIGINT: stopped.")


@pytest.mark.parametrize(("stop_signal", "fresh"), [("SIGINT", True), ("SIGINT", False), ("SIGTERM", False)])
def test_a_stop_signal_while_serve_starts_is_one_line(tmp_path: Path, stop_signal: str, fresh: bool) -> None:
    """Sent as soon as the data is checked, before the application is made or serves. Session 10's
    CI saw a SIGINT there lost (serve went on to serve): stop signals are noted from the start of
    `serve`'s work now, and asked before it serves. A fresh interpreter goes through the window a
    real start-up has (its imports included); a forked one through the build and set-up only."""
    process = launcher.launch(
        ["serve", "--host", HOST, "--port", str(free_port())],
        env=cli_env(),
        stdout=launcher.PIPE,
        stderr=launcher.STDOUT,
        text=True,
        start_new_session=True,
        fresh=fresh,
    )
    signum = signal.Signals[stop_signal]
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("ok:"), first
        os.kill(process.pid, signum)
        output = first + process.communicate(timeout=WAIT)[0]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    # Stopped before it served (128 + the signal's number), or after (it starts, then stops: 0).
    assert process.returncode in (0, 128 + signum), output[-3000:]
    _said_once_without_a_traceback(output, stop_signal)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_workers_starting_when_serve_is_killed_stop_at_once(tmp_path: Path) -> None:
    """`serve --workers 2` SIGKILLed while its workers import: they went on starting, and each
    started its server (and so could answer on the shared socket) before noticing `serve` was
    gone. Now a worker ends the moment `serve` does (PR_SET_PDEATHSIG): it never starts serving."""
    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG and /proc are Linux's; elsewhere the pipe watcher alone stops a worker")
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = launcher.launch(
            ["serve", "--host", HOST, "--port", str(port), "--workers", "2"],
            env=cli_env(),
            stdout=out,
            stderr=launcher.STDOUT,
            start_new_session=True,  # so whatever is left can be killed with it below
        )
    try:
        deadline = time.monotonic() + WAIT * 3
        workers: list[int] = []
        while len(workers) < 1 and time.monotonic() < deadline and process.poll() is None:
            workers = worker_pids(process.pid)
            time.sleep(0.01)
        assert workers, log.read_text()[-3000:]
        process.kill()  # as its first worker starts: importing the service takes seconds
        process.wait(timeout=10)
        gone_by = time.monotonic() + WAIT
        while any(_alive(pid) for pid in workers) and time.monotonic() < gone_by:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in workers), log.read_text()[-3000:]
        said = log.read_text()
        assert not any(f"Started server process [{pid}]" in said for pid in workers), said[-3000:]
        with pytest.raises(OSError):
            socket.create_connection((HOST, port), timeout=2).close()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # anything left of the group, the old code's workers too


@pytest.mark.parametrize("after", [0.2, 0.5])
def test_a_ctrl_c_while_the_workers_start_is_no_traceback(tmp_path: Path, after: float) -> None:
    """Session 11's probe (S11-10): a Ctrl-C to the terminal's group while `serve --workers 2` had just
    spawned its workers reached them as they imported the service: a KeyboardInterrupt traceback from
    each. A worker begins with SIGINT ignored now; `serve` stops them itself."""
    database = built_file(tmp_path / "out", cli_env())
    process = launcher.launch(
        ["serve", "--host", HOST, "--port", str(free_port()), "--database", str(database), "--workers", "2"],
        env=cli_env(),
        stdout=launcher.PIPE,
        stderr=launcher.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        said = ""
        while said.count("Started worker process") < 2:
            line = process.stdout.readline()
            assert line, said[-3000:]
            said += line
        time.sleep(after)  # the workers' interpreters are up and importing the service
        os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C: serve and both workers
        said += process.communicate(timeout=WAIT)[0]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    assert process.returncode in (0, 128 + signal.SIGINT), said[-3000:]
    assert "Traceback" not in said and "KeyboardInterrupt" not in said, said[-3000:]


# A stop signal landing where an extension catches the interruption and raises its own error (pydantic-core
# wraps it in a SchemaError while it builds a model's validator: session 12's probe, B2), as `serve` runs.
WRAPPED_INTERRUPTION = """
import os, signal, sys
import api.cli as cli

def command(argv, stops):
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        signal.pause()  # the handler runs here, and raises
    except KeyboardInterrupt as exc:
        raise RuntimeError("building a validator failed") from exc
    return 0

cli._command = command
sys.exit(cli.main(["serve"]))
"""


def test_a_stop_signal_an_extension_wraps_in_its_own_error_is_still_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WRAPPED_INTERRUPTION], capture_output=True, text=True, timeout=WAIT, cwd=PROJECT_ROOT
    )
    assert done.returncode == 128 + signal.SIGTERM, done.stderr[-3000:]
    _said_once_without_a_traceback(done.stdout + done.stderr, "SIGTERM")


# The interruption raised inside a finalizer: Python cannot propagate it and printed it, with a
# traceback, as "Exception ignored in ..." (session 12's probe, B2, seen in the collector's callback and
# SQLAlchemy's connection finalizer). It is noted, and `serve` stops before serving with its one line.
INTERRUPTION_IN_A_FINALIZER = """
import os, signal, sys
import api.cli as cli

class Held:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)
        signal.pause()  # the handler runs here, and raises where it cannot propagate

def command(argv, stops):
    Held()  # collected at once: __del__ runs
    return stops.before_serving() or 0

cli._command = command
sys.exit(cli.main(["serve"]))
"""


def test_a_stop_signal_raised_in_a_finalizer_is_still_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTION_IN_A_FINALIZER],
        capture_output=True,
        text=True,
        timeout=WAIT,
        cwd=PROJECT_ROOT,
    )
    assert done.returncode == 128 + signal.SIGTERM, done.stderr[-3000:]
    _said_once_without_a_traceback(done.stdout + done.stderr, "SIGTERM")
    assert "Exception ignored" not in done.stderr, done.stderr[-3000:]


@pytest.mark.parametrize("command", [["validate"], ["build", "--out", "{tmp}/out"]], ids=lambda c: c[0])
def test_a_ctrl_c_to_another_command_is_one_line(tmp_path: Path, command: list[str]) -> None:
    """Session 12's probe (B11): a Ctrl-C to build or validate was Python's KeyboardInterrupt traceback."""
    process = launcher.launch(
        [word.format(tmp=tmp_path) for word in command],
        env=cli_env(),
        stdout=launcher.PIPE,
        stderr=launcher.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        # Forked from the preloaded process: at work at once (a fresh interpreter's first fraction of
        # a second is its own, importing the command line: docs/limits.md).
        time.sleep(0.1)
        os.kill(process.pid, signal.SIGINT)
        output = process.communicate(timeout=WAIT)[0]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    if process.returncode == 0:
        pytest.skip("the command ended before the signal came (a fast machine): nothing to interrupt")
    assert process.returncode == 128 + signal.SIGINT, output[-3000:]
    assert "Traceback" not in output and f"tall-evidence {command[0]}: interrupted (SIGINT)" in output, output[-3000:]
    assert not list((tmp_path / "out").glob("*.sqlite3"))
