"""Benchmark the service against the static limit and Datasette, then measure it at scale.

    .venv/bin/python tests/benchmarks/run.py [--duration 10] [--connections 32] [--scales 1,10,100,1000]

One run, on loopback, each server one uvicorn worker on httptools and uvloop:
  1. the service (`tall-evidence serve`, response cache on) on the curated data;
  2. the static limit: a bare ASGI app (no framework) answering with the service's own bytes;
  3. Datasette (installed into this venv if missing) on a SQLite file the service's own
     loader builds from the same fixtures, asked the nearest equivalent queries.
Each endpoint is driven on each server with the same load (wrk, else an asyncio client),
the servers taking turns in short rounds so that a noisy neighbour hits all of them alike;
the figures are the median round.
Then, per scale, synthetic fixtures of N copies: start-up (validate + load, in a fresh
process), time to first answer, memory, and the uncached latency of each endpoint, with
list totals counted afresh and (on a second server) remembered.
Prints the tables and writes tests/benchmarks/results/latest.{json,md}.
"""

import argparse
import base64
import contextlib
import dataclasses
import importlib.util
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make `tests.benchmarks` importable
    sys.path.insert(0, str(ROOT))

from api.settings import Settings  # noqa: E402
from tests.benchmarks import report, servers  # noqa: E402
from tests.benchmarks.endpoints import ENDPOINTS, datasette_metadata  # noqa: E402
from tests.benchmarks.load import (  # noqa: E402
    LoadResult,
    drive,
    find_wrk,
    paired_latency,
    process_cpu_s,
    sequential_latency,
)
from tests.benchmarks.sqlite_file import build_sqlite_file  # noqa: E402
from tests.benchmarks.synthetic import write_scaled_fixtures  # noqa: E402

RESULTS = ROOT / "tests" / "benchmarks" / "results"


CORES = os.cpu_count() or 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections (32)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per endpoint and server (10)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="slices the duration is cut into, servers taking turns (3)"
    )
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before each measurement (2)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1: the other core serves)")
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto", help="load generator")
    parser.add_argument("--scales", default="1,10,100,1000", help="synthetic scales, comma-separated, or 'none'")
    parser.add_argument(
        "--scale-requests", type=int, default=50, help="sequential requests per endpoint and scale (50; 20 s at most)"
    )
    parser.add_argument("--startup-repeats", type=int, default=5, help="fresh processes timing curated start-up")
    parser.add_argument("--skip-datasette", action="store_true", help="leave Datasette out")
    parser.add_argument(
        "--built-only",
        action="store_true",
        help="at each scale, measure only the built file (skip start-up and latency of `serve` on the fixtures)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where latest.json and latest.md go")
    return parser.parse_args(argv)


def ensure_datasette() -> None:
    if importlib.util.find_spec("datasette") is None:
        print("installing datasette into this environment ...", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "datasette"], check=True, timeout=600)


def measure_startup(fixtures_dir: Path | None = None, max_bytes: int | None = None) -> dict[str, Any]:
    argv = [sys.executable, "-m", "tests.benchmarks.startup"]
    if fixtures_dir is not None:
        argv += [str(fixtures_dir), str(max_bytes or Settings().max_fixture_bytes)]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=3600, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def curated_startup(repeats: int) -> dict[str, Any]:
    runs = [measure_startup() for _ in range(repeats)]
    median = {key: statistics.median(r[key] for r in runs) for key in ("validate_s", "load_s", "startup_s")}
    return {**median, "studies": runs[0]["studies"], "repeats": repeats}


def record_responses(service: servers.Server, path: Path) -> None:
    """The service's own responses, for the static limit to answer with."""
    recorded = {}
    for endpoint in ENDPOINTS:
        status, headers, body = servers.get(service.port, endpoint.service)
        if status != 200:
            raise RuntimeError(f"the service answered {status} to {endpoint.service}")
        recorded[endpoint.service] = {
            "status": status,
            "headers": headers,
            "body_b64": base64.b64encode(body).decode(),
        }
    path.write_text(json.dumps(recorded), encoding="utf-8")


def check_datasette(datasette: servers.Server) -> None:
    for endpoint in ENDPOINTS:
        status, _, body = servers.get(datasette.port, endpoint.datasette)
        if status != 200:
            raise RuntimeError(f"Datasette answered {status} to {endpoint.datasette}: {body[:300]!r}")


