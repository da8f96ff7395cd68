"""Issue 21, second fresh probe (N1, N4): the code list (TALL_TERMINOLOGY_FILE), the term codes
(TALL_TERM_CODES_FILE) and the coverage directory (TALL_COVERAGE_DIR) are read under the fixtures'
guards, by real commands in child processes: a FIFO never hangs them, a large or alias-bomb file
never grows them, a bad file is named with its setting in a message, never a traceback, and a
stray file beside the coverage files is neither read nor hashed into the dataset version.
"""

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from api.provenance.documents import DOCUMENT_TEXT_LIMIT
from api.settings import MAX_FIXTURE_BYTES, Settings
from tests.http.live import PROJECT_ROOT, scratch_data
from tests.http.test_guarded_reads import ALIAS_BOMB, _fifo, _run

PADDING = MAX_FIXTURE_BYTES + 1  # one byte over the default TALL_MAX_FIXTURE_BYTES


def _directory(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _append(text: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        with path.open("a", encoding="utf-8") as file:
            file.write(text)

    return write


# Faults applied to a private copy of each file; every one was a traceback, a hang or a silent
# pass before (the oversized ones are otherwise valid, so only the size bound refuses them).
TERM_CODES_FAULTS: dict[str, Callable[[Path], None]] = {
    "fifo": _fifo,
    "directory": _directory,
    "not UTF-8": lambda path: path.write_bytes(b"a: [1, 2\n\x00\xff"),
    "wrong shape": lambda path: path.write_text("disease: [1, 2]\n", encoding="utf-8"),
    "alias bomb": lambda path: path.write_text(ALIAS_BOMB, encoding="utf-8"),
    "over the size bound": _append("#" + "x" * PADDING + "\n"),
}
TERMINOLOGY_FAULTS: dict[str, Callable[[Path], None]] = {
    "fifo": _fifo,
    "directory": _directory,
    "not UTF-8": lambda path: path.write_bytes(b"concept,category\n\xff\xfe\n"),
    "a field over the csv limit": _append("a,b,c," + "x" * 200_000 + ",e,f\n"),
    "over the size bound": _append("\n" * PADDING),
}
FILES = {
    "TALL_TERM_CODES_FILE": ("term_codes.yaml", TERM_CODES_FAULTS),
    "TALL_TERMINOLOGY_FILE": ("terminology.csv", TERMINOLOGY_FAULTS),
}
CASES = [(setting, fault) for setting, (_, faults) in FILES.items() for fault in sorted(faults)]


@pytest.mark.parametrize("command", ["build", "validate"])
@pytest.mark.parametrize(("setting", "fault"), CASES)
def test_a_bad_terminology_file_is_named_with_its_setting(
    tmp_path: Path, setting: str, fault: str, command: str
) -> None:
    name, faults = FILES[setting]
    env = scratch_data(tmp_path)
    target = tmp_path / "seeds" / name
    shutil.copy(PROJECT_ROOT / "seeds" / name, target)
    env[setting] = str(target)
    faults[fault](target)
    out = tmp_path / "out"
    args = ("build", "--out", str(out)) if command == "build" else ("validate",)
    result = _run(*args, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    problems = [line for line in result.stderr.splitlines() if line.startswith("  ")]
    # Each line names the file and its setting (no cascade of codes "not in" an unreadable list).
    assert problems and all(f"{target} ({setting}): " in line for line in problems), result.stderr
    assert not list(out.glob("*.sqlite3"))


def test_a_stray_file_in_the_coverage_directory_is_not_hashed(tmp_path: Path) -> None:
    # 4 GiB (sparse) beside the coverage files made `validate` and `build` hash it for minutes,
    # and any stray file there changed the dataset version though the loader never reads it.
    env = scratch_data(tmp_path)
    default = _run("build", "--out", str(tmp_path / "default"), env=env)
    coverage = tmp_path / "seeds" / "coverage"
    shutil.copytree(PROJECT_ROOT / "seeds" / "coverage", coverage)
    env["TALL_COVERAGE_DIR"] = str(coverage)
    with (coverage / "notes.bin").open("wb") as stray:
        stray.truncate(4 << 30)
    os.mkfifo(coverage / "notes.fifo")  # nor is a FIFO there opened
    validated = _run("validate", env=env)
    assert validated.returncode == 0, validated.stderr
    moved = _run("build", "--out", str(tmp_path / "stray"), env=env)
    assert default.returncode == moved.returncode == 0, default.stderr + moved.stderr
    names = [sorted(p.name for p in (tmp_path / d).glob("*.sqlite3")) for d in ("default", "stray")]
    assert names[0] == names[1] and len(names[0]) == 1, names


@pytest.mark.parametrize("left_out", ["all", "one"])
def test_a_coverage_directory_without_a_registered_documents_file_is_refused(tmp_path: Path, left_out: str) -> None:
    """Session 12's probe (B1): a TALL_COVERAGE_DIR naming a directory without the coverage files (an
    empty one, /proc/self) built a dataset without their corrections, exit 0, without a word."""
    env = scratch_data(tmp_path)
    coverage = tmp_path / "coverage"
    shutil.copytree(PROJECT_ROOT / "seeds" / "coverage", coverage)
    files = sorted(coverage.glob("*.yaml"))
    for path in files if left_out == "all" else files[:1]:
        path.unlink()
    env["TALL_COVERAGE_DIR"] = str(coverage)
    for command in (["validate"], ["build", "--out", str(tmp_path / "out")]):
        result = _run(*command, env=env)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert f"{coverage}: " in result.stderr and files[0].stem in result.stderr, result.stderr
        assert "no coverage file for the registered document(s)" in result.stderr
    assert not list((tmp_path / "out").glob("*.sqlite3"))


def _sparse(path: Path) -> None:
    path.unlink()
    with path.open("wb") as file:
        file.truncate(DOCUMENT_TEXT_LIMIT + 1)


TEXT_FAULTS: dict[str, tuple[Callable[[Path], None], str]] = {
    "fifo": (_fifo, "is not a regular file"),
    "directory": (_directory, "is not a regular file"),
    "over the size bound": (_sparse, f"over the {DOCUMENT_TEXT_LIMIT}-byte limit"),
}


# `resolve --check` prints only whether the spans file is stale, so an oversized text there (read
# whole before, refused now) ends the same way, rc 1: only the hang and the traceback tell.
TEXT_CASES = [(fault, "validate") for fault in sorted(TEXT_FAULTS)] + [("directory", "resolve"), ("fifo", "resolve")]


@pytest.mark.parametrize(("fault", "command"), TEXT_CASES)
def test_a_bad_source_text_is_named_and_never_waited_on(tmp_path: Path, fault: str, command: str) -> None:
    # Second probe (N2): a FIFO named like a document hung `validate` and `resolve --check`,
    # a directory was a traceback, and a 3 GiB text was read whole.
    texts = Path(Settings().seeds_text_dir)
    if not texts.is_dir():
        pytest.skip(f"source texts not found at {texts} (set TALL_SEEDS_TEXT_DIR)")
    env = scratch_data(tmp_path)
    copy = tmp_path / "texts"
    shutil.copytree(texts, copy)
    copy.chmod(0o755)
    document = sorted(copy.glob("*.txt"))[0]
    document.chmod(0o644)
    make, message = TEXT_FAULTS[fault]
    make(document)
    env["TALL_SEEDS_TEXT_DIR"] = str(copy)
    result = _run(*(("validate",) if command == "validate" else ("resolve", "--check")), env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    if command == "validate":  # `resolve --check` says only whether the spans file is stale
        assert any(str(document) in line and message in line for line in result.stderr.splitlines()), result.stderr


def test_a_file_name_that_is_not_utf8_is_named_not_a_traceback(tmp_path: Path) -> None:
    """Session 12's probe (B3): a study or coverage file whose name is not UTF-8 ('\\xff.yaml') was a
    traceback in validate, build and serve, and so was a --database path with such a byte."""
    env = scratch_data(tmp_path)
    studies = Path(env["TALL_FIXTURES_DIR"]) / "studies"
    stray = studies / os.fsdecode(b"\xff.yaml")
    shutil.copy(sorted(studies.glob("*.yaml"))[0], stray)
    coverage = tmp_path / "coverage"
    shutil.copytree(PROJECT_ROOT / "seeds" / "coverage", coverage)
    shutil.copy(sorted(coverage.glob("*.yaml"))[0], coverage / os.fsdecode(b"\xfe.yaml"))
    for name, broken in (("TALL_FIXTURES_DIR", {}), ("TALL_COVERAGE_DIR", {"TALL_COVERAGE_DIR": str(coverage)})):
        if name == "TALL_COVERAGE_DIR":
            stray.unlink()
        result = _run("validate", env={**env, **broken})
        assert result.returncode == 1 and "Traceback" not in result.stderr, (name, result.stderr[-2000:])
        assert "must equal the file name stem" in result.stderr, (name, result.stderr)

    built = _run("build", "--out", str(tmp_path / "out"), env=scratch_data(tmp_path / "clean"))
    assert built.returncode == 0, built.stderr
    (database,) = (tmp_path / "out").glob("*.sqlite3")
    renamed = tmp_path / os.fsdecode(b"build-\xff.sqlite3")
    shutil.copy(database, renamed)
    compared = _run("diff", str(renamed), str(database), env=scratch_data(tmp_path / "diff"))
    assert compared.returncode == 0 and '"changes": []' in compared.stdout, compared.stderr[-2000:]
