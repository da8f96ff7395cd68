"""Issue 21, item 2: with `serve --database F --workers 2`, a worker started after F was altered
(same size and modification time) or replaced does not serve it.

The design (docs/limits-hostile.md): `serve` checks F once and hands the SHA-256 of the bytes
it checked to its workers; every worker hashes the file it opens and refuses other bytes,
with one line naming the file; running workers stop serving (503) once the file's inode is
changed in any way or replaced. So no answer ever pairs other data with the version checked.
"""

import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.http.live import LiveServer, built_file, live_server, scratch_data, worker_pids

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds the workers in Linux /proc")

PATHS = ("/v1/meta", "/v1/studies?limit=100", "/health")


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two different builds: the curated data, and the same with one study's title changed."""
    root = tmp_path_factory.mktemp("builds")
    env = scratch_data(root / "a")
    first = built_file(root / "a" / "out", env)
    study = next(Path(env["TALL_FIXTURES_DIR"], "studies").glob("*.yaml"))
    study.write_text(study.read_text(encoding="utf-8").replace("\ntitle: ", "\ntitle: Changed ", 1), encoding="utf-8")
    second = built_file(root / "b" / "out", env)
    return first, second


@pytest.fixture
def served(builds: tuple[Path, Path], tmp_path: Path) -> Iterator[tuple[LiveServer, Path, dict[str, bytes]]]:
    """`serve --database F --workers 2` on a copy F of the first build, and what it answered at first."""
    database = tmp_path / "served.sqlite3"
    shutil.copy(builds[0], database)
    with live_server(tmp_path, args=("--database", str(database), "--workers", "2")) as server:
        deadline = time.monotonic() + 60
        while len(worker_pids(server.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        first = {path: httpx.get(server.base + path, timeout=30).content for path in PATHS}
        yield server, database, first


def _replacement_done(log: str) -> bool:
    return "start-up refused" in log or log.count("Application startup complete.") >= 3


def _restart_one_worker(server: LiveServer, database: Path, first: dict[str, bytes]) -> None:
    """Kill one worker; until its replacement has started (or refused to), ask every path on fresh
    connections: every 200 must carry the bytes answered before. Then the refusal must be in the
    log, in one line naming the file."""
    os.kill(worker_pids(server.process.pid)[0], signal.SIGKILL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not _replacement_done(server.output()):
        _ask_all(server, first)
    settled = time.monotonic() + 8  # and a while after: the replacement, if it serves, is asked too
    while time.monotonic() < settled:
        _ask_all(server, first)
    log = server.output()
    assert f"start-up refused: {database}: its bytes are not those checked" in log, log[-2000:]
    assert "Traceback" not in log, log[-3000:]


def _ask_all(server: LiveServer, first: dict[str, bytes]) -> None:
    """Every path once, each on a fresh connection (so each worker gets its share)."""
    for path in PATHS:
        try:
            response = httpx.get(server.base + path, timeout=30, headers={"Connection": "close"})
        except httpx.TransportError:
            continue
        if response.status_code == 200:
            assert response.content == first[path], f"{path} now answers other data:\n{response.text[:300]}"
    time.sleep(0.05)


def test_a_worker_started_after_the_file_was_altered_in_place_refuses_it(served) -> None:
    server, database, first = served
    original = os.stat(database)
    data = bytearray(database.read_bytes())
    title = httpx.get(server.base + "/v1/studies?limit=1", timeout=30).json()["items"][0]["title"].encode()
    where = data.find(title)
    assert where > 0, "the title is stored as written"
    data[where] = ord("X") if data[where] != ord("X") else ord("Y")
    with database.open("r+b") as file:  # in place: same inode
        file.write(data)
    os.utime(database, ns=(original.st_atime_ns, original.st_mtime_ns))
    altered = os.stat(database)
    assert (altered.st_size, altered.st_mtime_ns, altered.st_ino) == (
        original.st_size,
        original.st_mtime_ns,
        original.st_ino,
    )
    _restart_one_worker(server, database, first)


def test_a_worker_started_after_the_file_was_replaced_refuses_it(served, builds: tuple[Path, Path]) -> None:
    server, database, first = served
    replacement = database.with_name("replacement.sqlite3")
    shutil.copy(builds[1], replacement)
    os.replace(replacement, database)
    _restart_one_worker(server, database, first)
