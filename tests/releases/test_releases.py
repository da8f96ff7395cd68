"""Releases side by side: /v1/releases, answers as of a release (?version=), and what changed (/v1/changes)."""

import time

import pytest
from fastapi.testclient import TestClient

from api.settings import Settings
from tests.releases.conftest import TwoBuilds

# One of each kind of answer: JSON lists and details, CSV, the downloads, HTML, FHIR, the front door.
ANSWERS = (
    "/",
    "/v1/meta",
    "/v1/studies?limit=3",
    "/v1/studies/{study}",
    "/v1/outcomes?limit=5&format=csv",
    "/v1/comparison?measure=cr",
    "/v1/dataset",
    "/v1/dataset.zip",
    "/embed/studies/{study}",
    "/embed/table",
    "/fhir/metadata",
    "/fhir/ResearchStudy?_count=3",
    "/v1/releases",
    "/v1/changes",
)
# Answers that show the build's time, or are the software's making (the embed pages' markup), which
# change under one version (see docs/deploying.md).
SHOWING_THE_BUILD = {"/v1/meta", "/v1/dataset", "/fhir/metadata", "/v1/releases"}
SOFTWARE_MADE = {"/embed/studies/{study}", "/embed/table"}


def test_releases_lists_every_release_oldest_first_the_last_current(both: TestClient, two_builds: TwoBuilds) -> None:
    releases = both.get("/v1/releases").json()["releases"]
    assert [r["version"] for r in releases] == [two_builds.old_version, two_builds.new_version]
    assert [r["current"] for r in releases] == [False, True]
    for release in releases:
        meta = both.get(f"/v1/meta?version={release['version']}").json()
        assert (release["built_at"], release["counts"]) == (meta["built_at"], meta["counts"])


