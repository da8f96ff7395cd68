"""Every broken fixture stops validation and start-up with the file and the field named."""

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.loading.fixture_files import FixtureError
from api.loading.load import validate_fixtures
from api.main import create_app
from api.settings import Settings
from tests import launcher
from tests.broken_fixtures.cases import FAULTS, Fault

IDS = [fault.name for fault in FAULTS]


def _break(settings: Settings, fault: Fault) -> Settings:
    fault.apply(settings.fixtures_dir, settings.sources_registry)
    return settings


def test_the_corpus_has_at_least_twenty_distinct_faults() -> None:
    assert len(set(IDS)) == len(IDS) >= 20


def test_the_unbroken_copy_is_valid(fixture_copy: Settings) -> None:
    assert validate_fixtures(fixture_copy).studies


@pytest.mark.parametrize("fault", FAULTS, ids=IDS)
def test_validation_names_file_and_field(fixture_copy: Settings, fault: Fault) -> None:
    with pytest.raises(FixtureError) as caught:
        validate_fixtures(_break(fixture_copy, fault))
    # The copy's registry is not the data's own seeds/sources.yaml: named by its path and its setting.
    registry = f"{fixture_copy.sources_registry} (TALL_SOURCES_REGISTRY)"
    file = registry if fault.file == "seeds/sources.yaml" else fault.file
    matching = [i for i in caught.value.issues if i.file == file and i.path == fault.path]
    assert matching, f"no issue at {file}: {fault.path}; got:\n{caught.value}"
    assert any(fault.words in i.message for i in matching), str(caught.value)


@pytest.mark.parametrize("fault", FAULTS, ids=IDS)
def test_start_up_fails_and_serves_nothing(fixture_copy: Settings, fault: Fault) -> None:
    app = create_app(_break(fixture_copy, fault))
    with pytest.raises(FixtureError, match=fault.file.replace(".", r"\.")), TestClient(app):
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
    assert f"{fault.file}: {fault.path}:" in done.stderr
    assert "Traceback" not in done.stderr


def test_dataset_version_changes_exactly_when_fixtures_change(fixture_copy: Settings) -> None:
    first = validate_fixtures(fixture_copy).version
    assert validate_fixtures(fixture_copy).version == first
    study = Path(fixture_copy.fixtures_dir) / "studies" / "jplsg-t11.yaml"
    study.write_text(study.read_text(encoding="utf-8") + "\n# a curator's comment\n", encoding="utf-8")
    assert validate_fixtures(fixture_copy).version != first
