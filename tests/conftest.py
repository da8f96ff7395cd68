"""Shared fixtures: the app on the real curated data, and a scratch copy of the fixtures to break."""

import compileall
import gc
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import PROJECT_ROOT, Settings

# Test modules and conftest files are compiled by pytest itself (with their asserts rewritten).
PYTEST_COMPILED = re.compile(r"/(test_[^/]*|conftest)\.py$")


def pytest_configure(config: pytest.Config) -> None:
    """Compile the project once, before the xdist workers start, rather than in each worker and
    each child process (tests/__init__.py keeps what is compiled); a no-op when nothing changed."""
    if not hasattr(config, "workerinput"):
        for package in ("api", "models", "tests"):
            compileall.compile_dir(PROJECT_ROOT / package, quiet=1, rx=PYTEST_COMPILED, workers=0)
    # A test process makes many short-lived applications: the garbage collector ran some 8,000 times
    # per worker (8% of its CPU); collected less often, it keeps the same garbage no longer than a test.
    gc.set_threshold(50_000, 20, 20)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than the cores. A worker spends about half of its time waiting on
    the processes its tests start (servers, builds, fresh venvs, Chromium) and on the deadlines they
    wait out; a third worker on two cores runs in that time (session 13: 3 min 38 s against 3 min 59 s
    to 4 min 12 s with two, for 7% more CPU; four were no faster than three)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores + 1


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    # What collecting made (modules, items, parametrisations) lives as long as the run: frozen out of
    # the collector's full passes, as the preloaded process does (tests/launcher.py).
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def fixture_copy(tmp_path: Path) -> Settings:
    """Settings pointing at a private copy of fixtures/ and the seed registry, safe to corrupt."""
    fixtures = tmp_path / "fixtures"
    shutil.copytree(PROJECT_ROOT / "fixtures", fixtures)
    registry = tmp_path / "seeds" / "sources.yaml"
    registry.parent.mkdir()
    shutil.copy(PROJECT_ROOT / "seeds" / "sources.yaml", registry)
    return Settings(fixtures_dir=fixtures, sources_registry=registry)


# Groups of tests by what they need, by path under tests/ (a directory or a module): each gets the
# marker (so `-m "not live"` and the like leave it out) and, where its tests share one resource that
# two workers must not use at once (one PostgreSQL database) or that is costly to start twice
# (Chromium, Node with its generated clients), an xdist group that keeps it on one worker.
GROUPS: dict[str, tuple[str, str | None]] = {
    "browser/": ("browser", "browser"),
    "clients/": ("clients", "clients"),
    "test_postgres.py": ("postgres", "postgres"),
    "http/": ("live", None),
    "test_dockerfile.py": ("live", None),
    "test_wheel_install.py": ("live", None),
    "test_cli.py": ("live", None),
    "loading/test_build.py": ("live", None),
}
TESTS_DIR = Path(__file__).parent


# Run first, in this order: the tests that take longest each (a fresh venv, then real processes and
# browsers), so that no worker starts one of them while the others have nothing left to do.
FIRST = ("slow", "live", "browser", "postgres", "clients")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        where = item.path.relative_to(TESTS_DIR).as_posix()
        for prefix, (marker, group) in GROUPS.items():
            if where == prefix or (prefix.endswith("/") and where.startswith(prefix)):
                item.add_marker(getattr(pytest.mark, marker))
                if group is not None:
                    item.add_marker(pytest.mark.xdist_group(group))
    items.sort(key=_start_order)  # stable: collection order within each rank (every worker sorts alike)


def _start_order(item: pytest.Item) -> int:
    names = {mark.name for mark in item.iter_markers()}
    return next((rank for rank, name in enumerate(FIRST) if name in names), len(FIRST))


# Benchmarks are scripts run by hand (they start a server and take a minute), never tests:
# tests/benchmarks/load_test.py would otherwise be collected by the *_test.py pattern.
collect_ignore = ["benchmarks"]