def median_round(rounds: list[LoadResult]) -> dict[str, Any]:
    """Medians over the rounds; counts are totals, the worst latency the worst of all."""
    return {
        "tool": rounds[0].tool,
        "rounds": len(rounds),
        "requests": sum(r.requests for r in rounds),
        "seconds": sum(r.seconds for r in rounds),
        "rps": statistics.median(r.rps for r in rounds),
        "p50_ms": statistics.median(r.p50_ms for r in rounds),
        "p99_ms": statistics.median(r.p99_ms for r in rounds),
        "max_ms": max(r.max_ms for r in rounds),
        "errors": sum(r.errors for r in rounds),
        "non_2xx": sum(r.non_2xx for r in rounds),
        "rps_each_round": [round(r.rps) for r in rounds],
        "client_cores": statistics.median(r.client_cores for r in rounds),
        "server_cores": statistics.median(r.server_cores for r in rounds),
        "p99_ms_each_round": [round(r.p99_ms, 2) for r in rounds],
    }


def load_each(args: argparse.Namespace, wrk: str | None, running: dict[str, servers.Server]) -> list[dict[str, Any]]:
    measured = []
    for endpoint in ENDPOINTS:
        urls = {
            name: server.url(endpoint.datasette if name == "datasette" else endpoint.service)
            for name, server in running.items()
        }
        if args.warmup > 0:
            for url in urls.values():
                drive(wrk, url, args.connections, args.warmup, args.threads)
        rounds: dict[str, list[LoadResult]] = {name: [] for name in urls}
        for _ in range(args.rounds):
            for name, url in urls.items():
                pids = [running[name].process.pid, *running[name].worker_pids()]
                cpu_before = sum(process_cpu_s(pid) for pid in pids)
                result = drive(wrk, url, args.connections, args.duration / args.rounds, args.threads)
                cores = (sum(process_cpu_s(pid) for pid in pids) - cpu_before) / result.seconds
                rounds[name].append(dataclasses.replace(result, server_cores=cores))
        results = {name: median_round(each) for name, each in rounds.items()}
        for name, r in results.items():
            print(
                f"  {endpoint.name:<11} {name:<10} {r['rps']:>10,.0f} req/s  p50 {r['p50_ms']:7.2f} ms  "
                f"p99 {r['p99_ms']:7.2f} ms  errors {r['errors'] + r['non_2xx']}  rounds {r['rps_each_round']}",
                flush=True,
            )
        service, limit, datasette = results["service"], results["limit"], results.get("datasette")
        measured.append(
            {
                "name": endpoint.name,
                "label": endpoint.label,
                "service": endpoint.service,
                "datasette": endpoint.datasette,
                "share_of_limit": endpoint.share_of_limit,
                "paginated": endpoint.paginated,
                "results": results,
                "ratios": {
                    "service_vs_limit": service["rps"] / limit["rps"],
                    "p99_vs_limit": service["p99_ms"] / limit["p99_ms"],
                    "service_vs_datasette": service["rps"] / datasette["rps"] if datasette else None,
                    "two_workers_vs_one": results["service-2w"]["rps"] / service["rps"]
                    if "service-2w" in results
                    else None,
                    # What two workers could reach here at most: the cores the load generator left them,
                    # against the cores one worker used for its throughput.
                    "two_workers_ceiling": (CORES - results["service-2w"]["client_cores"]) / service["server_cores"]
                    if "service-2w" in results and service["server_cores"] > 0
                    else None,
                },
            }
        )
    return measured


