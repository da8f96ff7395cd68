"""Starting, probing and stopping the servers under test, each its own process on loopback."""

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from api.settings import PROJECT_ROOT
from tests.support import free_port

HOST = "127.0.0.1"


def get(port: int, path: str, timeout: float = 30.0) -> tuple[int, list[tuple[str, str]], bytes]:
    """One GET on loopback: status, headers in order, body."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def _memory_kib(pid: int, field_name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    ready_s: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def rss_mib(self) -> float:
        """Resident memory now (the server is a single process: one uvicorn worker)."""
        return _memory_kib(self.process.pid, "VmRSS") / 1024

    def worker_pids(self) -> list[int]:
        """The workers of a `--workers N` server (its parent left out); [] for one process."""
        found = []
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes():
                    found.append(int(child))
        return found

    def worker_rss_mib(self) -> list[float]:
        """Resident memory of each worker of a `--workers N` server (its parent left out); [] for one process."""
        return [_memory_kib(pid, "VmRSS") / 1024 for pid in self.worker_pids()]

    def peak_rss_mib(self) -> float:
        return _memory_kib(self.process.pid, "VmHWM") / 1024

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


def start(
    name: str,
    argv: list[str],
    env: dict[str, str],
    ready_path: str,
    log_dir: Path,
    timeout: float,
    *,
    cwd: Path = PROJECT_ROOT,
) -> Server:
    """Start argv (in cwd) and wait until ready_path answers 200; the time that took is ready_s."""
    log = log_dir / f"{name}.log"
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    port = int(argv[argv.index("--port") + 1])
    server = Server(name, port, process, log)
    deadline = started + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}; see {log}")
        try:
            if get(port, ready_path, timeout=5)[0] == 200:
                server.ready_s = time.perf_counter() - started
                return server
        except OSError:
            pass
        if time.perf_counter() > deadline:
            server.stop()
            raise RuntimeError(f"{name} was not ready within {timeout:.0f} s; see {log}")
        time.sleep(0.05)


def clean_env(**overrides: str) -> dict[str, str]:
    """The environment without any database or TALL_ settings from the caller, plus overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALL_") and k != "DATABASE_URL"}
    return {**env, **overrides}


def cli_command() -> list[str]:
    script = Path(sys.executable).parent / "tall-evidence"
    return [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]


def service_argv(port: int) -> list[str]:
    return [*cli_command(), "serve", "--host", HOST, "--port", str(port)]


def build_file(out: Path, fixtures_dir: Path | None = None, max_fixture_bytes: int | None = None) -> tuple[Path, float]:
    """`tall-evidence build --out out` in a fresh process: the file it wrote and the seconds it took."""
    overrides = {}
    if fixtures_dir is not None:
        overrides["TALL_FIXTURES_DIR"] = str(fixtures_dir)
    if max_fixture_bytes is not None:
        overrides["TALL_MAX_FIXTURE_BYTES"] = str(max_fixture_bytes)
    started = time.perf_counter()
    subprocess.run(
        [*cli_command(), "build", "--out", str(out)],
        env=clean_env(**overrides),
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        timeout=7200,
    )
    seconds = time.perf_counter() - started
    (path,) = out.glob("tall-evidence-*.sqlite3")
    return path, seconds


def start_service(
    log_dir: Path,
    cache: bool = True,
    fixtures_dir: Path | None = None,
    max_fixture_bytes: int | None = None,
    timeout: float = 120.0,
    name: str = "service",
    count_memo: bool = True,
    database: Path | None = None,
    workers: int = 1,
    earlier: Sequence[Path] = (),
) -> Server:
    """The service on the fixtures (today's path: validate and build at start-up) or on a built file.

    earlier: older built files served beside database (each answered under ?version=), oldest first.
    """
    overrides = {"TALL_RESPONSE_CACHE_ENABLED": "true" if cache else "false"}
    if not count_memo:
        overrides["TALL_COUNT_MEMO_ENTRIES"] = "0"
    if fixtures_dir is not None:
        overrides["TALL_FIXTURES_DIR"] = str(fixtures_dir)
    if max_fixture_bytes is not None:
        overrides["TALL_MAX_FIXTURE_BYTES"] = str(max_fixture_bytes)
    port = free_port()
    argv = service_argv(port)
    for path in [*earlier, *([database] if database is not None else [])]:
        argv += ["--database", str(path)]
    if workers > 1:
        argv += ["--workers", str(workers)]
    return start(name, argv, clean_env(**overrides), "/health", log_dir, timeout)


def start_static(log_dir: Path, responses: Path, ready_path: str) -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "tests.benchmarks.static_server", str(responses), "--port", str(port)]
    return start("limit", argv, clean_env(), ready_path, log_dir, 60.0)


def start_datasette(log_dir: Path, database: Path, metadata: Path) -> Server:
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "tests.benchmarks.datasette_server",
        "-i",
        str(database),
        "-m",
        str(metadata),
        "--host",
        HOST,
        "--setting",
        "suggest_facets",
        "off",
        "--port",
        str(port),
    ]
    return start("datasette", argv, clean_env(), "/-/versions.json", log_dir, 60.0)
