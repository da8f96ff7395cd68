"""Issue 21, items 3 and 7: the version and the ETag name the bytes, and /health is never cached.

Real builds (`tall-evidence build`) served by real processes, each a fresh interpreter (its own hash
seed, never forked from the tests' preloaded one: tests/launcher.py): two builds of the same fixtures
(built at different times) answer /v1/meta, /v1/dataset and /fhir/metadata with different bodies,
so with different tags, and the data-only answers (the ZIP, lists) with the same bytes and
tags; a build for another public URL is another version (its
permalinks differ); an If-None-Match written over two header lines is honoured.
"""

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.http.live import LiveServer, built_file, live_server, scratch_data, split_response

# Answers that show the build (its time) differ between two builds of the same fixtures; the ZIP's
# entries carry a fixed time, so its bytes, and then its tag, are the same (replicas share a cache).
BUILD_SHOWN = (
    "/v1/meta",
    "/fhir/metadata",
    "/v1/dataset",
    # Each release with its build time, and the feed dated by them; the definitions FHIR resources refer to.
    "/v1/releases",
    "/v1/changes.atom",
    "/fhir/CodeSystem",
    "/fhir/CodeSystem/measure",
    "/fhir/NamingSystem",
    "/fhir/StructureDefinition",
)
DATA_ONLY = ("/v1/dataset.zip", "/v1/studies", "/v1/outcomes.csv", "/fhir/Evidence", "/fhir/ResearchStudy")


@pytest.fixture(scope="module")
def built_twice(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """Two builds of the same fixtures, a second apart, each in a fresh interpreter; and their settings.
    The module's tests share them: each build is a fresh interpreter's seconds of CPU."""
    root = tmp_path_factory.mktemp("identity")
    env = scratch_data(root)
    first = built_file(root / "one", env, fresh=True)
    time.sleep(1.1)  # build times are recorded to the second
    second = built_file(root / "two", env, fresh=True)
    return first, second, env


@pytest.fixture(scope="module")
def two_builds(built_twice: tuple[Path, Path, dict[str, str]]) -> Iterator[tuple[LiveServer, LiveServer]]:
    first, second, _ = built_twice
    root = first.parent.parent
    with (
        live_server(root, args=("--database", str(first)), fresh=True) as one,
        live_server(root, args=("--database", str(second)), fresh=True) as two,
    ):
        yield one, two


@pytest.mark.parametrize("path", BUILD_SHOWN + DATA_ONLY)
def test_two_builds_of_the_same_fixtures_never_share_a_tag_for_different_bodies(two_builds, path: str) -> None:
    # Asked by the same name (the Host is part of a tag, as links in the body are built on it).
    host = {"Host": "evidence.example.org"}
    one, two = (httpx.get(server.base + path, headers=host, timeout=60) for server in two_builds)
    assert one.status_code == two.status_code == 200
    assert (one.content == two.content) is (path in DATA_ONLY), "the build time is in exactly these bodies"
    assert (one.headers["etag"] == two.headers["etag"]) is (one.content == two.content)
    # The tag of one revalidates the other's body exactly when the bytes are the same.
    revalidated = httpx.get(
        two_builds[1].base + path, headers={**host, "If-None-Match": one.headers["etag"]}, timeout=60
    )
    assert revalidated.status_code == (304 if one.content == two.content else 200)


def test_a_build_for_another_public_url_is_another_version(
    built_twice: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    here, _, env = built_twice
    there = built_file(tmp_path / "there", {**env, "TALL_PUBLIC_URL": "https://evidence.example.org"}, fresh=True)
    assert here.name != there.name, "the file name is the dataset version, and the permalinks differ"


def test_health_is_never_stored_by_a_cache(two_builds) -> None:
    server = two_builds[0]
    version = httpx.get(server.base + "/health", timeout=30).json()["dataset_version"]
    for target in ("/health", f"/health?version={version}"):
        response = httpx.get(server.base + target, timeout=30)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store", target
        assert "etag" not in response.headers, target


def test_if_none_match_over_two_header_lines_is_read_as_one_list(two_builds) -> None:
    server = two_builds[0]
    etag = httpx.get(server.base + "/v1/meta", timeout=30).headers["etag"]
    lines = [f"Host: 127.0.0.1:{server.port}", 'If-None-Match: "other"', f"If-None-Match: {etag}", "Connection: close"]
    request = "GET /v1/meta HTTP/1.1\r\n" + "".join(line + "\r\n" for line in lines) + "\r\n"
    status, _, _ = split_response(server.raw(request.encode()))
    assert status == 304


@pytest.fixture(scope="module")
def one_build_two_settings(
    tmp_path_factory: pytest.TempPathFactory, built_twice: tuple[Path, Path, dict[str, str]]
) -> Iterator[tuple[LiveServer, LiveServer]]:
    """One built file served by two processes whose settings change bodies (the licence stated,
    the FHIR canonical base), not the data."""
    root = tmp_path_factory.mktemp("shaping")
    built = built_twice[0]
    other = {"TALL_DATA_LICENCE": "CC0-1.0", "TALL_FHIR_CANONICAL_BASE": "https://other.example.org/fhir"}
    with (
        live_server(root, args=("--database", str(built)), fresh=True) as one,
        live_server(root, other, args=("--database", str(built)), fresh=True) as two,
    ):
        yield one, two


@pytest.mark.parametrize("path", ["/v1/meta", "/openapi.json", "/fhir/metadata"])
def test_settings_that_change_a_body_change_its_tag(one_build_two_settings, path: str) -> None:
    """Found re-checking issue 21: one file served with another TALL_DATA_LICENCE or
    TALL_FHIR_CANONICAL_BASE answered these with other bodies under the same tags."""
    host = {"Host": "evidence.example.org"}  # asked by the same name: the Host is part of a tag
    one, two = (httpx.get(server.base + path, headers=host, timeout=60) for server in one_build_two_settings)
    assert one.status_code == two.status_code == 200
    assert one.content != two.content
    assert one.headers["etag"] != two.headers["etag"]
    revalidated = httpx.get(
        one_build_two_settings[1].base + path, headers={**host, "If-None-Match": one.headers["etag"]}, timeout=60
    )
    assert revalidated.status_code == 200
