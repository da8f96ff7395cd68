"""HTTP caching: ETags per representation and dataset version, Cache-Control, 304."""

from pathlib import Path

from fastapi.testclient import TestClient

from api.loading.build import build_file
from api.main import create_app
from api.middleware.etags import code_fingerprint, etag_matches, representation_etag
from api.settings import Settings
from tests.fixture_data import dump_yaml, read_yaml


def test_every_successful_get_has_an_etag_and_cache_control(client: TestClient, settings: Settings) -> None:
    for path in ("/v1/studies", "/v1/studies/jplsg-t11", "/v1/meta", "/openapi.json", "/embed/studies/jplsg-t11"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["etag"].startswith('"'), path
        assert response.headers["cache-control"] == _policy(settings), path


def test_responses_vary_on_accept_because_some_routes_negotiate(client: TestClient) -> None:
    response = client.get("/v1/comparison?measure=cr", headers={"Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")
    assert "Accept" in response.headers["vary"]
    assert response.headers["etag"] != client.get("/v1/comparison?measure=cr").headers["etag"]


def test_a_repeated_request_is_answered_304_without_a_body(client: TestClient) -> None:
    first = client.get("/v1/studies/jplsg-t11")
    again = client.get("/v1/studies/jplsg-t11", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["cache-control"] == first.headers["cache-control"]
    assert "content-type" not in again.headers


def test_if_none_match_lists_and_weak_tags_match(client: TestClient) -> None:
    etag = client.get("/v1/meta").headers["etag"]
    for header in (f'"other", {etag}', f"W/{etag}", "*"):
        assert client.get("/v1/meta", headers={"If-None-Match": header}).status_code == 304, header


def test_a_stale_tag_gets_the_full_response(client: TestClient) -> None:
    response = client.get("/v1/meta", headers={"If-None-Match": '"not-this-one"'})
    assert response.status_code == 200
    assert response.json()["dataset_version"]


def test_different_representations_have_different_etags(client: TestClient) -> None:
    urls = [
        "/v1/studies",
        "/v1/studies?limit=5",
        "/v1/studies?limit=5&offset=1",
        "/v1/studies/jplsg-t11",
        "/embed/studies/jplsg-t11",
        "/v1/outcomes",
    ]
    etags = [client.get(url).headers["etag"] for url in urls]
    assert len(set(etags)) == len(urls), dict(zip(urls, etags, strict=True))
    # A tag of one representation does not validate another.
    assert client.get("/v1/outcomes", headers={"If-None-Match": etags[0]}).status_code == 200


def test_media_type_and_encoding_are_part_of_the_tag() -> None:
    tags = {
        representation_etag("v1", "0.1", "/x", query="", media_type="application/json"),
        representation_etag("v1", "0.1", "/x", query="", media_type="text/html; charset=utf-8"),
        representation_etag("v1", "0.1", "/x", query="", media_type="application/json", encoding="gzip"),
        representation_etag("v2", "0.1", "/x", query="", media_type="application/json"),
        representation_etag("v1", "0.2", "/x", query="", media_type="application/json"),
    }
    assert len(tags) == 5
    assert etag_matches('W/"a", "b"', '"b"')
    assert not etag_matches('"a"', '"b"')


def test_errors_are_not_given_validators(client: TestClient) -> None:
    response = client.get("/v1/studies/no-such-study")
    assert response.status_code == 404
    assert "etag" not in response.headers


def test_the_max_age_settings_are_used(settings: Settings) -> None:
    changed = {"cache_max_age": 42, "cache_s_maxage": 600, "cache_stale_while_revalidate": 0}
    with TestClient(create_app(settings.model_copy(update=changed))) as client:
        assert client.get("/v1/meta").headers["cache-control"] == "public, max-age=42, s-maxage=600"
    with TestClient(create_app(settings.model_copy(update={"cache_s_maxage": None}))) as client:
        policy = client.get("/v1/meta").headers["cache-control"]
        assert "s-maxage" not in policy and "stale-while-revalidate=" in policy


def _policy(settings: Settings) -> str:
    return (
        f"public, max-age={settings.cache_max_age}, s-maxage={settings.cache_s_maxage}, "
        f"stale-while-revalidate={settings.cache_stale_while_revalidate}"
    )


def test_etag_changes_exactly_when_the_build_does(fixture_copy: Settings, tmp_path: Path) -> None:
    built = build_file(fixture_copy, tmp_path / "built")
    served = fixture_copy.model_copy(update={"database_file": built})
    with TestClient(create_app(served)) as client:
        before = client.get("/v1/studies/jplsg-t11").headers["etag"]
        version = client.get("/v1/meta").json()["dataset_version"]
    with TestClient(create_app(served)) as client:
        assert client.get("/v1/studies/jplsg-t11").headers["etag"] == before  # same build, same tag

    study = Path(fixture_copy.fixtures_dir) / "studies" / "jplsg-t11.yaml"
    data = read_yaml(study.read_text(encoding="utf-8"))
    data["notes"] = "a curator's edit"
    study.write_text(dump_yaml(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with TestClient(create_app(fixture_copy)) as client:
        assert client.get("/v1/meta").json()["dataset_version"] != version
        after = client.get("/v1/studies/jplsg-t11", headers={"If-None-Match": before})
        assert after.status_code == 200
        assert after.headers["etag"] != before
        assert after.json()["notes"] == "a curator's edit"


def test_a_code_or_template_change_changes_the_software_part_of_the_tag(tmp_path: Path) -> None:
    """Deployments that change templates or code without a version bump must not be answered 304."""
    package = tmp_path / "api"
    (package / "templates").mkdir(parents=True)
    page = package / "templates" / "card.html"
    page.write_text("<p>{{ x }}</p>", encoding="utf-8")
    before = code_fingerprint((package,))
    page.write_text("<p>{{ x }}!</p>", encoding="utf-8")
    code_fingerprint.cache_clear()
    assert code_fingerprint((package,)) != before


def test_static_files_keep_their_own_validator_and_get_cache_control(client: TestClient, settings: Settings) -> None:
    first = client.get("/static/embed.css")
    assert first.status_code == 200
    assert first.headers["cache-control"] == _policy(settings)
    again = client.get("/static/embed.css", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["cache-control"] == first.headers["cache-control"]


def test_a_pin_makes_data_immutable_not_what_the_software_makes(client: TestClient) -> None:
    """The pin names the data: static files, the docs page and the OpenAPI document change with the
    software under the same dataset version, so they keep their usual caching (session 8's probe)."""
    version = client.get("/v1/meta").json()["dataset_version"]
    immutable = "public, max-age=31536000, immutable"
    assert client.get(f"/v1/studies?limit=1&version={version}").headers["cache-control"] == immutable
    assert client.get(f"/fhir/Evidence?_count=1&version={version}").headers["cache-control"] == immutable
    # Answers showing the build's time differ between two builds of one version (a fresh probe of issue 21).
    for path in ("/v1/meta", "/fhir/metadata", "/fhir/CodeSystem/measure"):
        pinned = client.get(f"{path}?version={version}")
        assert pinned.status_code == 200, path
        assert pinned.headers["cache-control"] == client.get(path).headers["cache-control"] != immutable, path
    software = ("/static/embed.css", "/docs", "/openapi.json", "/v1/claims/check?measure=cr&study=rd13-01&value=80")
    for path in (*software, "/embed/table", "/embed/studies/rd13-01"):
        pinned = client.get(f"{path}{'&' if '?' in path else '?'}version={version}")
        assert pinned.status_code == 200, path
        assert "immutable" not in pinned.headers["cache-control"], (path, pinned.headers["cache-control"])
        assert pinned.headers["cache-control"] == client.get(path).headers["cache-control"], path
    assert client.get("/static/embed.css?version=0000000000000000").status_code == 404  # the pin still names a version
