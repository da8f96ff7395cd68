"""A real server on loopback (the `tall-evidence serve` command in a child process) and raw socket helpers;
`tall-evidence mcp` in a child process, spoken to over its stdin and stdout (StdioPeer).

Nothing here imports the application: the tests speak HTTP to a process, as a client would.
"""

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests import launcher
from tests.support import free_port, wait_until_up

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
START_TIMEOUT = 90.0
SHORT_BODY_SECONDS = SHORT_HEAD_SECONDS = 2.0
# The settings of the short_server fixture (tests/http/conftest.py), for tests that wait a deadline out.
SHORT_DEADLINES = {"TALL_BODY_TIMEOUT": str(SHORT_BODY_SECONDS), "TALL_HEADER_TIMEOUT": str(SHORT_HEAD_SECONDS)}


@dataclass
class LiveServer:
    port: int
    process: subprocess.Popen[bytes] | launcher.Launched
    log: Path

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def raw(self, data: bytes, *, timeout: float = 10.0, answered: bool = False) -> bytes:
        """Send bytes on a fresh connection and read until the server closes it (or timeout); with
        answered, only until its first response is whole (a kept-alive connection is not waited out)."""
        return raw_exchange(self.port, data, timeout=timeout, answered=answered)


def raw_exchange(port: int, data: bytes, *, timeout: float = 10.0, answered: bool = False) -> bytes:
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may refuse before reading everything; its answer is still readable
        return read_until_closed(sock, timeout, answered=answered)[0]


def _whole_response(data: bytes) -> bool:
    """Whether data holds a first response whose body is all there (framed by Content-Length)."""
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    lengths = [line for line in data[:head_end].split(b"\r\n") if line.lower().startswith(b"content-length:")]
    return bool(lengths) and len(data) >= head_end + 4 + int(lengths[-1].split(b":")[1])


def read_until_closed(sock: socket.socket, seconds: float, *, answered: bool = False) -> tuple[bytes, bool]:
    """What the server sends within seconds, and whether it closed the connection by then; with
    answered, stop as soon as a first response is whole."""
    deadline = time.monotonic() + seconds
    chunks: list[bytes] = []
    while time.monotonic() < deadline and not (answered and _whole_response(b"".join(chunks))):
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            return b"".join(chunks), True
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)
    return b"".join(chunks), False


def split_response(data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names, last wins) and body of the first response in data."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = body[: int(headers["content-length"])]
    return status, headers, body


def scratch_data(tmp: Path) -> dict[str, str]:
    """Environment pointing the server at private copies of fixtures/ and the seed registry."""
    fixtures = tmp / "fixtures"
    shutil.copytree(PROJECT_ROOT / "fixtures", fixtures)
    registry = tmp / "seeds" / "sources.yaml"
    registry.parent.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "seeds" / "sources.yaml", registry)
    return {"TALL_FIXTURES_DIR": str(fixtures), "TALL_SOURCES_REGISTRY": str(registry)}


def cli_env(env: dict[str, str] | None = None) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TALL_") and k != "DATABASE_URL"}
    return {**clean, "PYTHONUNBUFFERED": "1", **(env or {})}


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60.0, fresh: bool = False
) -> subprocess.CompletedProcess[str]:
    """`tall-evidence ARGS` with only the TALL_ settings in env; fresh: in a new interpreter (tests.launcher)."""
    return launcher.run(args, env=cli_env(env), timeout=timeout, fresh=fresh)


def built_file(out: Path, env: dict[str, str], *, fresh: bool = False) -> Path:
    """`tall-evidence build --out out` in a child process; the file it wrote."""
    done = run_cli("build", "--out", str(out), env=env, timeout=300, fresh=fresh)
    assert done.returncode == 0, done.stderr
    (path,) = out.glob("tall-evidence-*.sqlite3")
    return path


