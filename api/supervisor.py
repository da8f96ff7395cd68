"""`serve --workers N`: N worker processes serving one bound socket, watched by the `serve` process.

uvicorn's own supervisor (0.55) learns that a worker ended through a ping it waits on for up to
its health-check timeout, and keeps the worker's end of that pipe open, so a worker that died
before answering is noticed only after the whole timeout; and it exits 0 even when a worker
could not start. This one waits on the processes themselves, so it knows the moment one ends,
and tells apart:

- a worker that ends before it serves (its start-up refused the file, or failed): the service
  stops at once, every other worker is stopped, and `serve` exits STARTUP_FAILURE (3) after one
  line giving the worker's reason (for a refused file, the file and what is wrong with it);
- a worker that ends after it served (it crashed, or was killed): another is started, which
  checks the file again;
- a serving worker whose event loop has not ticked for `healthcheck_seconds`: killed, then
  replaced; one that has not started serving within `start_seconds`: the service stops.

SIGINT, SIGTERM and SIGHUP stop every worker gracefully and exit 0. A worker whose `serve`
process is gone stops too, at once, even while it starts (Linux's PR_SET_PDEATHSIG, and the pipe
between them closing), so nothing is left listening.

Only uvicorn's public interface is used: Config (with callback_notify, which uvicorn calls from
a worker's event loop once it serves, as its heartbeat), Config.bind_socket and
Server.run(sockets); tests/http/test_uvicorn_contract.py checks they are there.
"""

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

from api.server import problem_answer
from api.settings import STOP_SIGNALS

# As uvicorn's own exit status for a server that could not start.
STARTUP_FAILURE = 3
BEAT = b"beat"
CHANGED = "database changed: "  # a serving worker's word that its file changed under it

logger = logging.getLogger("uvicorn.error")

