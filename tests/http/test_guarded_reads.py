"""Issue 21, items 5 and 6: `validate` reads only the files the loader reads, and the spans file
(TALL_SPANS_FILE) is read under the same guards as the fixtures, by real commands in child
processes: a FIFO never hangs them, an alias bomb never grows them, and a bad file is named in
a message, never a traceback. A dangling spans link is an error, not a build without spans.
"""

import os
import subprocess
from pathlib import Path

import pytest

from tests.http.live import run_cli, scratch_data
from tests.support import free_port

TIMEOUT = 60.0
ALIAS_BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
    f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
    for i in range(8)
)


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        return run_cli(*args, env=env, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`{' '.join(args)}` still running after {TIMEOUT}s")


def _spans_copy(tmp: Path, env: dict[str, str]) -> Path:
    spans = tmp / "seeds" / "spans.yaml"
    env["TALL_SPANS_FILE"] = str(spans)
    return spans


SKIPPED_FILES = {
    "fifo in studies": ("fixtures/studies/.x.yaml", None),
    "fifo in schema": ("fixtures/schema/.x.yaml", None),
    "alias bomb in studies": ("fixtures/studies/.x.yaml", ALIAS_BOMB),
    "alias bomb in schema": ("fixtures/schema/.x.yaml", ALIAS_BOMB),
    "malformed in studies": ("fixtures/studies/.x.yaml", "a: [unclosed\n"),
    "malformed in schema": ("fixtures/schema/.x.yaml", "a: [unclosed\n"),
}


@pytest.mark.parametrize("case", sorted(SKIPPED_FILES))
def test_validate_leaves_alone_the_files_the_loader_skips(tmp_path: Path, case: str) -> None:
    relative, content = SKIPPED_FILES[case]
    env = scratch_data(tmp_path)
    target = tmp_path / relative
    if content is None:
        os.mkfifo(target)
    else:
        target.write_text(content, encoding="utf-8")
    result = _run("validate", env=env)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr  # the loader ignores hidden files; so does validate


def _fifo(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def _dangling(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.symlink_to(path.parent / "nowhere.yaml")


def _directory(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.mkdir()


SPANS_FAULTS = {
    "fifo": _fifo,
    "dangling link": _dangling,
    "directory": _directory,
    "malformed": lambda path: path.write_text("spans: [unclosed\n", encoding="utf-8"),
    "wrong shape": lambda path: path.write_text("spans: [1, 2]\n", encoding="utf-8"),
    "alias bomb": lambda path: path.write_text(ALIAS_BOMB, encoding="utf-8"),
}


@pytest.mark.parametrize("command", ["build", "serve", "validate"])
@pytest.mark.parametrize("fault", sorted(SPANS_FAULTS))
def test_a_bad_spans_file_is_named_and_stops_the_command(tmp_path: Path, fault: str, command: str) -> None:
    env = scratch_data(tmp_path)
    spans = _spans_copy(tmp_path, env)
    SPANS_FAULTS[fault](spans)
    args = {
        "build": ("build", "--out", str(tmp_path / "out")),
        "serve": ("serve", "--port", str(free_port())),
        "validate": ("validate",),
    }[command]
    result = _run(*args, env=env)
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    assert "TALL_SPANS_FILE" in result.stderr and str(spans) in result.stderr, result.stderr
    if command == "build":
        assert not list((tmp_path / "out").glob("*.sqlite3"))
