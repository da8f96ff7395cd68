"""`tall-evidence` child processes for the tests, forked from a process that has already imported it.

A child `tall-evidence` spends nearly all of its 1-2 s of CPU importing (FastAPI, SQLAlchemy,
pydantic, the models), and the suite starts several hundred of them. Each test worker therefore
keeps one preloaded process (started on first use), which forks a child per command. The child
is still a process of its own, reached only through what a user has: its arguments, environment,
working directory, standard streams, session and descriptor limit; it runs `api.cli.main` as the
installed script does, exits with its code, and runs the interpreter's normal exit.

What a forked child shares with its siblings is the import and the interpreter's hash seed. Tests
that compare what two processes produce (identity: the same bytes from any process) must start
real interpreters, and say so with `fresh=True`.
"""

from __future__ import annotations

import array
import atexit
import gc
import json
import os
import resource
import select
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PIPE = subprocess.PIPE
STDOUT = subprocess.STDOUT
DEVNULL = subprocess.DEVNULL
# What the preloaded process imports: every module a command imports on its way to work.
PRELOADED = (
    "api.cli",
    "api.main",
    "api.server",
    "api.supervisor",
    "api.loading.build",
    "api.loading.load",
    "api.provenance.check",
    "api.provenance.spans",
    "api.mcp.transports",
    "api.tools.committed_files",
    "api.tools.coverage",
    "api.tools.diff",
    "api.tools.export",
    "api.tools.fixture_schemas",
    "sqlalchemy.dialects.sqlite",
    "uvicorn",
)
_MESSAGE_BYTES = 1 << 20


