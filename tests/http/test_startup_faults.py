"""Item 6: start-up faults end `validate` and `serve` promptly with one line naming the file or setting.

Run through the real command line in a child process: a hang is a failure (bounded by a timeout),
and so is a Python traceback.
"""

import base64
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.http.live import run_cli, scratch_data
from tests.support import free_port

TIMEOUT = 60.0


def _run(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    args = ("serve", "--port", str(free_port())) if command == "serve" else (command,)
    try:
        return run_cli(*args, env=env, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`{command}` still running after {TIMEOUT}s")


def _fifo(relative: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        target = root / relative
        target.unlink()
        os.mkfifo(target)

    return apply


def _dangling(root: Path) -> None:
    target = root / "fixtures" / "epidemiology.yaml"
    target.unlink()
    target.symlink_to(root / "nowhere.yaml")


def _loop(root: Path) -> None:
    target = root / "fixtures" / "epidemiology.yaml"
    target.unlink()
    (root / "loop-b.yaml").symlink_to(target)
    target.symlink_to(root / "loop-b.yaml")


def _binary(root: Path) -> None:
    path = root / "fixtures" / "studies" / "jplsg-t11.yaml"
    text = path.read_text(encoding="utf-8")
    lines = [
        f"acronym: !!binary {base64.b64encode(b'JPLSG').decode()}" if line.startswith("acronym:") else line
        for line in text.splitlines()
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


FILE_FAULTS = {
    "fifo-conflicts": (_fifo("fixtures/conflicts.yaml"), "fixtures/conflicts.yaml"),
    "fifo-sources": (_fifo("seeds/sources.yaml"), "seeds/sources.yaml"),
    "dangling-epidemiology": (_dangling, "fixtures/epidemiology.yaml"),
    "loop-epidemiology": (_loop, "fixtures/epidemiology.yaml"),
    "binary-acronym": (_binary, "fixtures/studies/jplsg-t11.yaml"),
}


@pytest.mark.parametrize("command", ["validate", "serve"])
@pytest.mark.parametrize("fault", sorted(FILE_FAULTS))
def test_a_broken_fixture_file_is_named(tmp_path: Path, fault: str, command: str) -> None:
    env = scratch_data(tmp_path)
    apply, label = FILE_FAULTS[fault]
    apply(tmp_path)
    result = _run(command, env)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert label in result.stderr, result.stderr
    if fault == "loop-epidemiology":
        assert "studies/" not in result.stderr, result.stderr  # blamed on the file itself, not the studies


SETTINGS_FAULTS = {
    "TALL_PORT": ("TALL_PORT", "eighty"),
    "DATABASE_URL": ("DATABASE_URL", "not a url"),
    "DATABASE_URL-driver": ("DATABASE_URL", "nosuchdb://x/y"),
    "TALL_CORS_ORIGINS": ("TALL_CORS_ORIGINS", "[not json"),
    "TALL_RESPONSE_CACHE_MAX_ENTRIES": ("TALL_RESPONSE_CACHE_MAX_ENTRIES", "-1"),
    "TALL_FIXTURES_DIR": ("TALL_FIXTURES_DIR", "/etc/hostname"),
    # Session 7's probe: a missing coverage directory built silently without the corrections.
    "TALL_COVERAGE_DIR missing": ("TALL_COVERAGE_DIR", "/nonexistent"),
    "TALL_COVERAGE_DIR a file": ("TALL_COVERAGE_DIR", "/etc/hostname"),
}


@pytest.mark.parametrize("command", ["validate", "serve"])
@pytest.mark.parametrize("case", sorted(SETTINGS_FAULTS))
def test_a_bad_setting_is_one_line_naming_it(tmp_path: Path, case: str, command: str) -> None:
    name, value = SETTINGS_FAULTS[case]
    env = scratch_data(tmp_path)
    env[name] = value
    if command == "validate" and name == "DATABASE_URL":
        command = "serve"  # validate never opens a database
    result = _run(command, env)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert name in lines[0], lines[0]
