"""Shared fixtures: the app on the real curated data, and a scratch copy of the fixtures to break."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import PROJECT_ROOT, Settings


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


# Benchmarks are scripts run by hand (they start a server and take a minute), never tests:
# tests/benchmarks/load_test.py would otherwise be collected by the *_test.py pattern.
collect_ignore = ["benchmarks"]
