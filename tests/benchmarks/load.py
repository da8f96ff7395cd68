"""Driving load: wrk when present (installed from Debian's packages when run as root), else an
asyncio load generator in this process. Both keep a fixed number of keep-alive connections
busy for a fixed time and stop by themselves."""

import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

# wrk's own summary, as one JSON line (latencies in microseconds).
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"errors":%d,"non_2xx":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass
class LoadResult:
    tool: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # connection errors and timeouts
    non_2xx: int
    # CPU the load generator used, in cores (CPU seconds per second of load): on two cores, what is
    # left for the servers is 2 minus this.
    client_cores: float = 0.0
    server_cores: float = 0.0  # CPU the server's processes used, in cores (set by the caller that knows them)

    def as_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def find_wrk(install: bool = True) -> str | None:
    """wrk's path; installs Debian's package first when missing and running as root."""
    found = shutil.which("wrk")
    if found or not install or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install_wrk = ["apt-get", "install", "-y", "-qq", "wrk"]
    # Try the package lists as they are first; refresh them only if that fails.
    for commands in ([install_wrk], [["apt-get", "update", "-qq"], install_wrk]):
        for command in commands:
            subprocess.run(command, env=env, capture_output=True, timeout=600, check=False)
        if shutil.which("wrk"):
            break
    return shutil.which("wrk")


def run_wrk(wrk: str, url: str, connections: int, seconds: float, threads: int) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_REPORT)
    try:
        argv = [wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "5s"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [*argv, "-s", script.name, url], capture_output=True, text=True, timeout=seconds + 60, check=True
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk is the only child reaped in between
    finally:
        Path(script.name).unlink()
    line = next(x for x in reversed(done.stdout.splitlines()) if x.startswith("{"))
    raw = json.loads(line)
    duration = raw["duration_us"] / 1e6
    return LoadResult(
        tool="wrk",
        requests=raw["requests"],
        seconds=duration,
        rps=raw["requests"] / duration,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        errors=raw["errors"],
        non_2xx=raw["non_2xx"],
        client_cores=(_cpu_s(after) - _cpu_s(before)) / duration,
    )


def _cpu_s(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return status


async def _connection(url: str, deadline: float, latencies: list[float], counts: dict[str, int]) -> None:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    request = f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode()
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            status = await asyncio.wait_for(_read_response(reader), timeout=5)
            latencies.append(time.perf_counter() - started)
            if not 200 <= status < 400:
                counts["non_2xx"] += 1
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
        counts["errors"] += 1
    finally:
        writer.close()


def run_python(url: str, connections: int, seconds: float) -> LoadResult:
    """The fallback generator: an asyncio client per connection, in this process."""
    latencies: list[float] = []
    counts = {"errors": 0, "non_2xx": 0}

    async def drive() -> float:
        started = time.perf_counter()
        deadline = started + seconds
        tasks = [_connection(url, deadline, latencies, counts) for _ in range(connections)]
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 30)
        return time.perf_counter() - started

    cpu_before = time.process_time()
    elapsed = asyncio.run(drive())
    client_cores = (time.process_time() - cpu_before) / elapsed
    ordered = sorted(latencies) or [0.0]

    def percentile(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    return LoadResult(
        tool="python-asyncio",
        requests=len(latencies),
        seconds=elapsed,
        rps=len(latencies) / elapsed,
        p50_ms=percentile(50),
        p99_ms=percentile(99),
        max_ms=ordered[-1] * 1000,
        errors=counts["errors"],
        non_2xx=counts["non_2xx"],
        client_cores=client_cores,
    )


def drive(wrk: str | None, url: str, connections: int, seconds: float, threads: int) -> LoadResult:
    if wrk:
        return run_wrk(wrk, url, connections, seconds, threads)
    return run_python(url, connections, seconds)


def sequential_latency(url: str, requests: int, max_seconds: float) -> dict[str, float]:
    """One connection, one request at a time: what a single uncontended request costs.

    The very first request to a fresh server is reported on its own (first_ms): it also
    pays for compiling SQL and warming caches, which p50 and p99 then leave out.
    """
    import http.client

    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    samples: list[float] = []
    size = 0
    try:
        deadline = time.perf_counter() + max_seconds
        while len(samples) < requests + 1 and (len(samples) < 4 or time.perf_counter() < deadline):
            started = time.perf_counter()
            connection.request("GET", target)
            response = connection.getresponse()
            size = len(response.read())
            samples.append(time.perf_counter() - started)
    finally:
        connection.close()
    first, ordered = samples[0], sorted(samples[1:])
    return {
        "requests": len(samples),
        "bytes": size,
        "first_ms": first * 1000,
        "p50_ms": ordered[len(ordered) // 2] * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000,
    }


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used: unlike latency, hardly moved by other work on the machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def paired_latency(
    targets: dict[str, tuple[str, int]], requests: int, *, rounds: int = 3, max_seconds: float = 20.0
) -> dict[str, dict[str, float]]:
    """Uncached latency of several servers asked alike, taking turns in rounds so that a noisy
    neighbour hits all of them: per server the median round's p50 and p99, the first request
    of the first round, and the server's CPU time per request over all rounds.

    targets: name -> (url, server pid).
    """
    per_round = max(4, requests // rounds)
    seen: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
    cpu: dict[str, float] = dict.fromkeys(targets, 0.0)
    for _ in range(rounds):
        for name, (url, pid) in targets.items():
            before = process_cpu_s(pid)
            seen[name].append(sequential_latency(url, per_round, max_seconds / rounds))
            cpu[name] += process_cpu_s(pid) - before
    result = {}
    for name, runs in seen.items():
        asked = sum(r["requests"] for r in runs)
        result[name] = {
            "requests": asked,
            "bytes": runs[-1]["bytes"],
            "first_ms": runs[0]["first_ms"],
            "p50_ms": statistics.median(r["p50_ms"] for r in runs),
            "p99_ms": statistics.median(r["p99_ms"] for r in runs),
            "cpu_ms": cpu[name] / asked * 1000,
        }
    return result