class Launched:
    """A forked command's handle, shaped as much of `subprocess.Popen` as the tests use."""

    def __init__(self, args: list[str], pid: int, status: int, streams: tuple[IO[Any] | None, ...]) -> None:
        self.args = args
        self.pid = pid
        self.returncode: int | None = None
        self._status = status  # the preloaded process writes the exit code here once it has reaped the child
        self.stdin, self.stdout, self.stderr = streams
        self._readers: list[tuple[threading.Thread, list[Any]]] | None = None

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self._status], [], [], 0)[0]:
            self._reap()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not select.select([self._status], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
            self._reap()
        assert self.returncode is not None
        return self.returncode

    def _reap(self) -> None:
        said = os.read(self._status, 64)
        os.close(self._status)
        # Nothing written: the preloaded process itself is gone, and with it the only word on the child.
        self.returncode = int(said) if said else -signal.SIGKILL

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def communicate(self, input: Any = None, timeout: float | None = None) -> tuple[Any, Any]:
        if self._readers is None:
            self._readers = [self._reader(stream) for stream in (self.stdout, self.stderr)]
            if self.stdin is not None:
                try:
                    if input:
                        self.stdin.write(input)
                    self.stdin.close()
                except BrokenPipeError:
                    pass  # it did not read all of its input; what it said is still read
        for thread, _ in self._readers:
            thread.join(timeout)
            if thread.is_alive():
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
        self.wait(timeout)
        (_, out), (_, err) = self._readers
        return (out[0] if out else None), (err[0] if err else None)

    @staticmethod
    def _reader(stream: IO[Any] | None) -> tuple[threading.Thread, list[Any]]:
        text: list[Any] = []

        def read() -> None:
            if stream is not None:
                text.append(stream.read())
                stream.close()

        thread = threading.Thread(target=read, daemon=True)
        thread.start()
        return thread, text


class _Preloaded:
    """This test process's preloaded process, and the socket it takes commands on."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.owner = os.getpid()
        self.sock = ours
        self.lock = threading.Lock()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.launcher", str(theirs.fileno())],
            cwd=PROJECT_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            pass_fds=(theirs.fileno(),),
        )
        theirs.close()
        atexit.register(self.close)

    def close(self) -> None:
        """Ends it (its socket closed, it returns) and reaps it, so its children's CPU is counted with the tests'."""
        if self.owner == os.getpid():
            self.sock.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def fork(self, request: dict[str, Any], fds: list[int]) -> int:
        with self.lock:
            self.sock.sendmsg(
                [json.dumps(request).encode()], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))]
            )
            answer = self.sock.recv(64)
        if not answer:
            raise RuntimeError(f"the preloaded process for the command line exited ({self.process.poll()})")
        return int(answer)


_preloaded: _Preloaded | None = None


def _the_preloaded() -> _Preloaded:
    global _preloaded
    # A forked test process (mutmut forks one per mutant) must not share its parent's.
    if _preloaded is None or _preloaded.owner != os.getpid() or _preloaded.process.poll() is not None:
        _preloaded = _Preloaded()
    return _preloaded


def launch(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | str = PROJECT_ROOT,
    stdin: int | IO[Any] | None = None,
    stdout: int | IO[Any] | None = None,
    stderr: int | IO[Any] | None = None,
    text: bool = False,
    start_new_session: bool = False,
    nofile: int | None = None,
    fresh: bool = False,
) -> Launched | subprocess.Popen[Any]:
    """`tall-evidence ARGS` in a child process; stdin/stdout/stderr as for subprocess.Popen.

    fresh: a real interpreter started for it (its own import and hash seed) instead of a fork.
    nofile: the most file descriptors it may hold open (its RLIMIT_NOFILE), if not the usual."""
    if fresh:

        def limit_descriptors() -> None:
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

        return subprocess.Popen(
            [sys.executable, "-m", "api.cli", *args],
            cwd=cwd,
            env=dict(env),
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            text=text,
            start_new_session=start_new_session,
            preexec_fn=limit_descriptors if nofile is not None else None,
        )
    given: list[int] = []  # the child's ends that were opened here, closed here once it holds them

    def end(choice: int | IO[Any] | None, fd: int, *, writing: bool) -> tuple[int, IO[Any] | None]:
        if choice is None:
            return fd, None
        if choice == DEVNULL:
            given.append(os.open(os.devnull, os.O_RDWR))
            return given[-1], None
        if choice == PIPE:
            read, write = os.pipe()
            mine, theirs = (read, write) if writing else (write, read)
            given.append(theirs)
            return theirs, os.fdopen(mine, ("r" if writing else "w") + ("" if text else "b"))
        return (choice if isinstance(choice, int) else choice.fileno()), None

    child_in, our_in = end(stdin, 0, writing=False)
    child_out, our_out = end(stdout, 1, writing=True)
    child_err, our_err = (child_out, None) if stderr == STDOUT else end(stderr, 2, writing=True)
    status_read, status_write = os.pipe()
    request = {"argv": list(args), "env": dict(env), "cwd": str(cwd), "session": start_new_session, "nofile": nofile}
    try:
        pid = _the_preloaded().fork(request, [child_in, child_out, child_err, status_write])
    finally:
        for fd in [*given, status_write]:
            os.close(fd)
    return Launched(["tall-evidence", *args], pid, status_read, (our_in, our_out, our_err))


def run(
    args: Sequence[str], *, env: Mapping[str, str], timeout: float, cwd: Path | str = PROJECT_ROOT, fresh: bool = False
) -> subprocess.CompletedProcess[str]:
    """`tall-evidence ARGS` run to its end, its output captured as text (subprocess.run's answer)."""
    child = launch(args, env=env, cwd=cwd, stdin=DEVNULL, stdout=PIPE, stderr=PIPE, text=True, fresh=fresh)
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise
    return subprocess.CompletedProcess(["tall-evidence", *args], child.wait(), out, err)


# The preloaded process: imports, then forks a child per request until its socket closes.


def _serve(sock: socket.socket) -> None:
    import importlib

    for name in PRELOADED:
        importlib.import_module(name)
    # What was imported is never freed: the children's collections need not walk it (nor copy its pages).
    gc.freeze()
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    statuses: dict[int, int] = {}
    while True:
        ready = select.select([sock, wake_read], [], [])[0]
        if wake_read in ready:
            os.read(wake_read, 4096)
            _reap(statuses)
        if sock in ready:
            message, fds, _flags, _addr = socket.recv_fds(sock, _MESSAGE_BYTES, 4)
            if not message:
                return  # the test process is gone
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                os.close(wake_read)
                os.close(wake_write)
                for fd in statuses.values():
                    os.close(fd)
                _become(json.loads(message), fds, sock)  # does not return
            statuses[pid] = fds[3]
            for fd in fds[:3]:
                os.close(fd)
            sock.send(str(pid).encode())


def _reap(statuses: dict[int, int]) -> None:
    while statuses:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        fd = statuses.pop(pid)
        os.write(fd, str(os.waitstatus_to_exitcode(status)).encode())
        os.close(fd)


def _become(request: dict[str, Any], fds: list[int], sock: socket.socket) -> None:
    import io

    sock.close()
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    if request["session"]:
        os.setsid()
    for target, fd in enumerate(fds[:3]):
        os.dup2(fd, target)
    for fd in set(fds):
        if fd > 2:
            os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    if request["nofile"] is not None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (request["nofile"], resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    # The standard streams as a fresh interpreter with this environment would make them.
    unbuffered = bool(os.environ.get("PYTHONUNBUFFERED"))
    encoding, errors = sys.stdout.encoding, sys.stdout.errors

    def stream(fd: int, mode: str, *, errors: str, line_buffering: bool) -> io.TextIOWrapper:
        raw = io.FileIO(fd, mode, closefd=False)
        if mode == "r":
            return io.TextIOWrapper(io.BufferedReader(raw), encoding=encoding, errors=errors)
        binary = raw if unbuffered else io.BufferedWriter(raw)
        return io.TextIOWrapper(
            binary, encoding=encoding, errors=errors, line_buffering=line_buffering, write_through=unbuffered
        )

    sys.stdin = sys.__stdin__ = stream(0, "r", errors=errors, line_buffering=False)
    sys.stdout = sys.__stdout__ = stream(1, "w", errors=errors, line_buffering=False)
    sys.stderr = sys.__stderr__ = stream(2, "w", errors="backslashreplace", line_buffering=True)
    sys.argv = ["tall-evidence", *request["argv"]]
    from api.cli import main

    sys.exit(main())


if __name__ == "__main__":
    _serve(socket.socket(fileno=int(sys.argv[1])))
