"""Reading fixture files (api.loading.fixture_files) on small directories made here: each guard the
reader applies before validation, the issue it reports (file, field path, words), and what it returns.

The broken-fixture corpus (test_fixture_faults.py) runs each fault through the whole validation; these
check the reader alone, so they are quick enough for the mutation run of the fixtures group.
"""

import datetime
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from api.loading import fixture_files
from api.loading.fixture_files import (
    MAX_FILE_PROBLEMS,
    MAX_LISTED_PROBLEMS,
    FixtureError,
    FixtureIssue,
    file_issues,
    fixture_paths,
    format_loc,
    read_fixture_set,
    read_model_file,
    read_yaml_data,
    regular_file_bytes,
)
from api.settings import PROJECT_ROOT
from api.tools.fixture_schemas import stale_schemas
from models.fixture import ConflictsFile, SourcesFile, StudyFile

STUDY = "jplsg-t11.yaml"
LIMIT = 1_000_000


@pytest.fixture
def fixtures(tmp_path: Path) -> Path:
    """A fixtures directory holding one real study file, with the conflicts and epidemiology files."""
    root = tmp_path / "fixtures"
    (root / "studies").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "fixtures" / "studies" / STUDY, root / "studies" / STUDY)
    for name in ("conflicts.yaml", "epidemiology.yaml"):
        shutil.copy(PROJECT_ROOT / "fixtures" / name, root / name)
    return root


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    path = tmp_path / "seeds" / "sources.yaml"
    path.parent.mkdir()
    shutil.copy(PROJECT_ROOT / "seeds" / "sources.yaml", path)
    return path


def _issues(fixtures: Path, registry: Path, *, limit: int = LIMIT) -> list[FixtureIssue]:
    with pytest.raises(FixtureError) as caught:
        read_fixture_set(fixtures, registry, limit)
    return caught.value.issues


def test_a_valid_directory_is_read_whole(fixtures: Path, registry: Path) -> None:
    read = read_fixture_set(fixtures, registry, LIMIT)
    assert list(read.studies) == [f"fixtures/studies/{STUDY}"]
    assert read.studies[f"fixtures/studies/{STUDY}"].id == STUDY.removesuffix(".yaml")
    assert read.sources_file == "seeds/sources.yaml" and read.sources.sources
    assert read.conflicts.conflicts and read.conflicts_file == "fixtures/conflicts.yaml"
    assert read.epidemiology.figures and read.epidemiology_file == "fixtures/epidemiology.yaml"
    assert len(read.version) == 16 and int(read.version, 16) >= 0


def test_the_optional_files_may_be_absent(fixtures: Path, registry: Path) -> None:
    (fixtures / "conflicts.yaml").unlink()
    (fixtures / "epidemiology.yaml").unlink()
    read = read_fixture_set(fixtures, registry, LIMIT)
    assert read.conflicts == ConflictsFile() and read.epidemiology.figures == []
    assert read.conflicts_file == "fixtures/conflicts.yaml" and read.epidemiology_file == "fixtures/epidemiology.yaml"


def test_the_version_follows_every_file_read_and_its_name(fixtures: Path, registry: Path) -> None:
    first = read_fixture_set(fixtures, registry, LIMIT).version
    assert read_fixture_set(fixtures, registry, LIMIT).version == first
    for edited in (fixtures / "studies" / STUDY, fixtures / "conflicts.yaml", fixtures / "epidemiology.yaml", registry):
        original = edited.read_bytes()
        edited.write_bytes(original + b"\n# a comment\n")
        assert read_fixture_set(fixtures, registry, LIMIT).version != first, edited.name
        edited.write_bytes(original)
    assert read_fixture_set(fixtures, registry, LIMIT).version == first
    # The same bytes under another file name are another data set.
    (fixtures / "studies" / STUDY).rename(fixtures / "studies" / "renamed.yaml")
    assert read_fixture_set(fixtures, registry, LIMIT).version != first