def compare(args: argparse.Namespace, wrk: str | None, work: Path) -> dict[str, Any]:
    """Part 1: the service, the static limit and Datasette under the same load."""
    running: dict[str, servers.Server] = {}
    try:
        running["service"] = servers.start_service(work)
        responses = work / "responses.json"
        record_responses(running["service"], responses)
        running["limit"] = servers.start_static(work, responses, ENDPOINTS[0].service)
        # The same service, two workers on one built file: what a second core adds to cached throughput.
        built, _ = servers.build_file(work / "built-curated")
        running["service-2w"] = servers.start_service(work, database=built, workers=2, name="service-2w")
        if not args.skip_datasette:
            database = build_sqlite_file(Settings(), work / "evidence.db")
            metadata = work / "metadata.json"
            metadata.write_text(json.dumps(datasette_metadata()), encoding="utf-8")
            running["datasette"] = servers.start_datasette(work, database, metadata)
            check_datasette(running["datasette"])
        print(
            f"load: {args.connections} connections, {args.duration:g} s per endpoint and server "
            f"in {args.rounds} rounds",
            flush=True,
        )
        endpoints = load_each(args, wrk, running)
        memory = {name: {"rss_mib": s.rss_mib(), "peak_rss_mib": s.peak_rss_mib()} for name, s in running.items()}
        memory["service-2w"]["worker_rss_mib"] = running["service-2w"].worker_rss_mib()
        return {"endpoints": endpoints, "memory": memory, "service_ready_s": running["service"].ready_s}
    finally:
        for server in running.values():
            server.stop()


