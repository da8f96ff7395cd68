"""Load test: start the real server, drive it with many connections for a while, report what happened.

    .venv/bin/python tests/benchmarks/load_test.py [--connections 64] [--duration 60] [--json FILE]

Starts `tall-evidence serve` on a free loopback port, warms it up (one pass over the
request mix, then --warmup seconds at full concurrency), then keeps --connections
concurrent keep-alive connections busy for --duration seconds with a seeded random mix of
list, detail, metadata and error-path requests. Reports requests, errors (transport
failures, timeouts, or a status other than the one the request should get), non-2xx
answers by status, latency percentiles, requests per second, and the server's resident
memory (VmRSS from /proc) at start, after the warm-up and after the load; then stops the
server. Exits 1 on any error. Not a pytest test (tests/conftest.py keeps pytest out of
this directory): timings depend on the machine.
"""

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:  # run as a script: make `tests` importable
    sys.path.insert(0, str(PROJECT_ROOT))

from tests.support import free_port, wait_until_up  # noqa: E402


@dataclass(frozen=True)
class Probe:
    path: str
    expected: int
    weight: int


@dataclass
class Tally:
    requests: int = 0
    errors: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    error_kinds: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process (fields 14 and 15 of /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_command() -> list[str]:
    script = shutil.which("tall-evidence", path=str(Path(sys.executable).parent))
    return [script, "serve"] if script else [sys.executable, "-m", "api.cli", "serve"]


def _start_server(port: int, log_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TALL_HOST": "127.0.0.1", "TALL_PORT": str(port)}
    # The access log goes to a file: an unread pipe would fill up and stall the server.
    with log_path.open("wb") as log:
        return subprocess.Popen(_server_command(), env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)


def _probes(base: str) -> list[Probe]:
    """The request mix: mostly lists and details of every resource, some metadata, a few error paths."""
    probes = [
        Probe("/health", 200, 5),
        Probe("/v1/meta", 200, 5),
        Probe("/v1/studies", 200, 10),
        Probe("/v1/studies?limit=5&offset=0", 200, 5),
        Probe("/v1/outcomes?limit=100", 200, 10),
        Probe("/v1/adverse-events", 200, 5),
        Probe("/v1/sources", 200, 5),
        Probe("/v1/conflicts", 200, 5),
        Probe("/v1/epidemiology", 200, 5),
        Probe("/v1/studies/no-such-study", 404, 2),
        Probe("/v1/outcomes?limit=0", 422, 1),
        Probe("/v1/studies?colour=red", 422, 1),
    ]
    for resource, weight in (("studies", 15), ("outcomes", 10), ("sources", 5), ("adverse-events", 5)):
        items = httpx.get(f"{base}/v1/{resource}", params={"limit": 500}, timeout=10).json()["items"]
        probes += [Probe(f"/v1/{resource}/{item['id']}", 200, max(1, weight // len(items))) for item in items]
    return probes


class _Connection:
    """One keep-alive HTTP/1.1 connection on raw asyncio streams.

    httpx's async client costs several milliseconds of CPU per request, which on a small
    machine is taken from the server being measured; this costs a fraction of that.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str) -> int:
        if self.streams is None:
            self.streams = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self.streams
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n\r\n".encode())
        await writer.drain()
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        headers = dict(line.lower().split(": ", 1) for line in head[1:] if ": " in line)
        if headers.get("transfer-encoding") == "chunked":
            while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                await reader.readexactly(size + 2)
            await reader.readuntil(b"\r\n")
        else:
            await reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection") == "close":
            self.close()
        return status

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def _worker(port: int, probes: list[Probe], rng: random.Random, until: float, t: Tally) -> None:
    weights = [p.weight for p in probes]
    connection = _Connection(port)
    try:
        while time.monotonic() < until:
            probe = rng.choices(probes, weights)[0]
            started = time.perf_counter()
            try:
                status = await asyncio.wait_for(connection.get(probe.path), timeout=30)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError) as exc:
                t.requests += 1
                t.errors += 1
                t.error_kinds[type(exc).__name__] += 1
                connection.close()  # start afresh on a new connection
                continue
            t.latencies.append(time.perf_counter() - started)
            t.requests += 1
            t.statuses[status] += 1
            if status != probe.expected:
                t.errors += 1
                t.error_kinds[f"{probe.path} -> {status} (expected {probe.expected})"] += 1
    finally:
        connection.close()


async def _drive(port: int, probes: list[Probe], connections: int, duration: float, seed: int) -> tuple[Tally, float]:
    tally = Tally()
    started = time.monotonic()
    until = started + duration
    await asyncio.gather(*(_worker(port, probes, random.Random(seed + i), until, tally) for i in range(connections)))
    return tally, time.monotonic() - started


async def _drive_and_sample(
    port: int, pid: int, probes: list[Probe], connections: int, duration: float, seed: int
) -> tuple[Tally, float, list[int]]:
    """_drive, with the server's RSS read six times along the way (a leak keeps climbing, warm-up levels off)."""
    samples: list[int] = []

    async def sample() -> None:
        for _ in range(6):
            await asyncio.sleep(duration / 6)
            samples.append(_rss_kib(pid))

    (tally, elapsed), _ = await asyncio.gather(_drive(port, probes, connections, duration, seed), sample())
    return tally, elapsed, samples


def _percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(share * len(sorted_values)))]


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections (default 64)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of load before the baseline (default 5)")
    parser.add_argument("--seed", type=int, default=6, help="seed of the request mix (default 6)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="tall-load-"))
    log_path = workdir / "server.log"
    server = _start_server(port, log_path)
    try:
        wait_until_up(f"{base}/health", server, 60, output=lambda: log_path.read_text()[-3000:])
        rss_start = _rss_kib(server.pid)
        probes = _probes(base)
        for probe in probes:  # every request once: first-use caches are part of the baseline
            httpx.get(f"{base}{probe.path}", timeout=10)
        if args.warmup > 0:
            # At full concurrency, so the worker threads and database connections a loaded
            # server keeps exist before the baseline; growth after it is what a leak would show.
            asyncio.run(_drive(port, probes, args.connections, args.warmup, args.seed + 10_000))
        rss_before = _rss_kib(server.pid)
        server_cpu, client_cpu = _cpu_seconds(server.pid), time.process_time()
        tally, elapsed, rss_samples = asyncio.run(
            _drive_and_sample(port, server.pid, probes, args.connections, args.duration, args.seed)
        )
        server_cpu, client_cpu = _cpu_seconds(server.pid) - server_cpu, time.process_time() - client_cpu
        rss_after = _rss_kib(server.pid)
        server_alive = server.poll() is None
    finally:
        _stop(server)
    shutil.rmtree(workdir, ignore_errors=True)

    latencies = sorted(tally.latencies)
    non_2xx = {status: n for status, n in sorted(tally.statuses.items()) if not 200 <= status < 300}
    figures = {
        "connections": args.connections,
        "duration_s": round(elapsed, 1),
        "distinct_requests_in_mix": len(probes),
        "requests": tally.requests,
        "errors": tally.errors,
        "error_kinds": dict(tally.error_kinds),
        "non_2xx": non_2xx,
        "statuses": dict(sorted(tally.statuses.items())),
        "requests_per_s": round(tally.requests / elapsed, 1),
        "latency_ms": {
            "p50": round(1000 * _percentile(latencies, 0.50), 2),
            "p90": round(1000 * _percentile(latencies, 0.90), 2),
            "p99": round(1000 * _percentile(latencies, 0.99), 2),
            "max": round(1000 * latencies[-1], 2) if latencies else None,
        },
        "cpu_s": {"server": round(server_cpu, 1), "load_generator": round(client_cpu, 1)},
        "machine": {"cpus": os.cpu_count(), "load_average_after": os.getloadavg()},
        "warmup_s": args.warmup,
        "server_rss_kib": {
            "at_start": rss_start,
            "before_load": rss_before,
            "during_load": rss_samples,
            "after_load": rss_after,
        },
        "rss_growth_during_load_pct": round(100 * (rss_after - rss_before) / rss_before, 2),
        "rss_growth_since_start_pct": round(100 * (rss_after - rss_start) / rss_start, 2),
        "server_alive_after_load": server_alive,
    }
    print(f"load test: {args.connections} connections for {figures['duration_s']} s against {base}")
    print(f"  requests        {tally.requests} ({figures['requests_per_s']} req/s), mix of {len(probes)} requests")
    print(f"  errors          {tally.errors} {dict(tally.error_kinds) if tally.error_kinds else ''}")
    print(f"  non-2xx         {sum(non_2xx.values())} by status {non_2xx} (the mix asks for some 404/422 on purpose)")
    lat = figures["latency_ms"]
    print(f"  latency (ms)    p50 {lat['p50']}  p90 {lat['p90']}  p99 {lat['p99']}  max {lat['max']}")
    print(
        f"  server RSS (KiB) at start {rss_start}, after {args.warmup} s warm-up {rss_before}, after load {rss_after}"
    )
    print(f"  RSS during load {rss_samples} (every {args.duration / 6:g} s)")
    print(
        f"  RSS growth      {figures['rss_growth_during_load_pct']:+}% during the load, "
        f"{figures['rss_growth_since_start_pct']:+}% since start"
    )
    print(
        f"  CPU seconds     server {figures['cpu_s']['server']}, load generator {figures['cpu_s']['load_generator']} "
        f"(over {figures['duration_s']} s on {os.cpu_count()} CPUs; load average now "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())})"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0 if tally.errors == 0 and server_alive else 1


if __name__ == "__main__":
    sys.exit(main())