def test_hidden_files_are_left_out_and_other_files_refused(fixtures: Path, registry: Path) -> None:
    (fixtures / "studies" / ".draft.yaml").write_text("not: [valid", encoding="utf-8")
    (fixtures / ".editor").mkdir()
    (fixtures / "README.md").write_text("notes", encoding="utf-8")
    (fixtures / "schema").mkdir()
    assert list(read_fixture_set(fixtures, registry, LIMIT).studies) == [f"fixtures/studies/{STUDY}"]
    (fixtures / "studies" / "a-notes.txt").write_text("x", encoding="utf-8")  # first: the others still read
    (fixtures / "studies" / "notes.txt").write_text("x", encoding="utf-8")
    (fixtures / "studies" / "folder.yaml").mkdir()
    (fixtures / "extra.yaml").write_text("a: 1\n", encoding="utf-8")
    (fixtures / "other").mkdir()
    issues = _issues(fixtures, registry)
    assert all(issue.path == "" for issue in issues)  # the whole file, not a field in it
    assert [str(i) for i in issues] == [
        "fixtures/studies/a-notes.txt: (file): not a study fixture: only *.yaml files belong here",
        "fixtures/studies/folder.yaml: (file): not a regular file (a directory, FIFO, device or broken link): "
        "a study is one *.yaml file",
        "fixtures/studies/notes.txt: (file): not a study fixture: only *.yaml files belong here",
        "fixtures/extra.yaml: (file): not a fixture file this service knows",
        "fixtures/other: (file): not a fixture file this service knows",
    ]


def test_a_missing_studies_directory_is_named(fixtures: Path, registry: Path) -> None:
    shutil.rmtree(fixtures / "studies")
    # A file-level issue has the empty field path (shown as "(file)"), as every other one does.
    assert _issues(fixtures, registry) == [FixtureIssue("fixtures/studies", "", "directory is missing")]


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _loop(path: Path) -> None:
    path.symlink_to(path.name)


def _dangling(path: Path) -> None:
    path.symlink_to("nowhere")


def _file(path: Path) -> None:
    path.write_bytes(b"id: x\n")


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (_fifo, "a FIFO (named pipe), not a directory"),
        (_loop, "cannot be read (Too many levels of symbolic links)"),
        (_dangling, "a dangling symbolic link"),
        (_file, "a regular file, not a directory"),
    ],
    ids=["fifo", "loop of links", "dangling link", "file"],
)
def test_a_studies_entry_that_is_no_directory_is_named_for_what_it_is(
    fixtures: Path, registry: Path, make: Callable[[Path], None], words: str
) -> None:
    # Each was "directory is missing" (session 13's probe, FB3).
    shutil.rmtree(fixtures / "studies")
    make(fixtures / "studies")
    assert _issues(fixtures, registry) == [FixtureIssue("fixtures/studies", "", words)]


def test_a_missing_fixtures_directory_is_named(tmp_path: Path, registry: Path) -> None:
    assert [str(i) for i in _issues(tmp_path / "nowhere", registry)] == [
        "fixtures/studies: (file): directory is missing"
    ]


def test_every_problem_is_reported_at_once(fixtures: Path, registry: Path) -> None:
    (fixtures / "studies" / "a.yaml").write_bytes(b"")
    (fixtures / "studies" / "b.yaml").write_bytes(b"- 1\n")
    # A file's guards after other files' problems: each adds its own, none replaces the others.
    (fixtures / "studies" / "c.yaml").write_bytes(b"id: caf\xe9\n")
    (fixtures / "studies" / "d.yaml").write_bytes(b"#" * (LIMIT + 1))
    (fixtures / "conflicts.yaml").write_bytes(b"conflicts: 3\n")
    registry.write_bytes(b"sources: []\n")
    with pytest.raises(FixtureError) as caught:
        read_fixture_set(fixtures, registry, LIMIT)
    assert [(i.file, i.path) for i in caught.value.issues] == [
        ("seeds/sources.yaml", "sources"),
        ("fixtures/studies/a.yaml", ""),
        ("fixtures/studies/b.yaml", ""),
        ("fixtures/studies/c.yaml", ""),
        ("fixtures/studies/d.yaml", ""),
        ("fixtures/conflicts.yaml", "conflicts"),
    ]
    assert str(caught.value).splitlines()[0] == "6 fixture problem(s):"
    assert str(caught.value).splitlines()[1:] == [f"  {issue}" for issue in caught.value.issues]


