"""`pip install .` (not editable) serves the curated data, or stops at once naming the setting to set."""

import json
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.loading.fixture_files import FixtureError
from api.main import create_app
from api.settings import PROJECT_ROOT, Settings
from tests.support import free_port, wait_until_up


def test_missing_data_stops_start_up_naming_the_setting(tmp_path: Path) -> None:
    settings = Settings(fixtures_dir=tmp_path / "nowhere")
    with pytest.raises(FixtureError, match="TALL_FIXTURES_DIR"), TestClient(create_app(settings)):
        pass


@pytest.mark.slow
def test_wheel_installed_in_a_fresh_venv_serves_the_data(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path, PROJECT_ROOT],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("tall_evidence-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = venv / "bin" / "python"
    # The wheel itself is installed without its dependencies, which are taken from this test
    # environment through a path file: no package index is needed, and the project checkout is not
    # on the new interpreter's path (the editable install's hook is not processed from there).
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "-q", wheel], check=True, capture_output=True)

    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run(
        [python, "-c", "import api.settings as s; print(s.__file__); print(s.Settings().fixtures_dir)"],
        cwd=work,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert where[0].startswith(str(venv)) and where[1].startswith(str(venv)), where  # installed copy, not the checkout

    port = free_port()
    server = subprocess.Popen(
        [venv / "bin" / "tall-evidence", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/v1/meta", server, 90)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/meta", timeout=5) as answer:
            meta = json.load(answer)
        with TestClient(create_app()) as checkout:
            expected = checkout.get("/v1/meta").json()
        assert meta["dataset_version"] == expected["dataset_version"]
        assert meta["counts"] == expected["counts"] and meta["counts"]["outcome"] > 0
    finally:
        server.terminate()
        server.wait(timeout=30)

    broken = subprocess.run(
        [venv / "bin" / "tall-evidence", "serve", "--port", str(port)],
        cwd=work,
        env={"TALL_FIXTURES_DIR": str(tmp_path / "nowhere"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert broken.returncode != 0 and "TALL_FIXTURES_DIR" in broken.stdout + broken.stderr