ASGIApp = Callable[[dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


@dataclass
class Worker:
    process: BaseProcess
    conn: Connection
    started_at: float
    last_beat: float | None = None  # None: not serving yet
    reason: str | None = None  # why its start-up failed, as its application said
    changed: str | None = None  # set when, serving, it found its database file changed or gone
    killed: bool = False  # sent SIGKILL for not answering: said once, while it takes to end

    def take_messages(self) -> None:
        try:
            while self.conn.poll():
                message = self.conn.recv()
                if message == BEAT:
                    self.last_beat = time.monotonic()
                elif isinstance(message, str) and message.startswith(CHANGED):
                    self.changed = message.removeprefix(CHANGED)
                elif isinstance(message, str):
                    self.reason = message
        except (EOFError, OSError):
            pass  # the worker is gone; its sentinel says so


def recording_startup_failure(app: ASGIApp, reasons: list[str]) -> ASGIApp:
    """The application, noting the message of a failed start-up (its lifespan's own words)."""

    async def recorded(scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def send_noting(message: dict[str, Any]) -> None:
            if message["type"] == "lifespan.startup.failed":
                reasons.append(str(message.get("message") or "the application's start-up failed"))
            await send(message)

        await app(scope, receive, send_noting)

    return recorded


def quiet_when_forced(app: ASGIApp, forced: Callable[[], bool]) -> ASGIApp:
    """The application, stopped quietly by a second Ctrl-C, or by its shutdown timeout (forced: the server is
    stopping; a request cut short by the timeout was a 500 with tracebacks: session 13's probe, FB13).

    That makes uvicorn stop without waiting for requests in flight or running the application's
    shutdown (its force_exit): their tasks are cancelled as the event loop closes, and each
    cancellation was logged with a traceback (as an exception in the application, and, through
    Starlette, as a failed shutdown). Here a request not yet answered is answered 503 instead,
    and the lifespan's cancellation ends it: the application's own clean-up has run by then (the
    cancellation leaves its lifespan context)."""

    async def quiet(scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Any) -> None:
        if scope["type"] == "lifespan":

            async def send_unless_forced(message: dict[str, Any]) -> None:
                if message["type"] == "lifespan.shutdown.failed" and forced():
                    return
                await send(message)

            try:
                await app(scope, receive, send_unless_forced)
            except asyncio.CancelledError:
                if not forced():
                    raise
            return
        try:
            await app(scope, receive, send)
        except asyncio.CancelledError:
            if not forced() or scope["type"] != "http":
                raise
            with contextlib.suppress(RuntimeError):  # its answer had begun: uvicorn closes the connection
                for message in stopping_answer(scope.get("path", "")):
                    await send(message)

    return quiet


STOPPING_DETAIL = "The service was stopped before this request was answered."


def stopping_answer(path: str) -> list[dict[str, Any]]:
    """The 503 for a request cut short by the shutdown timeout, in its face's form (session 14's probe,
    GB5: one problem+json body for every path, no OperationOutcome, JSON-RPC error or embed page)."""
    headers, body = problem_answer(503, STOPPING_DETAIL, path)
    return [
        {"type": "http.response.start", "status": 503, "headers": headers},
        {"type": "http.response.body", "body": body},
    ]


# prctl(2)'s option: the signal this process gets when the thread that started it ends.
PR_SET_PDEATHSIG = 1


def end_with_parent(parent: int) -> None:
    """SIGTERM to this process the moment `serve` (pid parent) ends, however it ends: on Linux,
    through PR_SET_PDEATHSIG, from the worker's first moment. The pipe watched in run_worker
    notices too, but only once the imports are done, seconds later: a worker whose `serve` was
    killed while it started went on starting, and served, meanwhile. If `serve` is gone already
    (before this was set), this ends the worker now."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(0)


@contextlib.contextmanager
def _ctrl_c_ignored_by_children() -> Iterator[None]:
    """A process started in here begins with SIGINT ignored: a spawned worker imports the service for
    a second or more before run_worker can ignore it, and a Ctrl-C to the terminal's group then was a
    KeyboardInterrupt traceback from each worker (session 11's probe, S11-10). An ignored signal stays
    ignored across exec and Python leaves it so. Here it is blocked meanwhile: one that comes is held
    (Linux never drops a blocked signal as ignored) and reaches this process's handler afterwards.

    multiprocessing's resource tracker is started first, outside: the first spawn starts it, and it
    unblocks SIGINT as it does, which in here discarded a Ctrl-C held meanwhile (session 12's probe, B7:
    `serve` went on serving)."""
    resource_tracker.ensure_running()
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def run_worker(options: dict[str, Any], sock: socket.socket, conn: Connection, *, parent: int) -> None:
    """One worker process: the application from this process's settings (the environment), served
    on the socket `serve` (pid parent) bound; it reports to `serve` through conn, and stops when
    `serve` is gone."""
    # A Ctrl-C reaches every process of the terminal's group: `serve` stops its workers itself (SIGTERM).
    # Ignored from the first moment (importing the service takes seconds), it is never raised here as
    # a KeyboardInterrupt traceback, during imports or once uvicorn has shut down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    end_with_parent(parent)
    servers: list[Any] = []

    def stop_with_parent() -> None:
        try:
            conn.recv()  # serve never writes: this returns only when its end closes
        except (EOFError, OSError):
            pass
        if servers:
            servers[0].should_exit = True  # uvicorn's graceful shutdown
        else:
            os._exit(0)  # not serving yet: nothing to finish

    # Watched from the first moment too, where PR_SET_PDEATHSIG is not to be had.
    threading.Thread(target=stop_with_parent, daemon=True).start()
    import uvicorn

    from api.main import create_app
    from api.server import guarded_protocol
    from api.settings import get_settings

    settings = get_settings()
    reasons: list[str] = []
    lock = threading.Lock()  # the heartbeat and the last words may come from two threads

    def tell(message: object) -> None:
        with lock:
            try:
                conn.send(message)
            except OSError:
                pass  # serve is gone: the watcher below stops this worker

    async def beat() -> None:
        tell(BEAT)

    def database_changed(reason: str) -> None:
        # Serving it on is 503s until a restart, and a new worker would refuse the file: stop the service.
        tell(CHANGED + reason)
        server.should_exit = True

    app = create_app(settings, on_database_changed=database_changed)
    config = uvicorn.Config(
        recording_startup_failure(quiet_when_forced(app, lambda: server.should_exit), reasons),
        http=guarded_protocol(  # type: ignore[arg-type]
            header_timeout=settings.header_timeout,
            send_timeout=settings.send_timeout,
            body_timeout=settings.body_timeout,
            max_connections=settings.max_connections,
        ),
        lifespan="on",
        callback_notify=beat,
        timeout_notify=1,
        **options,
    )
    server = uvicorn.Server(config)
    servers.append(server)
    try:
        server.run(sockets=[sock])
    except Exception as exc:
        reasons.append(f"{type(exc).__name__}: {exc}")
        raise
    finally:
        if not server.started:
            tell(reasons[0] if reasons else "it stopped before serving")


def supervise(
    options: dict[str, Any],
    *,
    workers: int,
    start_seconds: float,
    healthcheck_seconds: float,
    shutdown_seconds: float,
) -> int:
    """Bind once, run `workers` worker processes on the socket until a stop signal (0) or a worker
    that cannot start (STARTUP_FAILURE); options are uvicorn.Config's, picklable."""
    import uvicorn

    # Logging as the workers log, and the bound socket they share (announced as uvicorn does).
    sock = uvicorn.Config("api.main:create_app", factory=True, **options).bind_socket()
    context = multiprocessing.get_context("spawn")
    stopping: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)

    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, on_signal)

    def start() -> Worker:
        ours, theirs = context.Pipe()
        process = context.Process(
            target=run_worker, args=(options, sock, theirs), kwargs={"parent": os.getpid()}, name="tall-evidence worker"
        )
        with _ctrl_c_ignored_by_children():
            process.start()
        theirs.close()  # so that its end closing (the worker gone) reads as EOF here
        logger.info(f"Started worker process [{process.pid}]")
        return Worker(process, ours, time.monotonic())

    running: list[Worker] = []
    status = 0
    try:
        # One at a time, heeding a stop signal between them: a signal while they start stops those started.
        while len(running) < workers and not stopping:
            running.append(start())
        while not stopping:
            wait([w.process.sentinel for w in running] + [w.conn for w in running], timeout=0.5)
            if stopping:
                # A Ctrl-C reaches the workers too: those it ends are not failures, nor to be replaced.
                break
            failure = _watch(running, start=start, start_seconds=start_seconds, healthcheck_seconds=healthcheck_seconds)
            if failure is not None:
                logger.error(f"serve: stopping the service: {failure}")
                status = STARTUP_FAILURE
                break
        if stopping:
            logger.info(f"Received {signal.Signals(stopping[0]).name}, stopping the workers.")
    finally:
        _stop_all(running, shutdown_seconds)
        sock.close()
    return status


def _watch(
    running: list[Worker], *, start: Callable[[], Worker], start_seconds: float, healthcheck_seconds: float
) -> str | None:
    """Replace workers that died after serving, kill hung ones; what stops the service, if anything."""
    now = time.monotonic()
    for index, worker in enumerate(running):
        worker.take_messages()
        pid = worker.process.pid
        if worker.changed is not None:
            return f"worker [{pid}] found {worker.changed}"
        if worker.process.is_alive():
            if worker.last_beat is None and now - worker.started_at > start_seconds:
                return f"worker [{pid}] did not start serving within {start_seconds:g} s"
            if not worker.killed and worker.last_beat is not None and now - worker.last_beat > healthcheck_seconds:
                logger.error(f"Worker [{pid}] has not answered for {healthcheck_seconds:g} s; killing it")
                worker.process.kill()
                worker.killed = True
            continue
        worker.process.join()
        worker.take_messages()  # its last words, sent just before it ended
        code = worker.process.exitcode
        if worker.last_beat is None:
            return f"worker [{pid}] could not start (exit status {code}): {worker.reason or 'no reason given'}"
        logger.warning(f"Worker [{pid}] ended (exit status {code}); starting another")
        worker.conn.close()
        running[index] = start()
    return None


def _stop_all(running: list[Worker], shutdown_seconds: float) -> None:
    """SIGTERM to each worker (uvicorn's graceful shutdown), then SIGKILL to any still there after the grace."""
    for worker in running:
        if worker.process.is_alive():
            worker.process.terminate()
    deadline = time.monotonic() + shutdown_seconds + 5
    for worker in running:
        worker.process.join(max(0.0, deadline - time.monotonic()))
        if worker.process.is_alive():
            logger.error(f"Worker [{worker.process.pid}] did not stop within {shutdown_seconds:g} s; killing it")
            worker.process.kill()
            worker.process.join()
        worker.conn.close()
