"""Issue 21, items 5 and 6: `validate` reads only the files the loader reads, and the spans file
(TALL_SPANS_FILE) is read under the same guards as the fixtures, by real commands in child
processes: a FIFO never hangs them, an alias bomb never grows them, and a bad file is named in
a message, never a traceback. A dangling spans link is an error, not a build without spans.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.http.live import PROJECT_ROOT, run_cli, scratch_data
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


def _refused(command: str, tmp_path: Path, env: dict[str, str]) -> str:
    """Run build, serve or validate on env's data: it must stop with a message, no traceback and no file
    built; its standard error."""
    args = {
        "build": ("build", "--out", str(tmp_path / "out")),
        "serve": ("serve", "--port", str(free_port())),
        "validate": ("validate",),
    }[command]
    result = _run(*args, env=env)
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    if command == "build":
        assert not list((tmp_path / "out").glob("*.sqlite3"))
    return result.stderr


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
    stderr = _refused(command, tmp_path, env)
    assert "TALL_SPANS_FILE" in stderr and str(spans) in stderr, stderr


def _coverage_copy(tmp: Path, env: dict[str, str]) -> Path:
    coverage = tmp / "seeds" / "coverage"
    shutil.copytree(PROJECT_ROOT / "seeds" / "coverage", coverage)
    env["TALL_COVERAGE_DIR"] = str(coverage)
    return coverage


COVERAGE_FAULTS = {
    "fifo": lambda directory: _fifo(directory / "zz.yaml"),
    "alias bomb": lambda directory: (directory / "zz.yaml").write_text(ALIAS_BOMB, encoding="utf-8"),
    "malformed": lambda directory: (directory / "zz.yaml").write_text("a: [unclosed\n", encoding="utf-8"),
    "missing directory": lambda directory: shutil.rmtree(directory),
    "a file, not a directory": lambda directory: shutil.rmtree(directory) or directory.write_text("", "utf-8"),
}


@pytest.mark.parametrize("command", ["build", "serve", "validate"])
@pytest.mark.parametrize("fault", sorted(COVERAGE_FAULTS))
def test_a_bad_coverage_directory_is_named_and_stops_the_command(tmp_path: Path, fault: str, command: str) -> None:
    # Third probe: a FIFO there hung `build` and `serve`, an alias bomb grew `build` without bound,
    # malformed YAML was a traceback, a missing directory built silently without the corrections;
    # `validate` said ok to all of them.
    env = scratch_data(tmp_path)
    coverage = _coverage_copy(tmp_path, env)
    COVERAGE_FAULTS[fault](coverage)
    stderr = _refused(command, tmp_path, env)
    assert str(coverage) in stderr, stderr
    if fault.endswith("directory"):
        assert "TALL_COVERAGE_DIR" in stderr, stderr


def test_a_good_coverage_directory_elsewhere_builds_the_same_dataset(tmp_path: Path) -> None:
    env = scratch_data(tmp_path)
    default = _run("build", "--out", str(tmp_path / "default"), env=env)
    _coverage_copy(tmp_path, env)
    moved = _run("build", "--out", str(tmp_path / "moved"), env=env)
    assert default.returncode == moved.returncode == 0, default.stderr + moved.stderr
    names = [sorted(p.name for p in (tmp_path / d).glob("*.sqlite3")) for d in ("default", "moved")]
    assert names[0] == names[1] and len(names[0]) == 1


def _in_place_of(path: Path, fault: str) -> None:
    """Put a FIFO, a directory or a file of another length where a committed file was."""
    path.unlink(missing_ok=True)
    if fault == "fifo":
        os.mkfifo(path)
    elif fault == "directory":
        path.mkdir()
    else:
        path.write_bytes(b"x" * (1 << 22))  # 4 MiB: compared by its first bytes, never read whole


CHECK_FAULTS = ("fifo", "directory", "large file")


@pytest.mark.parametrize("fault", CHECK_FAULTS)
def test_schema_check_names_a_committed_schema_that_is_not_a_file(tmp_path: Path, fault: str) -> None:
    # Second probe of this round: a FIFO in place of a committed schema hung `schema --check`; a
    # directory was a traceback.
    env = scratch_data(tmp_path)
    schema = tmp_path / "fixtures" / "schema" / "study.schema.json"
    _in_place_of(schema, fault)
    result = _run("schema", "--check", env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    expected = {"large file": "is stale", "fifo": "is a FIFO", "directory": "is a directory"}[fault]
    assert f"study.schema.json ({expected}" in result.stderr, result.stderr


@pytest.mark.parametrize("fault", CHECK_FAULTS)
def test_coverage_check_names_a_committed_table_that_is_not_a_file(tmp_path: Path, fault: str) -> None:
    env = scratch_data(tmp_path)
    coverage = _coverage_copy(tmp_path, env)
    table = coverage.parent / "COVERAGE.md"
    _in_place_of(table, fault)
    result = _run("coverage", "--check", env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    expected = {"large file": "is stale", "fifo": "is a FIFO", "directory": "is a directory"}[fault]
    assert f"{table} {expected}" in result.stderr, result.stderr


def test_coverage_check_passes_on_the_committed_table(tmp_path: Path) -> None:
    env = scratch_data(tmp_path)
    coverage = _coverage_copy(tmp_path, env)
    shutil.copy(PROJECT_ROOT / "seeds" / "COVERAGE.md", coverage.parent / "COVERAGE.md")
    result = _run("coverage", "--check", env=env)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("where", ["dangling link", "under a file"])
def test_export_to_a_place_it_cannot_write_is_one_line(tmp_path: Path, where: str) -> None:
    env = scratch_data(tmp_path)
    if where == "dangling link":
        out = tmp_path / "link"
        out.symlink_to(tmp_path / "nowhere")
    else:
        (tmp_path / "file").write_text("", encoding="utf-8")
        out = tmp_path / "file" / "export"
    result = _run("export", "--out", str(out), env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert str(out) in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


# --- the session 8 probe: write targets and file arguments that are no regular file ---


def _no_regular_file_at(path: Path, kind: str, *, link_to: Path) -> None:
    """Put a FIFO, a directory or a link to a path that does not exist where a file is to be written."""
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dangling link":
        path.symlink_to(link_to)
    else:
        path.mkdir()


@pytest.mark.parametrize("kind", ["fifo", "dangling link", "directory"])
def test_openapi_out_that_is_no_regular_file_is_refused_in_one_line(tmp_path: Path, kind: str) -> None:
    """A FIFO hung `openapi --out` for ever (opening it to write waits for a reader); a dangling link
    was written through, creating its target."""
    out = tmp_path / "openapi.json"
    target = tmp_path / "elsewhere" / "created.json"
    _no_regular_file_at(out, kind, link_to=target)
    done = _run("openapi", "--out", str(out), env={})
    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"openapi: --out {out}: ") and "name a regular file or a new path" in line
    assert not target.parent.exists()


def test_diff_of_a_symbolic_link_loop_is_one_line(tmp_path: Path) -> None:
    """`diff` resolved the path before checking it: a link loop was a RuntimeError traceback."""
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    for args in ((str(tmp_path / "loop1"), str(tmp_path / "loop2")),):
        done = _run("diff", *args, env={})
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
        assert done.stderr.strip() == f"diff: {tmp_path / 'loop1'}: cannot be read (Too many levels of symbolic links)"


@pytest.mark.parametrize("fault", [*CHECK_FAULTS, "sparse 3 GiB", "no table markers", "not UTF-8"])
def test_configuration_check_names_a_page_that_is_not_the_page(
    tmp_path: Path, fault: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Session 9's probe: the page was read whole (6 GiB for a sparse file), and a page without the
    # table's markers or not in UTF-8 was a traceback.
    from api import cli
    from api.tools import settings_reference

    page = tmp_path / "configuration.md"
    if fault == "sparse 3 GiB":
        with page.open("wb") as file:
            file.truncate(3 << 30)
    elif fault == "no table markers":
        page.write_text("# Configuration\n", encoding="utf-8")
    elif fault == "not UTF-8":
        page.write_bytes(b"\xff\xfe")
    else:
        _in_place_of(page, fault)
    monkeypatch.setattr(settings_reference, "CONFIGURATION_PAGE", page)
    for check in (True, False):
        assert cli._configuration(check=check) == 1
        (line,) = capsys.readouterr().err.splitlines()
        expected = {
            "fifo": "is not a regular file",
            "directory": "is not a regular file",
            "large file": "over the 1048576-byte limit",
            "sparse 3 GiB": "file is 3221225472 bytes, over the 1048576-byte limit",
            "no table markers": "has no generated settings table",
            "not UTF-8": "is not UTF-8 (byte 0)",
        }[fault]
        assert line.startswith(f"configuration: {page} ") and expected in line, line


@pytest.mark.parametrize("kind", ["fifo", "dangling link", "directory"])
@pytest.mark.parametrize("command", ["schema", "coverage"])
def test_a_generated_file_whose_place_holds_no_regular_file_is_not_written(
    tmp_path: Path, kind: str, command: str
) -> None:
    """Session 9's second probe: `schema` and `coverage` (writing) blocked for ever on a FIFO, were a
    traceback on a directory, and wrote through a dangling link, creating its target elsewhere."""
    env = scratch_data(tmp_path)
    if command == "schema":
        target = tmp_path / "fixtures" / "schema" / "study.schema.json"
    else:
        target = _coverage_copy(tmp_path, env).parent / "COVERAGE.md"
    target.unlink(missing_ok=True)
    elsewhere = tmp_path / "elsewhere" / "created"
    _no_regular_file_at(target, kind, link_to=elsewhere)
    done = _run(command, env=env)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"{command}: {target}: ") and "name a regular file or a new path" in line, line
    assert not elsewhere.parent.exists()


REPEATED_FAULTS = {
    "aliases": ("a: &a 1\nb: [" + ",".join(["*a"] * 50_000) + "]\n", "(50000 in this file)"),
    "YAML 1.1 numbers": ("b: [" + ",".join(["0x1"] * 50_000) + "]\n", "49980 more problem(s) in this file not listed"),
    "values of the wrong shape": (
        "id: zz\narms: [" + ",".join(["1"] * 50_000) + "]\n",
        "more problem(s) in this file not listed",
    ),
}


@pytest.mark.parametrize("fault", sorted(REPEATED_FAULTS))
def test_a_file_of_one_fault_repeated_is_a_few_lines_with_the_count(tmp_path: Path, fault: str) -> None:
    """Session 12's probe (B9): 600,000 aliases in a 1.8 MB study file were 600,000 lines of output
    (58 MB) and 480 MB of memory. At most twenty problems a file are listed, with how many more."""
    text, said = REPEATED_FAULTS[fault]
    env = scratch_data(tmp_path)
    (Path(env["TALL_FIXTURES_DIR"]) / "studies" / "zz.yaml").write_text(text, encoding="utf-8")
    result = _run("validate", env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if "zz.yaml" in line]
    assert 1 <= len(lines) <= 21 and said in result.stderr, result.stderr[-3000:]
