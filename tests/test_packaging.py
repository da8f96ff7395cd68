"""A non-editable install carries the templates, CSS/JS and docs assets the pages link to."""

import subprocess
import sys
import zipfile
from pathlib import Path

from api.settings import PROJECT_ROOT


def _files(folder: str) -> set[str]:
    root = PROJECT_ROOT / folder
    return {
        p.relative_to(PROJECT_ROOT).as_posix() for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    }


def test_wheel_contains_every_static_file_and_template(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(PROJECT_ROOT)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("tall_evidence-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = _files("api/static") | _files("api/templates")
    assert "api/static/embed.css" in expected
    assert expected <= names, sorted(expected - names)
