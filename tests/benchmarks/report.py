"""Targets checked against a run's figures, and the run written out as JSON and Markdown."""

import math
from typing import Any

Results = dict[str, Any]

SERVERS = ("service", "service-2w", "limit", "datasette")
PREBUILT_READY_S = 2.0  # start-up to first answer on a built file, at the largest scale
WORKER_RSS_MIB = 200.0  # resident memory per worker on a built file, at the largest scale
TWO_WORKERS_FACTOR = 1.6  # cached throughput, two workers against one, on two cores
DATASETTE_FACTOR = 15.0
P99_FACTOR = 1.5
COMPARISON_TOP_MS = 30.0  # uncached comparison p50 at the largest scale, built file
STARTUP_S = 1.0
RSS_MIB = 150.0
SCALE_FACTOR = 2.0


def _target(name: str, wanted: str, measured: str, met: bool | None) -> dict[str, Any]:
    return {"target": name, "wanted": wanted, "measured": measured, "met": met}


def _endpoint_targets(endpoint: dict[str, Any]) -> list[dict[str, Any]]:
    name, ratios = endpoint["name"], endpoint["ratios"]
    share = endpoint["share_of_limit"]
    out = [
        _target(
            f"{name}: throughput vs static limit",
            f">= {share:.0%}",
            f"{ratios['service_vs_limit']:.0%}",
            ratios["service_vs_limit"] >= share,
        ),
        _target(
            f"{name}: p99 vs static limit",
            f"<= {P99_FACTOR:g}x",
            f"{ratios['p99_vs_limit']:.2f}x",
            ratios["p99_vs_limit"] <= P99_FACTOR,
        ),
    ]
    if ratios.get("service_vs_datasette") is not None:
        out.append(
            _target(
                f"{name}: throughput vs Datasette",
                f">= {DATASETTE_FACTOR:g}x",
                f"{ratios['service_vs_datasette']:.1f}x",
                ratios["service_vs_datasette"] >= DATASETTE_FACTOR,
            )
        )
    return out


def growth_exponent(small: dict[str, Any], large: dict[str, Any]) -> float:
    """k in time ~ studies^k between two scales: 1 is linear, 2 quadratic."""
    return math.log(large["startup_s"] / small["startup_s"]) / math.log(large["studies"] / small["studies"])


