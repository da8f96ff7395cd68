"""Item 2: cache misses from 64 connections at once neither stall the server nor exhaust its database pool.

Bounded: a few seconds of load, every request with its own timeout. Timing is reported
(run with -s), not asserted tightly: the assertions are no error, /health answering while
the load runs, and a prompt exit on SIGTERM afterwards.
"""

import statistics
import threading
import time
from pathlib import Path

import httpx

from tests.http.live import live_server, stop

CONNECTIONS = 64
LOAD_SECONDS = 6.0
REQUEST_TIMEOUT = 60.0
HEALTH_BOUND = 10.0  # generous: two shared cores, 64 busy connections


def test_64_connections_of_distinct_cache_keys(tmp_path: Path) -> None:
    with live_server(tmp_path) as server:
        latencies: list[float] = []
        errors: list[str] = []
        health: list[float] = []
        lock = threading.Lock()
        ready = threading.Barrier(CONNECTIONS + 2)
        stop_at = 0.0

        def worker(n: int) -> None:
            with httpx.Client(base_url=server.base, timeout=REQUEST_TIMEOUT) as client:
                ready.wait()
                i = 0
                while time.monotonic() < stop_at:
                    i += 1
                    started = time.monotonic()
                    try:
                        # A distinct Origin per request: every one is a miss in the response cache.
                        response = client.get("/v1/dataset", headers={"Origin": f"https://lab{n}-{i}.example"})
                        ok = response.status_code == 200
                        problem = "" if ok else f"{response.status_code} {response.text[:200]}"
                    except httpx.HTTPError as exc:
                        problem = f"{type(exc).__name__}: {exc}"
                    with lock:
                        latencies.append(time.monotonic() - started)
                        if problem:
                            errors.append(problem)

        def prober() -> None:
            with httpx.Client(base_url=server.base, timeout=REQUEST_TIMEOUT) as client:
                ready.wait()
                while time.monotonic() < stop_at:
                    started = time.monotonic()
                    try:
                        ok = client.get("/health").status_code == 200
                    except httpx.HTTPError:
                        ok = False
                    health.append(time.monotonic() - started if ok else float("inf"))
                    time.sleep(0.25)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(CONNECTIONS)]
        threads.append(threading.Thread(target=prober))
        for thread in threads:
            thread.start()
        stop_at = time.monotonic() + LOAD_SECONDS  # read by the threads once all are past the barrier
        ready.wait()
        for thread in threads:
            thread.join(timeout=LOAD_SECONDS + 2 * REQUEST_TIMEOUT)
        assert not any(thread.is_alive() for thread in threads), "a client never got an answer"
        exit_seconds = stop(server)

    ordered = sorted(latencies)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"\n{len(ordered)} answers, {len(errors)} errors, p50 {p50:.3f}s, p99 {p99:.3f}s ({p99 / p50:.1f}x), "
        f"/health worst {max(health):.3f}s over {len(health)} probes, SIGTERM exit {exit_seconds:.1f}s"
    )
    assert not errors, errors[:5]
    assert health and max(health) < HEALTH_BOUND, health
    assert exit_seconds < 20