def test_an_unreadable_registry_alone_stops_reading(fixtures: Path, registry: Path) -> None:
    registry.write_bytes(b"sources: [")
    issues = _issues(fixtures, registry)
    assert [(i.file, i.path) for i in issues] == [("seeds/sources.yaml", "")]
    assert issues[0].message.startswith("YAML syntax error at line 1, column ")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "file is empty"),
        (b"# only a comment\n", "file is empty"),
        (b"- a\n- b\n", "top level must be a mapping, found list"),
        (b"just words\n", "top level must be a mapping, found str"),
        (b"id: caf\xe9\n", "is not UTF-8 (byte 7)"),
        (
            b"id: x\nreports: [\n",
            "YAML syntax error at line 3, column 1: expected the node content, but found '<stream end>'",
        ),
        # A reader error has a character offset, not a mark, and two lines of words (session 10's
        # probe, L1): its line and column are counted from the text, on one line.
        (b"a: \x07\n", "YAML syntax error at line 1, column 4: character #x0007 is not allowed in YAML"),
        (b"id: x\nb: c\x00d\n", "YAML syntax error at line 2, column 5: character #x0000 is not allowed in YAML"),
        (b"\na: \x00\n", "YAML syntax error at line 2, column 4: character #x0000 is not allowed in YAML"),
        (b"\nid: x\nb: c\x00d\n", "YAML syntax error at line 3, column 5: character #x0000 is not allowed in YAML"),
    ],
)
def test_each_guard_names_the_file(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "one.yaml"
    path.write_bytes(content)
    with pytest.raises(FixtureError) as caught:
        read_yaml_data(path, "fixtures/one.yaml", max_bytes=LIMIT)
    assert [(i.file, i.path) for i in caught.value.issues] == [("fixtures/one.yaml", "")]
    assert caught.value.issues[0].message.startswith(words), caught.value.issues[0].message
    assert "\n" not in caught.value.issues[0].message


def test_a_yaml_error_without_a_mark_is_given_on_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unmarked(text: str) -> None:
        raise yaml.YAMLError("something went wrong\n  somewhere")

    monkeypatch.setattr(fixture_files, "load_fixture_yaml", unmarked)
    path = tmp_path / "one.yaml"
    path.write_bytes(b"a: 1\n")
    with pytest.raises(FixtureError) as caught:
        read_yaml_data(path, "one.yaml", max_bytes=LIMIT)
    assert caught.value.issues[0].message == "YAML syntax error at something went wrong somewhere"


def test_a_yaml_error_without_a_position_still_names_its_problem(tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_bytes(b"a: !!python/object:os.system x\n")
    with pytest.raises(FixtureError) as caught:
        read_yaml_data(path, "one.yaml", max_bytes=LIMIT)
    message = caught.value.issues[0].message
    assert message.startswith("YAML syntax error at ") and "python/object" in message


def test_the_size_limit_is_inclusive(tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_bytes(b"a: 1\n")
    assert read_yaml_data(path, "one.yaml", max_bytes=5) == {"a": 1}
    with pytest.raises(FixtureError) as caught:
        read_yaml_data(path, "one.yaml", max_bytes=4)
    assert str(caught.value.issues[0]) == "one.yaml: (file): file is 5 bytes, over the 4-byte limit"


def test_a_fixture_over_the_limit_is_refused_in_the_set(fixtures: Path, registry: Path) -> None:
    size = (fixtures / "studies" / STUDY).stat().st_size
    assert size > (registry.stat().st_size)
    issues = _issues(fixtures, registry, limit=size - 1)
    assert [(i.file, i.message) for i in issues] == [
        (f"fixtures/studies/{STUDY}", f"file is {size} bytes, over the {size - 1}-byte limit")
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
def test_a_named_pipe_is_not_read(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    with pytest.raises(FixtureError) as caught:
        read_yaml_data(pipe, "pipe.yaml", max_bytes=LIMIT)  # would block forever if opened
    assert caught.value.issues == [FixtureIssue("pipe.yaml", "", "is not a regular file")]


def test_a_missing_file_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(FixtureError) as caught:
        read_yaml_data(tmp_path / "gone.yaml", "gone.yaml", max_bytes=LIMIT)
    assert caught.value.issues == [FixtureIssue("gone.yaml", "", "cannot be read: No such file or directory")]


def test_a_dangling_link_for_an_optional_file_is_broken_not_absent(fixtures: Path, registry: Path) -> None:
    (fixtures / "conflicts.yaml").unlink()
    (fixtures / "conflicts.yaml").symlink_to(fixtures / "nowhere.yaml")
    assert [str(i) for i in _issues(fixtures, registry)] == [
        "fixtures/conflicts.yaml: (file): cannot be read: No such file or directory"
    ]


def test_repeated_keys_are_reported_alone(tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_bytes(b"a:\n  b: 1\n  b: 2\n")
    with pytest.raises(FixtureError) as caught:
        read_yaml_data(path, "one.yaml", max_bytes=LIMIT)
    assert [(i.file, i.path) for i in caught.value.issues] == [("one.yaml", "a.b")]


def test_a_model_file_is_validated_strictly_with_paths(tmp_path: Path) -> None:
    path = tmp_path / "conflicts.yaml"
    path.write_bytes(b"conflicts:\n  - id: x\n    colour: red\n")
    with pytest.raises(FixtureError) as caught:
        read_model_file(path, "conflicts.yaml", ConflictsFile, max_bytes=LIMIT)
    paths = {i.path for i in caught.value.issues}
    assert "conflicts[0].colour" in paths and all(i.file == "conflicts.yaml" for i in caught.value.issues)
    assert read_model_file(PROJECT_ROOT / "seeds" / "sources.yaml", "s", SourcesFile, max_bytes=LIMIT).sources
    with pytest.raises(FixtureError):
        read_model_file(path, "conflicts.yaml", ConflictsFile, max_bytes=10)


def test_a_date_written_unquoted_reaches_a_text_field_as_its_iso_text(tmp_path: Path) -> None:
    """YAML reads 2024-06-01 as a date: a curator writing one where text is expected gets the text, not a traceback."""
    data = yaml.safe_load((PROJECT_ROOT / "fixtures" / "studies" / STUDY).read_text(encoding="utf-8"))
    data["reports"][0]["follow_up"] = datetime.date(2024, 6, 1)
    path = tmp_path / STUDY
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert "follow_up: 2024-06-01\n" in path.read_text(encoding="utf-8")  # unquoted: a date to YAML
    assert read_model_file(path, STUDY, StudyFile, max_bytes=LIMIT).reports[0].follow_up == "2024-06-01"


def test_fixture_paths_lists_what_the_loader_reads_in_its_order(fixtures: Path) -> None:
    (fixtures / "studies" / ".hidden.yaml").write_text("a: 1\n", encoding="utf-8")
    (fixtures / "studies" / "a-first.yaml").write_text("a: 1\n", encoding="utf-8")
    (fixtures / "studies" / "notes.txt").write_text("x", encoding="utf-8")
    assert [label for label, _ in fixture_paths(fixtures)] == [
        "studies/a-first.yaml",
        f"studies/{STUDY}",
        "conflicts.yaml",
        "epidemiology.yaml",
    ]
    assert all(path.is_file() for _, path in fixture_paths(fixtures))
    (fixtures / "conflicts.yaml").unlink()
    assert [label for label, _ in fixture_paths(fixtures)][-1] == "epidemiology.yaml"
    assert fixture_paths(fixtures / "nowhere") == []


@pytest.mark.parametrize(
    ("loc", "text"),
    [
        (("outcomes", 3, "numerator"), "outcomes[3].numerator"),
        (("a", "b"), "a.b"),
        ((2, "x"), "[2].x"),
        (("x",), "x"),
        ((), ""),
    ],
)
def test_field_paths_are_written_as_curators_read_them(loc: tuple[str | int, ...], text: str) -> None:
    assert format_loc(loc) == text


def test_the_committed_fixture_schemas_are_what_the_models_generate() -> None:
    """In process (the CLI's `schema --check` runs in a child): descriptions, defaults and required fields."""
    assert stale_schemas(PROJECT_ROOT / "fixtures" / "schema") == []


def test_a_repeated_key_is_reported_with_the_problems_of_other_files(fixtures: Path, registry: Path) -> None:
    (fixtures / "studies" / "a.yaml").write_bytes(b"")
    (fixtures / "studies" / "b.yaml").write_bytes(b"id: b\nid: c\n")
    (fixtures / "studies" / "c.yaml").write_bytes(b"- 1\n")
    assert [(i.file, i.path) for i in _issues(fixtures, registry)] == [
        ("fixtures/studies/a.yaml", ""),
        ("fixtures/studies/b.yaml", "id"),
        ("fixtures/studies/c.yaml", ""),
    ]


def test_a_file_longer_than_its_stat_said_is_cut_at_the_bound() -> None:
    # A file that grows between the stat and the read is read to the bound only and refused. /proc
    # files show it without a race: their stat says 0 bytes, and reading gives several KB.
    path = Path("/proc/self/maps")
    if not path.is_file():
        pytest.skip("no /proc/self/maps: not Linux")
    with pytest.raises(FixtureError) as raised:
        regular_file_bytes(path, "maps", max_bytes=100)
    assert [(i.file, i.path, i.message) for i in raised.value.issues] == [
        ("maps", "", "file is over the 100-byte limit")
    ]
    assert len(regular_file_bytes(path, "maps", max_bytes=1 << 20)) > 100


def test_a_files_problems_are_listed_twenty_then_how_many_more() -> None:
    """Session 12's probe (B9): a file of one fault repeated was as many lines (600,000)."""
    problems = [(f"b[{i}]", "bad") for i in range(MAX_FILE_PROBLEMS + 5)]
    issues = file_issues("studies/x.yaml", problems)
    assert issues[:-1] == [FixtureIssue("studies/x.yaml", path, "bad") for path, _ in problems[:MAX_FILE_PROBLEMS]]
    assert issues[-1] == FixtureIssue("studies/x.yaml", "", "5 more problem(s) in this file not listed")
    assert file_issues("studies/x.yaml", problems[:MAX_FILE_PROBLEMS]) == issues[:-1]


def test_a_message_lists_two_hundred_problems_then_how_many_more() -> None:
    issues = [FixtureIssue(f"studies/{i}.yaml", "id", "bad") for i in range(MAX_LISTED_PROBLEMS + 3)]
    lines = str(FixtureError(issues)).splitlines()
    assert lines[0] == f"{MAX_LISTED_PROBLEMS + 3} fixture problem(s):"
    assert lines[1:-1] == [f"  {issue}" for issue in issues[:MAX_LISTED_PROBLEMS]]
    assert lines[-1] == "  (3 more problem(s) not listed)"
    exactly = str(FixtureError(issues[:MAX_LISTED_PROBLEMS])).splitlines()
    assert exactly[1:] == [f"  {issue}" for issue in issues[:MAX_LISTED_PROBLEMS]]
