"""Two builds of the curated fixtures differing by one field (a study's title), as `tall-evidence build` writes them."""

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.loading.build import build_file
from api.main import create_app
from api.settings import PROJECT_ROOT, Settings
from tests.fixture_data import read_yaml

EDITED_STUDY = "candoni-campus-all-relapse-2020"
SUFFIX = " [re-read]"


@dataclass(frozen=True)
class TwoBuilds:
    old: Path
    new: Path
    old_version: str
    new_version: str
    study_id: str
    old_title: str
    new_title: str


def edited_fixtures(root: Path, study_id: str) -> tuple[Settings, str, str]:
    """A copy of fixtures/ and the registry with one study's title changed: (settings, title before, after)."""
    shutil.copytree(PROJECT_ROOT / "fixtures", root / "fixtures")
    (root / "seeds").mkdir()
    shutil.copy(PROJECT_ROOT / "seeds" / "sources.yaml", root / "seeds" / "sources.yaml")
    path = root / "fixtures" / "studies" / f"{study_id}.yaml"
    text = path.read_text(encoding="utf-8")
    before = read_yaml(text)["title"]
    line = next(line for line in text.splitlines() if line.startswith("title: "))
    path.write_text(text.replace(line, line + SUFFIX, 1), encoding="utf-8")
    after = read_yaml(path.read_text(encoding="utf-8"))["title"]
    assert after == before + SUFFIX  # the edit is the one field it is meant to be
    return Settings(fixtures_dir=root / "fixtures", sources_registry=root / "seeds" / "sources.yaml"), before, after


def version_of(path: Path) -> str:
    return path.stem.removeprefix("tall-evidence-")


@pytest.fixture(scope="session")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> TwoBuilds:
    root = tmp_path_factory.mktemp("releases")
    old = build_file(Settings(), root / "old")
    settings, before, after = edited_fixtures(root / "edited", EDITED_STUDY)
    new = build_file(settings, root / "new")
    return TwoBuilds(old, new, version_of(old), version_of(new), EDITED_STUDY, before, after)


@pytest.fixture(scope="session")
def both(two_builds: TwoBuilds) -> Iterator[TestClient]:
    """A server holding both releases, the edited one current."""
    settings = Settings(database_file=two_builds.new, previous_database_files=[two_builds.old])
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
def old_only(two_builds: TwoBuilds) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_file=two_builds.old))) as client:
        yield client


@pytest.fixture(scope="session")
def new_only(two_builds: TwoBuilds) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_file=two_builds.new))) as client:
        yield client
