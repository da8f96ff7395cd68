"""Start-up cost in a fresh process: python -m tests.benchmarks.startup [FIXTURES_DIR] [MAX_FIXTURE_BYTES]

Prints one JSON object: seconds to validate the fixtures, seconds to load them into a new
embedded SQLite database, and the process's peak resident memory.
"""

import json
import resource
import sys
import time
from pathlib import Path

from api.database import Database
from api.loading.load import load_dataset, validate_fixtures
from api.settings import PROJECT_ROOT, Settings


def measure(settings: Settings) -> dict[str, float | int]:
    started = time.perf_counter()
    fixtures = validate_fixtures(settings)
    validated = time.perf_counter()
    database = Database(None)
    try:
        load_dataset(settings, database, fixtures)
        loaded = time.perf_counter()
    finally:
        database.close()
    return {
        "studies": len(fixtures.studies),
        "validate_s": validated - started,
        "load_s": loaded - validated,
        "startup_s": loaded - started,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str]) -> None:
    settings = Settings()
    if argv:
        settings = Settings(
            fixtures_dir=Path(argv[0]),
            sources_registry=PROJECT_ROOT / "seeds" / "sources.yaml",
            max_fixture_bytes=int(argv[1]) if len(argv) > 1 else settings.max_fixture_bytes,
        )
    print(json.dumps(measure(settings)))


if __name__ == "__main__":
    main(sys.argv[1:])