def _uncached_targets(
    endpoints: list[dict[str, Any]], base: dict[str, Any] | None, top: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Uncached, on the built file: no slower than Datasette on the same file at 1x and at the
    largest scale; the comparison under COMPARISON_TOP_MS at the largest; a never-asked filtered
    list at the largest within SCALE_FACTOR of 1x."""
    out = []
    both = {s["factor"]: s for s in (base, top) if s is not None and "datasette_latency" in s}
    for scale in both.values():
        for endpoint in endpoints:
            name = endpoint["name"]
            if name == "comparison" or name not in scale["datasette_latency"]:
                continue
            ours, theirs = scale["prebuilt_latency"][name]["p50_ms"], scale["datasette_latency"][name]["p50_ms"]
            out.append(
                _target(
                    f"{name}: uncached p50 at {scale['factor']}x, built file, vs Datasette on it",
                    "<= 1.00x",
                    f"{ours / theirs:.2f}x ({ours:.2f} / {theirs:.2f} ms)",
                    ours <= theirs,
                )
            )
    if top is not None and "prebuilt_latency" in top and "comparison" in top["prebuilt_latency"]:
        p50 = top["prebuilt_latency"]["comparison"]["p50_ms"]
        out.append(
            _target(
                f"comparison: uncached p50 at {top['factor']}x, built file",
                f"< {COMPARISON_TOP_MS:g} ms",
                f"{p50:.1f} ms",
                p50 < COMPARISON_TOP_MS,
            )
        )
    if base and top and top is not base and "prebuilt_latency" in top and "prebuilt_latency" in base:
        ratio = top["prebuilt_latency"]["filtered"]["p50_ms"] / base["prebuilt_latency"]["filtered"]["p50_ms"]
        out.append(
            _target(
                f"filtered: never-asked list (total counted afresh) at {top['factor']}x vs 1x, built file",
                f"<= {SCALE_FACTOR:g}x",
                f"{ratio:.2f}x",
                ratio <= SCALE_FACTOR,
            )
        )
    return out


def _two_worker_ceiling(endpoint: dict[str, Any]) -> str:
    """What the machine left two workers: the load generator's cores, and the ratio those allow."""
    ceiling = endpoint["ratios"].get("two_workers_ceiling")
    two_workers = endpoint["results"].get("service-2w", {})
    if ceiling is None or "client_cores" not in two_workers:
        return ""
    return (
        f" (at most {ceiling:.2f}x here: the load generator used {two_workers['client_cores']:.2f} cores, "
        f"one worker {endpoint['results']['service']['server_cores']:.2f})"
    )


def evaluate(results: Results) -> list[dict[str, Any]]:
    targets = [t for endpoint in results["endpoints"] for t in _endpoint_targets(endpoint)]
    startup = results["startup"]
    targets.append(
        _target(
            "start-up, curated data (validate + load)",
            f"< {STARTUP_S:g} s",
            f"{startup['startup_s']:.2f} s",
            startup["startup_s"] < STARTUP_S,
        )
    )
    rss = results["memory"]["service"]["rss_mib"]
    targets.append(
        _target("service resident memory, curated data", f"< {RSS_MIB:g} MiB", f"{rss:.0f} MiB", rss < RSS_MIB)
    )
    for endpoint in results["endpoints"]:
        two = endpoint["ratios"].get("two_workers_vs_one")
        if two is not None:
            targets.append(
                _target(
                    f"{endpoint['name']}: cached req/s, 2 workers vs 1",
                    f">= {TWO_WORKERS_FACTOR:g}x",
                    f"{two:.2f}x" + _two_worker_ceiling(endpoint),
                    two >= TWO_WORKERS_FACTOR,
                )
            )
    scales = results.get("scales") or []
    base = next((s for s in scales if s["factor"] == 1), None)
    top = max(scales, key=lambda s: s["factor"], default=None)
    if top and "prebuilt_ready_s" in top:
        ready, rss = top["prebuilt_ready_s"], top["prebuilt_worker_rss_mib"]
        today = f" (today's path {top['ready_s']:.1f} s)" if "ready_s" in top else ""
        today_rss = f" (today's path {top['rss_mib']:.0f} MiB)" if "rss_mib" in top else ""
        targets.append(
            _target(
                f"start-up to first answer at {top['factor']}x, built file{today}",
                f"< {PREBUILT_READY_S:g} s",
                f"{ready:.2f} s",
                ready < PREBUILT_READY_S,
            )
        )
        targets.append(
            _target(
                f"resident memory per worker at {top['factor']}x, built file{today_rss}",
                f"< {WORKER_RSS_MIB:g} MiB",
                f"{rss:.0f} MiB",
                rss < WORKER_RSS_MIB,
            )
        )
    targets += _uncached_targets(results["endpoints"], base, top)
    if base and top and top is not base:
        for endpoint in results["endpoints"]:
            if not endpoint["paginated"]:
                continue
            name = endpoint["name"]
            for key, how in (("latency", "computed afresh"), ("latency_total_known", "total remembered")):
                if name not in top.get(key, {}) or name not in base.get(key, {}):
                    continue
                ratio = top[key][name]["p50_ms"] / base[key][name]["p50_ms"]
                targets.append(
                    _target(
                        f"{name}: uncached latency at {top['factor']}x vs 1x, {how}",
                        f"<= {SCALE_FACTOR:g}x",
                        f"{ratio:.2f}x",
                        ratio <= SCALE_FACTOR,
                    )
                )
        middle = [s for s in scales if 1 < s["factor"] < top["factor"] and "startup_s" in s]
        if middle and "startup_s" in top:
            exponent = growth_exponent(min(middle, key=lambda s: s["factor"]), top)
            targets.append(
                _target(
                    f"start-up growth, {min(s['factor'] for s in middle)}x to {top['factor']}x",
                    "linear (exponent <= 1.1)",
                    f"exponent {exponent:.2f}",
                    exponent <= 1.1,
                )
            )
    return targets


def _row(cells: list[Any]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    return [_row(header), _row(["---"] * len(header)), *(_row(r) for r in rows)]


def _latency(measured: dict[str, float]) -> str:
    return f"{measured['first_ms']:.1f}; {measured['p50_ms']:.1f} / {measured['p99_ms']:.1f}"


def _versus(ours: dict[str, float], theirs: dict[str, float] | None) -> list[str]:
    if theirs is None:
        return [f"{ours['p50_ms']:.2f}", "n/a", f"{ours['p99_ms']:.2f}", f"{ours.get('cpu_ms', 0):.2f}", "n/a"]
    cpu = "n/a"
    if ours.get("cpu_ms") and theirs.get("cpu_ms"):
        cpu = f"{ours['cpu_ms'] / theirs['cpu_ms']:.2f}x"
    return [
        f"{ours['p50_ms']:.2f} / {theirs['p50_ms']:.2f}",
        f"{ours['p50_ms'] / theirs['p50_ms']:.2f}x",
        f"{ours['p99_ms']:.2f} / {theirs['p99_ms']:.2f}",
        f"{ours.get('cpu_ms', 0):.2f} / {theirs.get('cpu_ms', 0):.2f}",
        cpu,
    ]


def markdown(results: Results) -> str:
    run = results["run"]
    lines = [
        "# Benchmark results",
        "",
        f"{run['date']}; {run['cpus']} CPUs, Python {run['python']}, {run['platform']}. "
        f"Load: {run['tool']}, {run['connections']} connections, {run['duration_s']:g} s per endpoint and server "
        f"after a {run['warmup_s']:g} s warm-up, in {run['rounds']} rounds taken in turn; figures are the median "
        "round. On loopback; each server one uvicorn worker, httptools, uvloop, no access log. "
        f"Load average (1 min) {run['load_average_before']:.1f} before the run, {run['load_average_after']:.1f} "
        f"after; the run took {run['seconds']} s. Command: `.venv/bin/python tests/benchmarks/run.py`.",
        "",
        "## Ratios (curated data)",
        "",
    ]
    ratio_rows = []
    for e in results["endpoints"]:
        r = e["ratios"]
        vs_datasette = f"{r['service_vs_datasette']:.1f}x" if r.get("service_vs_datasette") is not None else "n/a"
        ratio_rows.append(
            [
                f"{e['label']} (`{e['service']}`)",
                f"{r['service_vs_limit']:.0%} (>= {e['share_of_limit']:.0%})",
                f"{vs_datasette} (>= {DATASETTE_FACTOR:g}x)",
                f"{r['p99_vs_limit']:.2f}x (<= {P99_FACTOR:g}x)",
                f"{r['two_workers_vs_one']:.2f}x" + _two_worker_ceiling(e)
                if r.get("two_workers_vs_one") is not None
                else "n/a",
            ]
        )
    lines += _table(
        [
            "endpoint",
            "service / static limit, req/s",
            "service / Datasette, req/s",
            "p99 service / limit",
            "2 workers / 1 (built file), req/s",
        ],
        ratio_rows,
    )
    lines += ["", "## Throughput and latency (curated data)", ""]
    rows = []
    for e in results["endpoints"]:
        for server in SERVERS:
            m = e["results"].get(server)
            if m:
                rows.append(
                    [
                        e["name"],
                        server,
                        f"{m['rps']:,.0f}",
                        f"{m['p50_ms']:.2f}",
                        f"{m['p99_ms']:.2f}",
                        m["errors"],
                        m["non_2xx"],
                    ]
                )
    lines += _table(["endpoint", "server", "req/s", "p50 ms", "p99 ms", "errors", "non-2xx"], rows)
    memory = results["memory"]
    startup = results["startup"]
    lines += [
        "",
        "## Memory and start-up (curated data)",
        "",
        *_table(
            ["server", "RSS after the run, MiB", "peak RSS, MiB"],
            [[name, f"{m['rss_mib']:.0f}", f"{m['peak_rss_mib']:.0f}"] for name, m in memory.items()],
        ),
        "",
        f"Service start-up: validate {startup['validate_s']:.2f} s + load {startup['load_s']:.2f} s = "
        f"{startup['startup_s']:.2f} s (median of {startup['repeats']} fresh processes); `tall-evidence serve` "
        f"answered its first request {results['service_ready_s']:.2f} s after it was started (interpreter and "
        "imports included).",
    ]
    scales = [s for s in results.get("scales") or [] if "latency" in s]  # `serve` on the fixtures
    if scales:
        names = [e["name"] for e in results["endpoints"]]
        known = [n for n in names if all(n in s.get("latency_total_known", {}) for s in scales)]
        lines += [
            "",
            "## Scale: synthetic copies of the curated data, uncached",
            "",
            "Response cache off, so each figure is what computing the response costs: the first request to the "
            "fresh server, then p50 / p99 over the sequential requests after it, on one connection. (A cached "
            "response costs the same at any scale.) Computed afresh: the server also counts every list's total "
            "anew (`TALL_COUNT_MEMO_ENTRIES=0`), as for a query nobody has asked before. Total remembered: a "
            "second server with the default count memo, where only the first request counts the total, as for "
            "the next pages of a query or its other orders and formats.",
            "",
        ]
        scale_rows = [
            [
                f"{s['factor']}x",
                f"{s['studies']:,}",
                f"{s['validate_s']:.2f}",
                f"{s['load_s']:.2f}",
                f"{s['ready_s']:.1f}",
                f"{s['rss_mib']:.0f}",
                *(_latency(s["latency"][n]) for n in names),
                *(_latency(s["latency_total_known"][n]) for n in known),
            ]
            for s in scales
        ]
        lines += _table(
            [
                "scale",
                "studies",
                "validate s",
                "load s",
                "ready s",
                "RSS MiB",
                *(f"{n} ms: first; p50 / p99" for n in names),
                *(f"{n}, total remembered: first; p50 / p99" for n in known),
            ],
            scale_rows,
        )
    prebuilt = [s for s in results.get("scales") or [] if "prebuilt_ready_s" in s]
    if prebuilt:
        names = [e["name"] for e in results["endpoints"]]
        lines += [
            "",
            "## Scale: built once, served from the file",
            "",
            "`tall-evidence build` in a fresh process, then `serve --database FILE`: start-up to the first answer "
            "(today's path, `serve` on the fixtures, for comparison), resident memory per worker of a 2-worker "
            "server after every endpoint was asked (today's path: its one process), and the uncached latency of "
            "one worker on the file (response cache and count memo off, so every list total is counted afresh, "
            "from the rows each of its conditions selects: the first request finds those rows, later ones reuse "
            "them) "
            "against Datasette serving the same file in immutable mode (`-i`, facet suggestions off), on one "
            "connection each, the two taking turns in three rounds: p50 is the median round's. Server CPU per "
            "request (user + system time of the server process over all rounds) is given beside it, since it "
            "moves little with other work on the machine.",
            "",
        ]
        lines += _table(
            [
                "scale",
                "studies",
                "build s",
                "file MiB",
                "first answer s: file / today",
                "RSS per worker MiB: file / today",
            ],
            [
                [
                    f"{s['factor']}x",
                    f"{s['studies']:,}",
                    f"{s['build_s']:.1f}",
                    f"{s['file_mib']:.1f}",
                    f"{s['prebuilt_ready_s']:.2f} / " + (f"{s['ready_s']:.1f}" if "ready_s" in s else "not run"),
                    f"{s['prebuilt_worker_rss_mib']:.0f} / " + (f"{s['rss_mib']:.0f}" if "rss_mib" in s else "not run"),
                ]
                for s in prebuilt
            ],
        )
        lines += ["", "Uncached, built file, service / Datasette:", ""]
        lines += _table(
            ["scale", "endpoint", "p50 ms", "p50 ratio", "p99 ms", "server CPU ms per request", "CPU ratio"],
            [
                [f"{s['factor']}x", n, *_versus(s["prebuilt_latency"][n], s.get("datasette_latency", {}).get(n))]
                for s in prebuilt
                for n in names
            ],
        )
    lines += ["", "## Targets", ""]
    lines += _table(
        ["target", "wanted", "measured", "met"],
        [
            [t["target"], t["wanted"], t["measured"], {True: "yes", False: "**no**", None: "n/a"}[t["met"]]]
            for t in results["targets"]
        ],
    )
    return "\n".join(lines) + "\n"
