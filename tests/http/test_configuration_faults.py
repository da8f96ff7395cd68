"""Issue 21, item 8: bad configuration ends the real command with one line naming the setting and
exit status 2, never a traceback; TALL_DATABASE_FILE alone is served as `serve --database` would."""

import subprocess
from pathlib import Path

import httpx
import pytest

from tests.http.live import built_file, live_server, run_cli, scratch_data
from tests.support import free_port

TIMEOUT = 90.0


def _one_line(result: subprocess.CompletedProcess[str], name: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr[-3000:]
    assert name in lines[0], lines[0]


BAD_SETTINGS = {
    "DATABASE_URL a directory": ("DATABASE_URL", "sqlite:///{tmp}"),
    "DATABASE_URL unsupported scheme": ("DATABASE_URL", "mysql://user@127.0.0.1/db"),
    "DATABASE_URL refusing PostgreSQL": ("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:{closed}/x"),
    "DATABASE_URL unwritable path": ("DATABASE_URL", "sqlite:///{tmp}/missing/dir/x.db"),
    "DATABASE_URL in memory": ("DATABASE_URL", "sqlite:///:memory:"),
    "DATABASE_URL a device": ("DATABASE_URL", "sqlite:////dev/full"),
    "TALL_HEADER_TIMEOUT tiny": ("TALL_HEADER_TIMEOUT", "1e-9"),
    "TALL_PUBLIC_URL no host": ("TALL_PUBLIC_URL", "http://"),
    "TALL_HOST not a host": ("TALL_HOST", "not*a*host"),
    "TALL_HOST unresolvable": ("TALL_HOST", "no-such-host.invalid"),
    "TALL_RESPONSE_CACHE_SKIP_PATHS not JSON": ("TALL_RESPONSE_CACHE_SKIP_PATHS", "not json"),
}


@pytest.mark.parametrize("case", sorted(BAD_SETTINGS))
def test_a_bad_setting_stops_serve_in_one_line_naming_it(tmp_path: Path, case: str) -> None:
    name, value = BAD_SETTINGS[case]
    env = scratch_data(tmp_path)
    env[name] = value.format(tmp=tmp_path, closed=free_port())
    result = run_cli("serve", "--port", str(free_port()), env=env, timeout=TIMEOUT)
    _one_line(result, name)


@pytest.mark.parametrize("kind", ["a file", "unwritable"])
def test_build_out_that_cannot_be_written_is_one_line(tmp_path: Path, kind: str) -> None:
    env = scratch_data(tmp_path)
    if kind == "a file":
        out = tmp_path / "a-file"
        out.write_text("x")
    else:
        blocker = tmp_path / "blocker"
        blocker.write_text("x")
        out = blocker / "under-a-file"
    _one_line(run_cli("build", "--out", str(out), env=env, timeout=TIMEOUT), "--out")


def test_tall_database_file_alone_is_served(tmp_path: Path) -> None:
    env = scratch_data(tmp_path)
    database = built_file(tmp_path / "out", env)
    # No fixtures to fall back on: only the file can be what is served.
    with live_server(tmp_path, {"TALL_DATABASE_FILE": str(database), "TALL_FIXTURES_DIR": "/nonexistent"}) as server:
        version = httpx.get(server.base + "/v1/meta", timeout=30).json()["dataset_version"]
        assert database.name == f"tall-evidence-{version}.sqlite3"
        assert f"serving {database}" in server.output()
