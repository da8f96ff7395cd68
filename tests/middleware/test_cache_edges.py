"""Cache-Control and If-None-Match at their edges, and the software part of every ETag."""

import threading
from pathlib import Path

import anyio
import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from api.loading import build
from api.main import create_app
from api.middleware.etags import HttpCacheMiddleware, cache_control, code_fingerprint, etag_matches, request_host
from api.settings import Settings


def test_cache_control_names_only_the_directives_given() -> None:
    assert cache_control(60) == "public, max-age=60"
    assert cache_control(60, 3600) == "public, max-age=60, s-maxage=3600"
    assert cache_control(0, None, 86400) == "public, max-age=0, stale-while-revalidate=86400"
    assert cache_control(60, 0, 1) == "public, max-age=60, s-maxage=0, stale-while-revalidate=1"


def test_the_middleware_defaults_to_no_shared_or_stale_directives() -> None:
    middleware = HttpCacheMiddleware(app=lambda *_: None, max_age=60)  # type: ignore[arg-type]
    assert middleware.cache_control == "public, max-age=60"
    assert middleware.software == code_fingerprint() and middleware.software


def test_the_settings_that_shape_bodies_are_named_in_the_software_part_of_the_tag() -> None:
    """The licence stated and the FHIR canonical base change bodies, not data: tags follow them and the code."""

    def software(*shaping: str) -> str:
        return HttpCacheMiddleware(app=lambda *_: None, max_age=60, shaping=shaping).software  # type: ignore[arg-type]

    named = software("CC-BY-4.0", "https://a.example/fhir")
    assert named.startswith(code_fingerprint()) and named != code_fingerprint()
    assert named == software("CC-BY-4.0", "https://a.example/fhir")
    others = {software("CC0-1.0", "https://a.example/fhir"), software("CC-BY-4.0", "https://b.example/fhir")}
    assert named not in others and len(others) == 2


def test_if_none_match_lists_weak_and_strong_tags_with_or_without_spaces() -> None:
    assert etag_matches('"a","b"', '"b"')
    assert etag_matches('"a", W/"b"', '"b"')
    assert etag_matches("*", '"anything"')
    assert etag_matches(' "b" ', 'W/"b"')
    assert not etag_matches('"a","c"', '"b"')
    assert not etag_matches("", '"b"')


def test_the_skip_paths_setting_is_what_the_cache_skips() -> None:
    with TestClient(create_app(Settings(response_cache_skip_paths=["/v1/meta"]))) as client:
        cache = client.app.state.response_cache  # type: ignore[attr-defined]
        for _ in range(2):
            assert client.get("/v1/meta").status_code == client.get("/v1/sources").status_code == 200
        # /v1/meta answered afresh both times (neither kept nor looked up); /v1/sources kept, then reused.
        assert (len(cache.store), cache.misses, cache.hits) == (1, 1, 1)
        # /health is skipped only by default: this setting replaced the default list.
        assert client.get("/health").status_code == 200 and cache.misses == 2


def test_a_pinned_url_is_another_representation_with_its_own_tag() -> None:
    """?version=<dataset version> names the pin in its page links: its tag must not validate the unpinned body."""
    with TestClient(create_app(Settings(response_cache_enabled=False))) as client:
        version = client.get("/v1/meta").json()["dataset_version"]
        plain = client.get("/v1/studies?limit=2")
        pinned = client.get(f"/v1/studies?limit=2&version={version}")
        assert (
            f"version={version}" in pinned.json()["links"]["self"] and "version=" not in plain.json()["links"]["self"]
        )
        assert pinned.headers["etag"] != plain.headers["etag"]
        assert pinned.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert client.get("/v1/studies?limit=2", headers={"If-None-Match": pinned.headers["etag"]}).status_code == 200
        again = client.get(f"/v1/studies?limit=2&version={version}", headers={"If-None-Match": pinned.headers["etag"]})
        assert again.status_code == 304 and again.headers["etag"] == pinned.headers["etag"]


