"""Memory of serving several releases side by side: python -m tests.benchmarks.releases [--scales 1,100]

For each scale (copies of the curated data, see synthetic.py), builds five releases that
differ by one study's title, then serves the last 1, 2 and 5 of them with two workers
(`serve --database OLD ... --database NEW --workers 2`), asks every benchmarked endpoint of
every release (pinned with ?version=) four times so each worker has read each release, and
reads each worker's resident memory. The response cache stays on, as deployed. Writes
tests/benchmarks/results/releases.json and prints a Markdown table.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.benchmarks import servers, synthetic
from tests.benchmarks.endpoints import ENDPOINTS

RESULTS = Path(__file__).parent / "results" / "releases.json"
RELEASE_COUNTS = (1, 2, 5)
EXTRA_PATHS = ("/v1/dataset.zip", "/fhir/ResearchStudy?_count=10", "/v1/changes")


def build_releases(factor: int, work: Path, count: int) -> list[Path]:
    """count builds of the scaled fixtures, the k-th with one study title ending ' (release k)'."""
    settings = synthetic.write_scaled_fixtures(factor, work / f"fixtures-{factor}")
    study = sorted((settings.fixtures_dir / "studies").glob("*.yaml"))[0]
    original = study.read_text(encoding="utf-8")
    title = next(line for line in original.splitlines() if line.startswith("title: "))
    built = []
    try:
        for k in range(count):
            study.write_text(original.replace(title, f"{title} (release {k + 1})", 1), encoding="utf-8")
            path, _ = servers.build_file(
                work / f"built-{factor}-{k}", settings.fixtures_dir, settings.max_fixture_bytes
            )
            built.append(path)
    finally:
        study.write_text(original, encoding="utf-8")
    return built


def pinned(path: str, version: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}version={version}"


def measure(files: list[Path], work: Path, name: str) -> dict[str, Any]:
    versions = [f.stem.removeprefix("tall-evidence-") for f in files]
    service = servers.start_service(work, database=files[-1], earlier=files[:-1], workers=2, name=name, timeout=600.0)
    try:
        idle = service.worker_rss_mib()
        for version in versions:
            for path in [*(e.service for e in ENDPOINTS), *EXTRA_PATHS]:
                for _ in range(4):  # over fresh connections: both workers answer some
                    status, _, _ = servers.get(service.port, pinned(path, version), timeout=300)
                    assert status == 200, (path, version, status)
        busy = service.worker_rss_mib()
    finally:
        service.stop()
    return {"releases": len(files), "ready_s": service.ready_s, "idle_worker_rss_mib": idle, "worker_rss_mib": busy}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,100", help="comma-separated copies of the curated data (1,100)")
    args = parser.parse_args(argv)
    started = time.time()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="tall-bench-releases-") as tmp:
        work = Path(tmp)
        for factor in sorted({int(s) for s in args.scales.split(",")}):
            files = build_releases(factor, work, max(RELEASE_COUNTS))
            for count in RELEASE_COUNTS:
                row = measure(files[-count:], work, f"releases-{factor}x-{count}")
                row |= {"scale": factor, "file_mib": round(files[-1].stat().st_size / 2**20, 1)}
                rows.append(row)
                print(json.dumps(row), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    result = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "seconds": round(time.time() - started), "rows": rows}
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print()
    print(
        "| scale | releases | file MiB each | RSS per worker, started MiB | RSS per worker, every release asked MiB |"
    )
    print("|---|---|---|---|---|")
    for r in rows:
        idle = " / ".join(f"{v:.0f}" for v in r["idle_worker_rss_mib"])
        busy = " / ".join(f"{v:.0f}" for v in r["worker_rss_mib"])
        print(f"| {r['scale']}x | {r['releases']} | {r['file_mib']} | {idle} | {busy} |")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
