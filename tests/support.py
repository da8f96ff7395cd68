"""Helpers the tests share, in one place: free loopback ports, servers in a thread or a child process,
waiting for one to answer, the command line, and the schema-driven fuzzing's configuration and check.

Extend these rather than writing a twin in a test module.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import uvicorn

from api.errors import PROBLEM_MEDIA_TYPE
from api.main import create_app
from api.settings import Settings
from models.problem import Problem, answers_errors_as_html
from tests import launcher

if TYPE_CHECKING:
    import schemathesis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving_in_thread(settings: Settings | None = None) -> Iterator[str]:
    """The API served by uvicorn in a thread of this process on a free loopback port; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(settings or Settings()), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def wait_until_up(
    url: str,
    process: subprocess.Popen[Any] | launcher.Launched,
    timeout: float = 90,
    *,
    output: Callable[[], str] | None = None,
) -> None:
    """Until `url` answers 200; fails with the server's output (its stdout, or `output()`) if it exits or never does."""

    def said() -> str:
        if output is not None:
            return output()
        text = process.stdout.read() if process.stdout and process.poll() is not None else ""
        return text.decode(errors="replace") if isinstance(text, bytes) else text

    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{said()}")
        assert time.monotonic() < deadline, f"{url} did not answer within {timeout} s:\n{said()}"
        time.sleep(0.05)  # a refused connection costs nothing: ask often, so no start-up is waited on long


@dataclass(frozen=True)
class LiveServer:
    base: str
    pid: int

    def worker_pids(self) -> list[int]:
        """The worker processes this server started, read from /proc (multiprocessing's helper left out)."""
        found: list[int] = []
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                command = Path(f"/proc/{child}/cmdline").read_bytes()
                if b"resource_tracker" not in command:
                    found.append(int(child))
        return found


@contextmanager
def running(*args: str, env: dict[str, str] | None = None, port: int | None = None) -> Iterator[LiveServer]:
    """`tall-evidence serve ARGS` on a free loopback port, stopped afterwards."""
    port = port or free_port()
    process = launcher.launch(
        ["serve", "--host", "127.0.0.1", "--port", str(port), *args],
        env={**os.environ, **(env or {})},
        stdout=launcher.PIPE,
        stderr=launcher.STDOUT,
        text=True,
        start_new_session=True,  # its workers stop with it
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/health", process)
        yield LiveServer(base, process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return launcher.run(args, env={**os.environ, **(env or {})}, timeout=timeout)


def built_file(out: Path) -> Path:
    """`tall-evidence build --out out`, returning the file it wrote."""
    done = run_cli("build", "--out", str(out))
    assert done.returncode == 0, done.stderr
    (path,) = out.glob("tall-evidence-*.sqlite3")
    return path


def operation_labels() -> list[str]:
    """Every operation of the OpenAPI document, as schemathesis labels them ('GET /v1/studies'): what the
    fuzzing tests parametrize over, read while collecting without building any case."""
    from schemathesis.core.transport import HTTP_METHODS_SCHEMA

    return [
        f"{method.upper()} {path}"
        for path, item in create_app().openapi()["paths"].items()
        for method in item
        if method in HTTP_METHODS_SCHEMA
    ]


def fuzz_config(
    max_examples: int, *, coverage_mode: str | None = "all", **checks: dict[str, Any]
) -> schemathesis.Config:
    """The schema-driven fuzzing's configuration: a fixed seed, every generation mode, deterministic.

    Invalid input must be refused with one of the declared problem answers; 414 (a query string
    over the limit) is one, though schemathesis does not count it by default. `checks` adds to it.
    coverage_mode: which of the coverage phase's boundary cases are sent ("all", or "positive"; None:
    no coverage phase, the generated cases alone).
    """
    import schemathesis

    return schemathesis.Config.from_dict(
        {
            "seed": 6,
            "generation": {"mode": "all", "max-examples": max_examples, "deterministic": True},
            "phases": {
                "coverage": {"generation": {"mode": coverage_mode}} if coverage_mode is not None else {"enabled": False}
            },
            "checks": {"negative_data_rejection": {"expected-statuses": [400, 404, 405, 414, 422]}, **checks},
        }
    )


def problem_details(_ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """Every error answer is an RFC 9457 body with exactly the Problem fields, served as problem+json;
    under /embed/ (read inside an iframe) the same fields come as an HTML page."""
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", [""])[0]
    if answers_errors_as_html(case.path):
        assert content_type.startswith("text/html"), f"{case.method} {case.formatted_path}: {content_type}"
        assert f">{response.status_code}<" in response.text or str(response.status_code) in response.text
        return
    assert content_type == PROBLEM_MEDIA_TYPE, f"{case.method} {case.formatted_path}: {content_type}"
    body = response.json()
    assert set(body) == set(Problem.model_fields), body
    assert Problem.model_validate(body).status == response.status_code, body