def test_the_tag_follows_the_scheme_and_host_the_links_are_built_from() -> None:
    with TestClient(create_app(Settings(response_cache_enabled=False))) as client:

        def fetch(base: str) -> tuple[str, str]:
            response = client.get(f"{base}/v1/studies?limit=1")
            return response.headers["etag"], response.json()["links"]["self"]

        tags = {}
        for base in ("http://one.example", "http://two.example", "https://one.example", "http://one.example:8080"):
            tag, link = fetch(base)
            assert link.startswith(f"{base}/v1/studies?")  # the body names the origin asked for
            tags[base] = tag
        assert len(set(tags.values())) == len(tags)
        assert fetch("http://one.example")[0] == tags["http://one.example"]  # and is stable for it


def test_the_host_is_the_first_host_line_else_the_server_address() -> None:
    assert request_host({"headers": [(b"accept", b"*/*"), (b"host", b"a.example"), (b"host", b"b.example")]}) == (
        "a.example"
    )
    assert request_host({"headers": [], "server": ("10.0.0.1", 8000)}) == "10.0.0.1:8000"
    assert request_host({"headers": [], "server": None}) == ""
    assert request_host({}) == ""


def test_if_none_match_on_several_lines_means_the_lines_joined() -> None:
    """RFC 9110 5.3: a list field sent on several lines is the one list; the tag on any line matches."""
    with TestClient(create_app(Settings(response_cache_enabled=False))) as client:
        etag = client.get("/v1/meta").headers["etag"]
        for lines in ([etag, '"other"'], ['"other"', etag], ['"a", "b"', f'"c", {etag}']):
            response = client.get("/v1/meta", headers=[("If-None-Match", line) for line in lines])
            assert response.status_code == 304, lines
        refused = client.get("/v1/meta", headers=[("If-None-Match", '"a"'), ("If-None-Match", '"b"')])
        assert refused.status_code == 200


