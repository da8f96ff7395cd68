"""Cache-Control and If-None-Match at their edges, and the software part of every ETag."""

from api.middleware.etags import HttpCacheMiddleware, cache_control, code_fingerprint, etag_matches


def test_cache_control_names_only_the_directives_given() -> None:
    assert cache_control(60) == "public, max-age=60"
    assert cache_control(60, 3600) == "public, max-age=60, s-maxage=3600"
    assert cache_control(0, None, 86400) == "public, max-age=0, stale-while-revalidate=86400"
    assert cache_control(60, 0, 1) == "public, max-age=60, s-maxage=0, stale-while-revalidate=1"


def test_the_middleware_defaults_to_no_shared_or_stale_directives() -> None:
    middleware = HttpCacheMiddleware(app=lambda *_: None, max_age=60)  # type: ignore[arg-type]
    assert middleware.cache_control == "public, max-age=60"
    assert middleware.software == code_fingerprint() and middleware.software


def test_if_none_match_lists_weak_and_strong_tags_with_or_without_spaces() -> None:
    assert etag_matches('"a","b"', '"b"')
    assert etag_matches('"a", W/"b"', '"b"')
    assert etag_matches("*", '"anything"')
    assert etag_matches(' "b" ', 'W/"b"')
    assert not etag_matches('"a","c"', '"b"')
    assert not etag_matches("", '"b"')