@contextmanager
def live_server(
    log_dir: Path,
    env: dict[str, str] | None = None,
    *,
    args: tuple[str, ...] = (),
    nofile: int | None = None,
    fresh: bool = False,
) -> Iterator[LiveServer]:
    """Start `tall-evidence serve [args]` on a free loopback port; stop it with SIGTERM afterwards.
    nofile: the most file descriptors the server may hold open (its RLIMIT_NOFILE), if not the usual.
    fresh: in a new interpreter rather than forked from the preloaded one (tests.launcher)."""
    port = free_port()
    log = log_dir / f"server-{port}.log"
    with log.open("wb") as out:
        process = launcher.launch(
            ["serve", "--host", HOST, "--port", str(port), *args],
            env=cli_env(env),
            stdout=out,
            stderr=launcher.STDOUT,
            start_new_session=True,  # so a server that will not stop is killed with its workers
            nofile=nofile,
            fresh=fresh,
        )
    server = LiveServer(port, process, log)
    try:
        wait_until_up(f"{server.base}/health", server.process, START_TIMEOUT, output=server.output)
        yield server
    finally:
        stop(server)


def stop(server: LiveServer, timeout: float = 30.0) -> float:
    """SIGTERM, wait for exit (kill it and its workers after timeout); returns the seconds it took."""
    started = time.monotonic()
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)  # its workers too: none is left serving
            server.process.wait(timeout=10)
    return time.monotonic() - started


def rss_mib(pid: int) -> float:
    """Resident memory of a process now (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def read_responses(sock: socket.socket, count: int, *, timeout: float = 30.0) -> list[tuple[int, bytes]]:
    """Status and body of the next count responses on a connection (each framed by content-length)."""
    sock.settimeout(timeout)
    buffered = b""
    found: list[tuple[int, bytes]] = []
    while len(found) < count:
        head_end = buffered.find(b"\r\n\r\n")
        if head_end >= 0:
            head = buffered[:head_end].decode("latin-1").split("\r\n")
            length = next(int(line.split(":")[1]) for line in head if line.lower().startswith("content-length:"))
            end = head_end + 4 + length
            if len(buffered) >= end:
                found.append((int(head[0].split()[1]), buffered[head_end + 4 : end]))
                buffered = buffered[end:]
                continue
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {len(found)} of {count} responses")
        buffered += chunk
    return found


def worker_pids(parent: int) -> list[int]:
    """The worker processes of a `serve --workers N` parent (multiprocessing's resource tracker left out)."""
    found = []
    for task in Path(f"/proc/{parent}/task").iterdir():
        for child in (task / "children").read_text().split():
            if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
    return found


ANSWER_SECONDS = 30.0
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}},
}


class StdioPeer:
    """`tall-evidence mcp` in a child process: lines written to its stdin, messages read from its stdout."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as errors:
            self.process = launcher.launch(
                ["mcp"], env=cli_env(env), stdin=launcher.PIPE, stdout=launcher.PIPE, stderr=errors
            )
        self._pending = b""

    def send(self, line: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line)
        self.process.stdin.flush()

    def request(self, message: dict[str, Any]) -> None:
        self.send(json.dumps(message).encode() + b"\n")

    def receive(self, seconds: float = ANSWER_SECONDS) -> dict[str, Any]:
        """The next message on stdout; fails if none comes within seconds."""
        assert self.process.stdout is not None
        descriptor = self.process.stdout.fileno()
        deadline = time.monotonic() + seconds
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            assert left > 0, f"no answer within {seconds} s; stderr:\n{self.stderr()[-3000:]}"
            if select.select([descriptor], [], [], left)[0]:
                chunk = os.read(descriptor, 65536)
                assert chunk, f"stdout closed (exit {self.process.poll()}); stderr:\n{self.stderr()[-3000:]}"
                self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        message: dict[str, Any] = json.loads(line)
        return message

    def peak_rss_kib(self) -> int:
        """The most memory the process has held resident so far (Linux /proc, VmHWM)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise RuntimeError("no VmHWM")

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def close(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            return self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(timeout=10)