def _through_validators(
    status: int, headers: list[tuple[bytes, bytes]], chunks: list[bytes], *, if_none_match: bytes | None = None
) -> list[Message]:
    """The messages HttpCacheMiddleware sends for an inner response that brings its own validator."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        for i, chunk in enumerate(chunks):
            await send({"type": "http.response.body", "body": chunk, "more_body": i < len(chunks) - 1})

    middleware = HttpCacheMiddleware(app, max_age=60)
    request = [(b"if-none-match", if_none_match)] if if_none_match else []
    scope = {"type": "http", "method": "GET", "path": "/x", "query_string": b"", "headers": request}
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    # In a thread of its own (as the response cache's tests do): a browser test may hold a loop in this one.
    # An error there leaves `sent` short, which the callers' assertions catch.
    runner = threading.Thread(target=anyio.run, args=(middleware, scope, receive, send))
    runner.start()
    runner.join()
    return sent


def _headers(message: Message) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in message["headers"]}


def test_a_matching_tag_turns_a_streamed_answer_into_one_empty_304() -> None:
    sent = _through_validators(200, [(b"etag", b'"t"'), (b"content-type", b"text/plain")], [b"a", b"b", b"c"],
                               if_none_match=b'"t"')  # fmt: skip
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 304 and "content-type" not in _headers(sent[0])
    assert sent[1] == {"type": "http.response.body", "body": b"", "more_body": False}
    # Not matching: every chunk passes through as it came.
    sent = _through_validators(200, [(b"etag", b'"t"')], [b"a", b"b", b"c"], if_none_match=b'"u"')
    assert sent[0]["status"] == 200 and [m.get("body") for m in sent[1:]] == [b"a", b"b", b"c"]
    assert [m["more_body"] for m in sent[1:]] == [True, True, False]


def test_a_304_the_inner_app_made_gets_cache_control_and_keeps_its_own() -> None:
    sent = _through_validators(304, [(b"etag", b'"t"')], [b""], if_none_match=b'"t"')
    assert sent[0]["status"] == 304 and _headers(sent[0])["cache-control"] == "public, max-age=60"
    assert sent[1] == {"type": "http.response.body", "body": b"", "more_body": False}
    sent = _through_validators(304, [(b"etag", b'"t"'), (b"cache-control", b"max-age=5")], [b""])
    assert _headers(sent[0])["cache-control"] == "max-age=5"


def test_a_304_the_inner_app_made_is_sent_without_a_body_whatever_it_gave() -> None:
    sent = _through_validators(304, [(b"etag", b'"t"')], [b"x", b"y"], if_none_match=b'"t"')
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 304 and sent[1] == {"type": "http.response.body", "body": b"", "more_body": False}


@pytest.mark.parametrize("status", [300, 301, 404, 500])
def test_answers_other_than_success_get_no_validators(status: int) -> None:
    sent = _through_validators(status, [], [b"x", b"y"], if_none_match=b"*")
    assert sent[0]["status"] == status
    assert set(_headers(sent[0])) == set() and [m["body"] for m in sent[1:]] == [b"x", b"y"]
    # Nor Cache-Control or Vary, even when the answer names a tag of its own.
    sent = _through_validators(status, [(b"etag", b'"t"')], [b"x"], if_none_match=b'"t"')
    assert sent[0]["status"] == status and _headers(sent[0]) == {"etag": '"t"'}


def test_an_answer_that_forbids_storing_is_never_revalidated() -> None:
    sent = _through_validators(200, [(b"etag", b'"t"'), (b"cache-control", b"no-store")], [b"ok"], if_none_match=b'"t"')
    assert sent[0]["status"] == 200 and _headers(sent[0]) == {"etag": '"t"', "cache-control": "no-store"}
    assert sent[1]["body"] == b"ok"


def test_before_start_up_an_answer_gets_no_tag_and_is_never_a_304() -> None:
    """No loaded state to derive a tag from (the app not started): the answer passes through whole."""
    sent = _through_validators(200, [(b"content-type", b"text/plain")], [b"a", b"b"], if_none_match=b"*")
    assert sent[0]["status"] == 200 and _headers(sent[0]) == {"content-type": "text/plain"}
    assert [m["body"] for m in sent[1:]] == [b"a", b"b"]


def test_only_answers_that_show_the_build_differ_between_builds_of_one_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tags = []
    for day in ("01", "02"):
        monkeypatch.setattr(build, "build_time", lambda day=day: f"2026-01-{day}T00:00:00+00:00")
        served = Settings(database_file=build.build_file(Settings(), tmp_path / day), response_cache_enabled=False)
        with TestClient(create_app(served)) as client:
            meta = client.get("/v1/meta")
            assert meta.json()["built_at"] == f"2026-01-{day}T00:00:00+00:00"
            tags.append((meta.headers["etag"], client.get("/v1/studies/jplsg-t11").headers["etag"]))
    (meta_one, study_one), (meta_two, study_two) = tags
    assert meta_one != meta_two  # it shows the build time: another body
    assert study_one == study_two  # the same body in both builds


@pytest.mark.parametrize(
    ("vary", "sent"),
    [
        ([], ["Accept"]),
        (["Origin"], ["Origin, Accept"]),
        (["Accept, Origin"], ["Accept, Origin"]),
        (["origin", "ACCEPT"], ["origin", "ACCEPT"]),
        (["Origin,, Cookie"], ["Origin, Cookie, Accept"]),
    ],
)
def test_vary_gains_accept_once_keeping_what_the_answer_varies_on(vary: list[str], sent: list[str]) -> None:
    """Some routes choose CSV or JSON by Accept: shared caches must keep them apart, and still apart by Origin."""
    headers = [(b"etag", b'"t"'), *((b"vary", v.encode()) for v in vary)]
    start = _through_validators(200, headers, [b"x"])[0]
    assert [v.decode() for k, v in start["headers"] if k == b"vary"] == sent


def test_a_304_ends_even_when_the_last_body_message_leaves_more_body_out() -> None:
    """ASGI's more_body defaults to false: a last message without it ends the response, 304 or not."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"etag", b'"t"')]})
        await send({"type": "http.response.body", "body": b"all"})

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/x",
        "query_string": b"",
        "headers": [(b"if-none-match", b'"t"')],
    }
    runner = threading.Thread(target=anyio.run, args=(HttpCacheMiddleware(app, max_age=60), scope, receive, send))
    runner.start()
    runner.join()
    assert sent[0]["status"] == 304
    assert sent[1:] == [{"type": "http.response.body", "body": b"", "more_body": False}]
