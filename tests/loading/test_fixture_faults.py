"""Every broken fixture stops validation and start-up with the file and the field named."""

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.loading import load
from api.loading.fixture_files import FixtureError, FixtureIssue
from api.loading.load import validate_fixtures
from api.main import create_app
from api.settings import Settings
from tests import launcher
from tests.broken_fixtures.cases import FAULTS, Fault

IDS = [fault.name for fault in FAULTS]


def _break(settings: Settings, fault: Fault) -> Settings:
    fault.apply(settings.fixtures_dir, settings.sources_registry)
    return settings


def _named(settings: Settings, file: str) -> str:
    """How an issue names fault.file: the copy's registry and fixtures directory are not the data's own,
    so each file is named by the path read and its setting."""
    if file == "seeds/sources.yaml":
        return f"{settings.sources_registry} (TALL_SOURCES_REGISTRY)"
    return f"{settings.fixtures_dir / file.removeprefix('fixtures/')} (TALL_FIXTURES_DIR)"


def test_the_corpus_has_at_least_twenty_distinct_faults() -> None:
    assert len(set(IDS)) == len(IDS) >= 20


def test_the_unbroken_copy_is_valid(fixture_copy: Settings) -> None:
    assert validate_fixtures(fixture_copy).studies


@pytest.mark.parametrize("fault", FAULTS, ids=IDS)
def test_validation_names_file_and_field(fixture_copy: Settings, fault: Fault) -> None:
    with pytest.raises(FixtureError) as caught:
        validate_fixtures(_break(fixture_copy, fault))
    file = _named(fixture_copy, fault.file)
    matching = [i for i in caught.value.issues if i.file == file and i.path == fault.path]
    assert matching, f"no issue at {file}: {fault.path}; got:\n{caught.value}"
    assert any(fault.words in i.message for i in matching), str(caught.value)


@pytest.mark.parametrize("fault", FAULTS, ids=IDS)
def test_start_up_fails_and_serves_nothing(fixture_copy: Settings, fault: Fault) -> None:
    app = create_app(_break(fixture_copy, fault))
    with pytest.raises(FixtureError, match=re.escape(_named(fixture_copy, fault.file))), TestClient(app):
        pass
    assert not hasattr(app.state, "database"), "a database was attached although loading failed"


@pytest.mark.parametrize(
    "fault",
    [FAULTS[IDS.index("dangling arm reference")], FAULTS[IDS.index("percentage over 100")]],
    ids=["dangling arm reference", "percentage over 100"],
)
@pytest.mark.parametrize("command", ["validate", "serve"])
def test_command_line_exits_non_zero_naming_file_and_field(fixture_copy: Settings, fault: Fault, command: str) -> None:
    _break(fixture_copy, fault)
    env = {
        **os.environ,
        "TALL_FIXTURES_DIR": str(fixture_copy.fixtures_dir),
        "TALL_SOURCES_REGISTRY": str(fixture_copy.sources_registry),
        "TALL_PORT": "1",  # never reached: serve must stop before binding
    }
    done = launcher.run([command], env=env, timeout=60)
    assert done.returncode != 0
    assert f"{_named(fixture_copy, fault.file)}: {fault.path}:" in done.stderr
    assert "Traceback" not in done.stderr


def test_dataset_version_changes_exactly_when_fixtures_change(fixture_copy: Settings) -> None:
    first = validate_fixtures(fixture_copy).version
    assert validate_fixtures(fixture_copy).version == first
    study = Path(fixture_copy.fixtures_dir) / "studies" / "jplsg-t11.yaml"
    study.write_text(study.read_text(encoding="utf-8") + "\n# a curator's comment\n", encoding="utf-8")
    assert validate_fixtures(fixture_copy).version != first


def _refused(command: str, env: dict[str, str], out: Path) -> str:
    """Run validate, build or serve on env's data: it must stop with a message, no traceback and nothing
    built or served; its standard error."""
    args = {"validate": ["validate"], "build": ["build", "--out", str(out)], "serve": ["serve"]}[command]
    done = launcher.run(args, env={**os.environ, **env, "TALL_PORT": "1"}, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert not list(out.glob("*.sqlite3"))
    return done.stderr


@pytest.mark.parametrize("command", ["validate", "build", "serve"])
def test_a_fixtures_copy_is_named_by_the_path_read_and_its_setting(tmp_path: Path, command: str) -> None:
    # Session 13's probe, FB2: these were named fixtures/studies/..., the checkout's intact files.
    copy = tmp_path / "rename2" / "data"
    shutil.copytree(launcher.PROJECT_ROOT / "fixtures", copy)
    with (copy / "studies" / "ctd402-rp2d.yaml").open("a", encoding="utf-8") as study:
        study.write("id: [unclosed\n")
    os.mkfifo(copy / "studies" / "zz.yaml")
    stderr = _refused(command, {"TALL_FIXTURES_DIR": str(copy)}, tmp_path / "out")
    assert stderr.splitlines()[1:] == [
        f"  {copy}/studies/ctd402-rp2d.yaml (TALL_FIXTURES_DIR): (file): YAML syntax error at line 229, column 1: "
        "expected ',' or ']', but got '<stream end>'",
        f"  {copy}/studies/zz.yaml (TALL_FIXTURES_DIR): (file): not a regular file (a directory, FIFO, device or "
        "broken link): a study is one *.yaml file",
    ]


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (os.mkfifo, "a FIFO (named pipe), not a directory"),
        (lambda p: p.symlink_to(p.name), "cannot be read (Too many levels of symbolic links)"),
    ],
    ids=["fifo", "loop of links"],
)
def test_serve_names_what_stands_for_the_studies_directory(
    fixture_copy: Settings, make: Callable[[Path], None], words: str
) -> None:
    # Session 13's probe, FB3: both were "directory is missing".
    studies = fixture_copy.fixtures_dir / "studies"
    shutil.rmtree(studies)
    make(studies)
    env = {"TALL_FIXTURES_DIR": str(fixture_copy.fixtures_dir)}
    stderr = _refused("serve", env, fixture_copy.fixtures_dir)
    assert f"  {studies} (TALL_FIXTURES_DIR): (file): {words}\n" in stderr


def test_the_data_own_fixtures_keep_their_short_names(monkeypatch: pytest.MonkeyPatch) -> None:
    # Where TALL_FIXTURES_DIR is the default, the label is the checkout's own file: kept as it is.
    def broken(*_: object) -> None:
        raise FixtureError([FixtureIssue("fixtures/studies/x.yaml", "id", "bad"), FixtureIssue("seeds/other", "", "b")])

    monkeypatch.setattr(load, "check_fixture_set", broken)
    with pytest.raises(FixtureError) as caught:
        validate_fixtures(Settings())
    assert [str(i) for i in caught.value.issues] == ["fixtures/studies/x.yaml: id: bad", "seeds/other: (file): b"]