def at_scale(factor: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Part 2: N copies of the data, cache off, so latency is the cost of computing each response.

    Two servers: one that also counts every total afresh (a query nobody asked before), and one
    that remembers totals (the next pages of a query, or its other sort orders and formats).
    """
    settings = write_scaled_fixtures(factor, work / f"scale-{factor}")
    if args.built_only:
        prebuilt = prebuilt_at_scale(factor, args, work, settings)
        theirs = prebuilt.get("datasette_latency", {})
        each = [
            f"{name} {v['p50_ms']:.1f} ms" + (f" (Datasette {theirs[name]['p50_ms']:.1f})" if name in theirs else "")
            for name, v in prebuilt["prebuilt_latency"].items()
        ]
        print(
            f"  {factor:>5}x prebuilt: build {prebuilt['build_s']:.1f} s, ready {prebuilt['prebuilt_ready_s']:.2f} s, "
            f"RSS per worker {prebuilt['prebuilt_worker_rss_mib']:.0f} MiB  " + "  ".join(each),
            flush=True,
        )
        return {"factor": factor, **prebuilt}
    startup = measure_startup(settings.fixtures_dir, settings.max_fixture_bytes)
    latency: dict[str, dict[str, float]] = {}
    known_total: dict[str, dict[str, float]] = {}
    for count_memo in (False, True):
        service = servers.start_service(
            work,
            cache=False,
            count_memo=count_memo,
            fixtures_dir=settings.fixtures_dir,
            max_fixture_bytes=settings.max_fixture_bytes,
            timeout=120 + 0.5 * factor,
            name=f"service-{factor}x" + ("-counts-remembered" if count_memo else ""),
        )
        try:
            if count_memo:
                for e in ENDPOINTS:
                    if e.paginated:
                        # The first request counts the total; every later one finds it remembered.
                        known_total[e.name] = sequential_latency(service.url(e.service), args.scale_requests, 20.0)
            else:
                latency = {
                    e.name: sequential_latency(service.url(e.service), args.scale_requests, 20.0) for e in ENDPOINTS
                }
                rss = service.rss_mib()
                ready_s = service.ready_s
        finally:
            service.stop()
    prebuilt = prebuilt_at_scale(factor, args, work, settings)
    row = {
        "factor": factor,
        **startup,
        "ready_s": ready_s,
        "rss_mib": rss,
        "latency": latency,
        "latency_total_known": known_total,
        **prebuilt,
    }
    print(
        f"  {factor:>5}x prebuilt: build {prebuilt['build_s']:.1f} s, ready {prebuilt['prebuilt_ready_s']:.2f} s, "
        f"RSS per worker {prebuilt['prebuilt_worker_rss_mib']:.0f} MiB",
        flush=True,
    )
    print(
        f"  {factor:>5}x {startup['studies']:>7,} studies  validate {startup['validate_s']:6.2f} s  load "
        f"{startup['load_s']:6.2f} s  ready {ready_s:6.1f} s  RSS {rss:6.0f} MiB  "
        + "  ".join(f"{name} {v['p50_ms']:.1f} ms" for name, v in latency.items())
        + "  total known: "
        + "  ".join(f"{name} {v['p50_ms']:.1f} ms" for name, v in known_total.items()),
        flush=True,
    )
    return row


def prebuilt_at_scale(factor: int, args: argparse.Namespace, work: Path, settings: Settings) -> dict[str, Any]:
    """The build-once path at one scale: build time, start-up to first answer and memory of a
    server on the built file (2 workers, so the memory is per worker), then uncached latency of
    one worker on that file against Datasette serving the same file in immutable mode."""
    built, build_s = servers.build_file(work / f"built-{factor}", settings.fixtures_dir, settings.max_fixture_bytes)
    with contextlib.closing(sqlite3.connect(f"file:{built}?mode=ro", uri=True)) as connection:
        studies = connection.execute("SELECT count(*) FROM study").fetchone()[0]
    row: dict[str, Any] = {"build_s": build_s, "file_mib": built.stat().st_size / 2**20, "studies": studies}
    workers = servers.start_service(work, cache=False, database=built, workers=2, name=f"service-{factor}x-2w")
    try:
        for e in ENDPOINTS:  # every worker touches the data before its memory is read
            for _ in range(4):
                servers.get(workers.port, e.service, timeout=120)
        worker_rss = workers.worker_rss_mib()
    finally:
        workers.stop()
    single = servers.start_service(
        work, cache=False, count_memo=False, database=built, name=f"service-{factor}x-prebuilt"
    )
    datasette = None
    try:
        row["prebuilt_ready_s"] = single.ready_s
        if not args.skip_datasette:
            metadata = work / "metadata.json"
            metadata.write_text(json.dumps(datasette_metadata()), encoding="utf-8")
            # Datasette names a database after its file: the same file, under the name the queries use.
            alias = work / f"datasette-{factor}" / "evidence.db"
            alias.parent.mkdir(exist_ok=True)
            alias.symlink_to(built)
            datasette = servers.start_datasette(work, alias, metadata)
            check_datasette(datasette)
        row["prebuilt_latency"], row["datasette_latency"] = {}, {}
        for e in ENDPOINTS:
            targets = {"service": (single.url(e.service), single.process.pid)}
            if datasette is not None:
                targets["datasette"] = (datasette.url(e.datasette), datasette.process.pid)
            measured = paired_latency(targets, args.scale_requests, rounds=3, max_seconds=30.0)
            row["prebuilt_latency"][e.name] = measured["service"]
            if datasette is not None:
                row["datasette_latency"][e.name] = measured["datasette"]
        row["prebuilt_rss_mib"] = single.rss_mib()
    finally:
        single.stop()
        if datasette is not None:
            datasette.stop()
    if not row["datasette_latency"]:
        del row["datasette_latency"]
    row["prebuilt_worker_rss_mib"] = max(worker_rss, default=row["prebuilt_rss_mib"])
    return row


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scales = [] if args.scales == "none" else sorted({int(s) for s in args.scales.split(",")})
    wrk = None if args.tool == "python" else find_wrk()
    if args.tool == "wrk" and wrk is None:
        print("wrk is not installed and could not be installed", file=sys.stderr)
        return 1
    if not args.skip_datasette:
        ensure_datasette()
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="tall-bench-") as tmp:
        work = Path(tmp)
        print("start-up, curated data ...", flush=True)
        startup = curated_startup(args.startup_repeats)
        print(f"  validate {startup['validate_s']:.2f} s + load {startup['load_s']:.2f} s", flush=True)
        results: dict[str, Any] = {
            "run": {
                "date": time.strftime("%Y-%m-%d %H:%M %Z"),
                "cpus": len(os.sched_getaffinity(0)),
                "python": platform.python_version(),
                "platform": platform.platform(terse=True),
                "tool": "wrk" if wrk else "python-asyncio",
                "connections": args.connections,
                "duration_s": args.duration,
                "warmup_s": args.warmup,
                "rounds": args.rounds,
                # Other work on the machine skews every figure; this says how busy it was.
                "load_average_before": os.getloadavg()[0],
                "threads": args.threads,
            },
            "startup": startup,
            **compare(args, wrk, work),
        }
        if scales:
            print("scale (response cache off) ...", flush=True)
        results["scales"] = [at_scale(factor, args, work) for factor in scales]
    results["targets"] = report.evaluate(results)
    results["run"]["seconds"] = round(time.time() - started)
    results["run"]["load_average_after"] = os.getloadavg()[0]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    text = report.markdown(results)
    (args.out / "latest.md").write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"wrote {args.out / 'latest.json'} and {args.out / 'latest.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
