"""Memory of one worker under clients that pipeline GET /health and never read the answers.

    .venv/bin/python -m tests.benchmarks.pipelining [--seconds 10] [--connections 1,200] [--source DIR]

Builds the curated data into a file, serves it with one worker (`tall-evidence serve --database`,
default settings), and for each connection count: opens that many connections, writes pipelined
`GET /health` requests on all of them for the given seconds without reading a byte, closes
them, and waits. Prints one JSON object per phase and a Markdown table: the worker's resident
memory before, at its peak during the flood, and after the connections closed, with the bytes
the server's side accepted. --source runs the service from another checkout of this project
(e.g. an older commit, to compare); --stop-at-mib ends a phase early once the worker is that big.
"""

import argparse
import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks.servers import HOST, Server, build_file, clean_env, free_port, get, start

ROOT = Path(__file__).resolve().parents[2]
REQUEST = b"GET /health HTTP/1.1\r\nHost: bench\r\n\r\n"
SETTLE_SECONDS = 5.0


def start_from(source: Path, database: Path, log_dir: Path) -> Server:
    """`serve --database` run from the given checkout (its own api package), one worker."""
    port = free_port()
    argv = [sys.executable, "-m", "api.cli", "serve", "--host", HOST, "--port", str(port), "--database", str(database)]
    return start("service", argv, clean_env(PYTHONPATH=str(source)), "/health", log_dir, 120.0, cwd=source)


def flood(server: Server, *, connections: int, seconds: float, stop_at_mib: float) -> dict[str, float | int]:
    """Pipeline without reading on this many connections; the worker's memory before, at peak, after."""
    before = server.rss_mib()
    socks = [socket.create_connection((HOST, server.port)) for _ in range(connections)]
    for sock in socks:
        sock.setblocking(False)
    burst = REQUEST * 256
    sent = 0
    peak = before
    reset = 0
    started = time.monotonic()
    while time.monotonic() - started < seconds and peak < stop_at_mib:
        for sock in list(socks):
            try:
                sent += sock.send(burst)
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                socks.remove(sock)
                sock.close()
                reset += 1
        peak = max(peak, server.rss_mib())
        time.sleep(0.002)
    flooded = time.monotonic() - started
    for sock in socks:
        sock.close()
    time.sleep(SETTLE_SECONDS)
    return {
        "connections": connections,
        "seconds": round(flooded, 1),
        "sent_mib": round(sent / 2**20, 1),
        "closed_by_server": reset,
        "rss_before_mib": round(before, 1),
        "rss_peak_mib": round(peak, 1),
        "rss_after_close_mib": round(server.rss_mib(), 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of pipelining per phase (10)")
    parser.add_argument("--connections", default="1,200", help="connection counts, one phase each (1,200)")
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout to run the service from (this one)")
    parser.add_argument("--stop-at-mib", type=float, default=3072, help="end a phase once the worker is this big")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tall-pipelining-") as scratch:
        database, _ = build_file(Path(scratch))
        server = start_from(args.source.resolve(), database, Path(scratch))
        try:
            for _ in range(20):  # warm: the first answers load code and caches
                get(server.port, "/health")
            rows = []
            for count in (int(n) for n in args.connections.split(",")):
                row = flood(server, connections=count, seconds=args.seconds, stop_at_mib=args.stop_at_mib)
                print(json.dumps(row), flush=True)
                rows.append(row)
        finally:
            server.stop()
    print(f"\nuvicorn worker, Python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.seconds:g} s per phase\n")
    print("| connections | sent (MiB) | closed by server | RSS before | RSS peak | RSS 5 s after close |")
    print("|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['connections']} | {row['sent_mib']} | {row['closed_by_server']} | {row['rss_before_mib']} MiB "
            f"| {row['rss_peak_mib']} MiB | {row['rss_after_close_mib']} MiB |"
        )


if __name__ == "__main__":
    main()