@pytest.mark.parametrize("path", ANSWERS)
def test_a_pinned_answer_is_what_a_server_with_only_that_release_gives(
    path: str, both: TestClient, old_only: TestClient, two_builds: TwoBuilds
) -> None:
    url = path.format(study=two_builds.study_id)
    pinned = f"{url}{'&' if '?' in url else '?'}version={two_builds.old_version}"
    together, alone = both.get(pinned), old_only.get(pinned)
    assert together.status_code == alone.status_code == 200
    assert together.content == alone.content
    assert together.headers["etag"] == alone.headers["etag"]
    if path in SHOWING_THE_BUILD | SOFTWARE_MADE:  # another build or software answers otherwise: never immutable
        assert "immutable" not in together.headers["cache-control"]
    else:
        assert together.headers["cache-control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("path", [p for p in ANSWERS if p not in ("/v1/releases", "/v1/changes")])
def test_without_a_pin_the_current_release_answers(
    path: str, both: TestClient, new_only: TestClient, two_builds: TwoBuilds
) -> None:
    url = path.format(study=two_builds.study_id)
    assert both.get(url).content == new_only.get(url).content


def test_the_old_answer_under_its_version_and_the_new_without(both: TestClient, two_builds: TwoBuilds) -> None:
    path = f"/v1/studies/{two_builds.study_id}"
    assert both.get(f"{path}?version={two_builds.old_version}").json()["title"] == two_builds.old_title
    assert both.get(path).json()["title"] == two_builds.new_title
    assert both.get(f"{path}?version={two_builds.new_version}").json()["title"] == two_builds.new_title


def test_an_unknown_version_is_a_404_naming_the_versions_served(both: TestClient, two_builds: TwoBuilds) -> None:
    response = both.get("/v1/studies?version=0123456789abcdef")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    detail = response.json()["detail"]
    assert two_builds.old_version in detail and two_builds.new_version in detail and "0123456789abcdef" in detail
    for url in ("/fhir/metadata?version=nope", "/embed/table?version=nope"):  # embed pages answer errors in HTML
        response = both.get(url)
        assert response.status_code == 404, url
        assert two_builds.old_version in response.text and two_builds.new_version in response.text


def test_two_different_pins_are_refused(both: TestClient, two_builds: TwoBuilds) -> None:
    url = f"/v1/meta?version={two_builds.old_version}&version={two_builds.new_version}"
    response = both.get(url)
    assert response.status_code == 404
    assert "Two versions" in response.json()["detail"]


def test_page_links_of_a_pinned_list_stay_pinned(both: TestClient, two_builds: TwoBuilds) -> None:
    links = both.get(f"/v1/studies?limit=2&version={two_builds.old_version}").json()["links"]
    assert f"version={two_builds.old_version}" in links["next"]
    assert "version=" not in both.get("/v1/studies?limit=2").json()["links"]["next"]


def test_the_set_of_releases_is_part_of_the_etag(both: TestClient, new_only: TestClient) -> None:
    # The same current data, but /v1/releases differs: a cache must not take one for the other.
    assert both.get("/v1/releases").content != new_only.get("/v1/releases").content
    assert both.get("/v1/releases").headers["etag"] != new_only.get("/v1/releases").headers["etag"]


def test_changes_list_one_item_with_one_field_for_a_one_field_edit(both: TestClient, two_builds: TwoBuilds) -> None:
    body = both.get("/v1/changes").json()
    assert (body["from_version"], body["to_version"]) == (two_builds.old_version, two_builds.new_version)
    assert body["changes"] == [
        {
            "id": two_builds.study_id,
            "type": "study",
            "change": "changed",
            "fields": [{"field": "title", "before": two_builds.old_title, "after": two_builds.new_title}],
        }
    ]
    explicit = both.get(f"/v1/changes?from={two_builds.old_version}&to={two_builds.new_version}")
    assert explicit.json() == body
    backwards = both.get(f"/v1/changes?from={two_builds.new_version}&to={two_builds.old_version}").json()
    assert backwards["changes"][0]["fields"] == [
        {"field": "title", "before": two_builds.new_title, "after": two_builds.old_title}
    ]


def test_changes_from_an_unknown_version_is_a_404(both: TestClient, two_builds: TwoBuilds) -> None:
    response = both.get("/v1/changes?from=ffffffffffffffff")
    assert response.status_code == 404
    assert two_builds.old_version in response.json()["detail"]


def test_one_release_has_nothing_to_compare(old_only: TestClient, two_builds: TwoBuilds) -> None:
    body = old_only.get("/v1/changes").json()
    assert body == {"from_version": None, "to_version": two_builds.old_version, "changes": []}


def test_a_release_given_twice_stops_start_up(two_builds: TwoBuilds) -> None:
    from api.loading.build import BuildFileError
    from api.main import create_app

    settings = Settings(database_file=two_builds.new, previous_database_files=[two_builds.old, two_builds.old])
    with pytest.raises(BuildFileError, match="served already"):
        with TestClient(create_app(settings)):
            pass


def test_values_computed_from_releases_are_kept_for_two_releases_at_most() -> None:
    from api.state import Derived

    derived = Derived()
    builds: list[str] = []

    def build(version: str) -> str:
        builds.append(version)
        return version

    for version in ("a", "b", "a", "c", "a", "b"):
        assert derived.get(version, "download", lambda v=version: build(v)) == version  # type: ignore[misc]
    # c pushes out b (a was used since); asking for b again builds it again, pushing out c.
    assert builds == ["a", "b", "c", "b"]


def test_a_failed_build_fails_every_request_that_waited_for_it_and_the_next_builds_again() -> None:
    """Session 15's probe (JB2): with PostgreSQL taking no new connection, each request waiting for a value
    built it in turn, the k-th answered 503 after k times the 10 s connect timeout."""
    import threading

    from api.state import Derived

    derived = Derived()
    building, release = threading.Event(), threading.Event()
    builds: list[int] = []

    def failing() -> str:
        builds.append(1)
        building.set()
        release.wait(10)
        raise TimeoutError("connection timeout expired")

    outcomes: list[BaseException | str] = []

    def ask() -> None:
        try:
            outcomes.append(derived.get("a", "index", failing))
        except TimeoutError as exc:
            outcomes.append(exc)

    first = threading.Thread(target=ask)
    first.start()
    assert building.wait(10)
    waiting = [threading.Thread(target=ask) for _ in range(5)]
    for thread in waiting:
        thread.start()
    time.sleep(0.2)  # the five are waiting for the first's build
    release.set()
    for thread in [first, *waiting]:
        thread.join(10)
    assert len(builds) == 1 and len(outcomes) == 6
    assert all(isinstance(outcome, TimeoutError) for outcome in outcomes), outcomes
    # A request that comes after the failure builds again, and a success is kept.
    assert derived.get("a", "index", lambda: "built") == "built"
    assert derived.get("a", "index", failing) == "built" and len(builds) == 1


def test_the_front_door_of_a_pinned_release_keeps_the_pin_and_cites_the_release(
    both: TestClient, two_builds: TwoBuilds
) -> None:
    """Session 15's probe (JA6): `/?version=OLD` linked to the data of the current release, and how to cite the
    old release named /v1/meta, which on this server answers the current one."""
    index = both.get(f"/?version={two_builds.old_version}").json()
    links = {link["rel"]: link["href"] for link in index["links"]}
    pin = f"?version={two_builds.old_version}"
    for rel in ("dataset", "dataset-zip", "meta", "studies", "fhir-metadata"):
        assert links[rel].endswith(pin), links[rel]
        assert both.get(links[rel].removeprefix("http://testserver")).status_code == 200
    assert not links["docs"].endswith(pin) and not links["openapi"].endswith(pin)
    meta = both.get(links["meta"].removeprefix("http://testserver")).json()
    assert meta["dataset_version"] == two_builds.old_version
    assert f"/v1/meta{pin} " in index["how_to_cite"] and index["how_to_cite"] == meta["how_to_cite"]
    # Unpinned, the current release's links are unpinned and it cites its own version.
    current = both.get("/").json()
    assert all("version=" not in link["href"] for link in current["links"])
    assert f"/v1/meta?version={two_builds.new_version} " in current["how_to_cite"]


def test_a_pinned_etag_revalidates_to_304(both: TestClient, two_builds: TwoBuilds) -> None:
    url = f"/v1/studies/{two_builds.study_id}?version={two_builds.old_version}"
    etag = both.get(url).headers["etag"]
    assert both.get(url, headers={"If-None-Match": etag}).status_code == 304
    # The current release's answer has another tag: a cache holding the old one must fetch it anew.
    assert both.get(f"/v1/studies/{two_builds.study_id}", headers={"If-None-Match": etag}).status_code == 200
