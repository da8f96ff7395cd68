"""One real server for the module-independent tests; tests needing their own start their own."""

from collections.abc import Iterator

import httpx
import pytest

from tests.http.live import SHORT_DEADLINES, LiveServer, live_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("live")) as running:
        yield running


@pytest.fixture(scope="session")
def short_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose body and head deadlines are short (SHORT_DEADLINES), so that passing them takes little time."""
    with live_server(tmp_path_factory.mktemp("short"), SHORT_DEADLINES) as running:
        yield running


@pytest.fixture(scope="session")
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base, timeout=30) as client:
        yield client
